# The incident button for a deployment:
#   terraform apply -invoke=action.safelambda_rollback.api
resource "safelambda_deployment" "api" {
  function_name = aws_lambda_function.api.function_name
  alias         = "live"
  code_sha256   = aws_lambda_function.api.source_code_hash # = filebase64sha256(the zip), known at plan
  traffic_shift = { preset = "Canary10Percent5Minutes" }
  alarms        = [aws_cloudwatch_metric_alarm.api_errors.alarm_name]
}

action "safelambda_rollback" "api" {
  config {
    function_name = safelambda_deployment.api.function_name
    alias         = safelambda_deployment.api.alias
    alarms        = safelambda_deployment.api.alarms
    # to_version = "41"   # default: the version served before the current one
  }
}
