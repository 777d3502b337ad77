# Every setting is optional: with no provider block the standard AWS credential chain
# and the SDK's environment variables (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, …) apply.
provider "safelambda" {
  region      = "eu-central-1"
  profile     = "prod"
  max_retries = 25

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/deployer"
    session_name = "terraform"
    duration     = "1h"
  }
}

# Against a local emulator such as moto or LocalStack:
provider "safelambda" {
  alias      = "local"
  region     = "us-east-1"
  access_key = "testing"
  secret_key = "testing"

  endpoints {
    lambda     = "http://127.0.0.1:5000"
    cloudwatch = "http://127.0.0.1:5000"
    sts        = "http://127.0.0.1:5000"
  }
}
