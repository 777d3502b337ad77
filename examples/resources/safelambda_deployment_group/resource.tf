# Three functions of one system released together: every alias carries each step's
# weight before the step's hold starts, one set of alarms judges them all, and any trip
# rolls every one back.
resource "aws_lambda_function" "svc" {
  for_each = toset(["api", "worker", "notifier"])

  function_name    = "orders-${each.key}"
  role             = aws_iam_role.lambda.arn
  runtime          = "python3.12"
  handler          = "${each.key}.handler"
  filename         = "${each.key}.zip"
  source_code_hash = filebase64sha256("${each.key}.zip")
}

resource "safelambda_deployment_group" "orders" {
  members = {
    for k, f in aws_lambda_function.svc : k => {
      function_name = f.function_name
      alias         = "live"
      code_sha256   = f.source_code_hash
    }
  }

  traffic_shift = { preset = "Canary10Percent5Minutes" }
  alarms        = ["orders-5xx", "orders-dlq-depth"]
  hooks = {
    post_traffic = "orders-smoke-test" # invoked once, with every member in its payload
  }
}
