# <function_name>:<alias>; the function part may be an ARN.
import {
  to = safelambda_deployment.api
  id = "orders-api:live"
}
