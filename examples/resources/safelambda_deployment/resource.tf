# Release every code change of aws_lambda_function.api behind the "live" alias:
# 10% of traffic for 5 minutes, then all of it, rolling back if an alarm trips
# or a hook fails. source_code_hash (set from filebase64sha256 of the zip on the
# function) changes at plan time, so the apply that uploads new code releases it.
resource "safelambda_deployment" "api" {
  function_name = aws_lambda_function.api.function_name
  alias         = "live"
  code_sha256   = aws_lambda_function.api.source_code_hash
  description   = "release ${var.release}"

  traffic_shift = {
    preset = "Canary10Percent5Minutes"
  }

  alarms = [aws_cloudwatch_metric_alarm.api_errors.alarm_name]

  hooks = {
    pre_traffic  = aws_lambda_function.smoke_test.function_name
    post_traffic = aws_lambda_function.e2e_test.function_name
  }
}

# Custom steps, releasing a version the function already published (publish = true).
resource "safelambda_deployment" "worker" {
  function_name = aws_lambda_function.worker.function_name
  alias         = "live"
  version       = aws_lambda_function.worker.version

  traffic_shift = {
    steps = [
      { percentage = 1, hold = "2m" },
      { percentage = 25, hold = "5m" },
    ]
  }

  alarms              = [aws_cloudwatch_metric_alarm.worker_errors.alarm_name]
  alarm_poll_interval = "5s"
  keep_versions       = 10

  timeouts = {
    create = "30m"
    update = "30m"
  }
}

# API Gateway integrates with the alias, so it always calls what is live, and the
# permission is the alias's own: the release's wiring check sees that traffic reaches
# the alias before it shifts any.
resource "aws_apigatewayv2_integration" "api" {
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_uri        = safelambda_deployment.api.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  qualifier     = safelambda_deployment.api.alias
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/*"
}

# The worker's queue is mapped to the alias, not to the function.
resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn = aws_sqs_queue.jobs.arn
  function_name    = safelambda_deployment.worker.alias_arn
}
