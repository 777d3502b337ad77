# A complete release pipeline for one Lambda function, the way a team would write it:
# the function publishes a version on every change, its error alarm watches the new
# version on the alias (ExecutedVersion dimension), two Python hooks test the release
# before and after traffic moves, and safelambda_deployment moves the "live" alias.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "${var.name}-app"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy_attachment" "app_logs" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "app" {
  function_name    = var.name
  role             = aws_iam_role.app.arn
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = "${var.package_dir}/app.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/app.zip")
  publish          = true                     # every change becomes a version; safelambda releases it
  description      = "release ${var.release}" # published versions carry it

  environment {
    variables = { RELEASE = var.release }
  }
}

# The hooks test the version under release: its ARN is in the payload.
resource "aws_iam_role" "hooks" {
  name               = "${var.name}-release-hooks"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy" "hooks_invoke_app" {
  name = "invoke-app-versions"
  role = aws_iam_role.hooks.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = ["${aws_lambda_function.app.arn}:*"]
    }]
  })
}

resource "aws_lambda_function" "pre_traffic" {
  function_name    = "${var.name}-pre-traffic"
  role             = aws_iam_role.hooks.arn
  runtime          = "python3.12"
  handler          = "pre_traffic.handler"
  filename         = "${var.package_dir}/pre_traffic.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/pre_traffic.zip")
  timeout          = 30
}

resource "aws_lambda_function" "post_traffic" {
  function_name    = "${var.name}-post-traffic"
  role             = aws_iam_role.hooks.arn
  runtime          = "python3.12"
  handler          = "post_traffic.handler"
  filename         = "${var.package_dir}/post_traffic.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/post_traffic.zip")
  timeout          = 60
}

# Errors of the version being released, as served through the alias.
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-live-errors"
  alarm_description   = "Errors of the version under release on ${var.name}:live"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {
    FunctionName    = aws_lambda_function.app.function_name
    Resource        = "${aws_lambda_function.app.function_name}:live"
    ExecutedVersion = aws_lambda_function.app.version
  }
}

resource "safelambda_deployment" "live" {
  function_name = aws_lambda_function.app.function_name
  alias         = "live"
  version       = aws_lambda_function.app.version

  traffic_shift = {
    canary = {
      percentage = var.canary_percentage
      interval   = var.canary_interval
    }
  }
  # Nothing triggers this example's function (callers would invoke app:live directly).
  # A real service points its event source mappings, function URL or permissions at the
  # alias (alias_arn, invoke_arn) and leaves this out, so each release checks they do.
  traffic_arrives_via = "direct_invoke"

  alarms              = [aws_cloudwatch_metric_alarm.errors.alarm_name]
  alarm_poll_interval = var.alarm_poll_interval

  hooks = {
    pre_traffic  = aws_lambda_function.pre_traffic.function_name
    post_traffic = aws_lambda_function.post_traffic.function_name
  }

  keep_versions = 5
}
