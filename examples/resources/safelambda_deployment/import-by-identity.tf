# region and account_id are optional: when given, they must be the provider's.
import {
  to = safelambda_deployment.api
  identity = {
    function_name = "orders-api"
    alias         = "live"
  }
}
