# discover.tfquery.hcl
#   terraform query                                     lists the aliases and their routing
#   terraform query -generate-config-out=imported.tf    writes import blocks and configuration
list "safelambda_deployment" "live" {
  provider         = safelambda
  include_resource = true

  config {
    function_names = ["orders-api", "payments-api"]
    aliases        = ["live"]
  }
}
