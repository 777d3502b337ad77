# Every alias of every function in the provider's region. Terraform stops a list block
# at 100 results unless limit says otherwise.
list "safelambda_deployment" "all" {
  provider = safelambda
  limit    = 1000
}
