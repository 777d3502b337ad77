# An existing alias is imported by <function_name>:<alias>; the function part may be an ARN.
terraform import safelambda_deployment.api orders-api:live
terraform import safelambda_deployment.api arn:aws:lambda:eu-central-1:123456789012:function:orders-api:live
