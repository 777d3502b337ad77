terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    safelambda = {
      source = "safelambda/safelambda"
    }
  }
}

# Both providers take their region, credentials and endpoints from the environment
# (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL …). `make demo` points them at a local moto.
provider "aws" {}

provider "safelambda" {}
