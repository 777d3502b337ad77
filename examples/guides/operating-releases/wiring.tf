terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
    safelambda = {
      source = "safelambda/safelambda"
    }
  }
}

variable "role_arn" {
  description = "The function's execution role."
  type        = string
}

variable "package" {
  description = "The function's zip, e.g. \"lambda.zip\"."
  type        = string
}

resource "aws_lambda_function" "api" {
  function_name    = "orders-api"
  role             = var.role_arn
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = var.package
  source_code_hash = filebase64sha256(var.package)
}

resource "safelambda_deployment" "api" {
  function_name = aws_lambda_function.api.function_name
  alias         = "live"
  code_sha256   = aws_lambda_function.api.source_code_hash
  traffic_shift = { preset = "Canary10Percent5Minutes" }
  # traffic_arrives_via is left out: every trigger below names the alias, and the
  # release checks that one does before it shifts.
}

# SQS: the mapping invokes the alias, not the function.
resource "aws_sqs_queue" "orders" {
  name = "orders"
}

resource "aws_lambda_event_source_mapping" "orders" {
  event_source_arn = aws_sqs_queue.orders.arn
  function_name    = safelambda_deployment.api.alias_arn
}

# API Gateway: the integration calls the alias, and the permission is on the alias.
resource "aws_apigatewayv2_api" "http" {
  name          = "orders"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "api" {
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_uri        = safelambda_deployment.api.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_lambda_permission" "apigw" {
  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  qualifier     = safelambda_deployment.api.alias
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/*"
}

# A function URL on the alias.
resource "aws_lambda_function_url" "api" {
  function_name      = aws_lambda_function.api.function_name
  qualifier          = safelambda_deployment.api.alias
  authorization_type = "AWS_IAM"
}

# S3 (SNS and EventBridge the same way): a permission with qualifier, and the
# notification (subscription endpoint, event target arn) at alias_arn.
resource "aws_s3_bucket" "uploads" {
  bucket_prefix = "orders-uploads-"
}

resource "aws_lambda_permission" "uploads" {
  statement_id  = "AllowS3Invoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  qualifier     = safelambda_deployment.api.alias
  principal     = "s3.amazonaws.com"
  source_arn    = aws_s3_bucket.uploads.arn
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  lambda_function {
    lambda_function_arn = safelambda_deployment.api.alias_arn
    events              = ["s3:ObjectCreated:*"]
  }
  depends_on = [aws_lambda_permission.uploads]
}
