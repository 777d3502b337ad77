terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.76" # aws_chatbot_slack_channel_configuration
    }
    safelambda = {
      source = "safelambda/safelambda"
    }
  }
}

variable "function_name" {
  type    = string
  default = "orders-api"
}

variable "code_sha256" {
  description = "From the build, e.g. aws_lambda_function.orders_api.source_code_hash."
  type        = string
}

variable "slack_team_id" {
  description = "The Slack workspace authorized in the AWS Chatbot console."
  type        = string
}

variable "slack_channel_id" {
  type = string
}

variable "pagerduty_routing_key" {
  description = "Integration key of a PagerDuty service's Events API v2 integration."
  type        = string
  sensitive   = true
}

# A bus of its own for release events. The account's "default" bus works as well.
resource "aws_cloudwatch_event_bus" "releases" {
  name = "releases"
}

resource "safelambda_deployment" "orders_api" {
  function_name = var.function_name
  alias         = "live"
  code_sha256   = var.code_sha256
  traffic_shift = { preset = "Canary10Percent5Minutes" }
  alarms        = ["orders-api-errors"]

  events = {
    event_bus = aws_cloudwatch_event_bus.releases.name
  }
}

# --- Chat: every start, trip, rollback and end in a Slack channel, one thread per release.

resource "aws_sns_topic" "releases" {
  name = "releases"
}

data "aws_iam_policy_document" "releases_topic" {
  statement {
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.releases.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_policy" "releases" {
  arn    = aws_sns_topic.releases.arn
  policy = data.aws_iam_policy_document.releases_topic.json
}

resource "aws_cloudwatch_event_rule" "release_to_chat" {
  name           = "release-to-chat"
  event_bus_name = aws_cloudwatch_event_bus.releases.name
  event_pattern = jsonencode({
    source        = ["safelambda"]
    "detail-type" = ["Release Started", "Release Tripped", "Release Rolled Back", "Release Finished"]
  })
}

# AWS Chatbot shows only AWS service events and "custom notifications": the input
# transformer turns a release event into one.
resource "aws_cloudwatch_event_target" "release_to_chat" {
  rule           = aws_cloudwatch_event_rule.release_to_chat.name
  event_bus_name = aws_cloudwatch_event_bus.releases.name
  arn            = aws_sns_topic.releases.arn

  input_transformer {
    input_paths = {
      type     = "$.detail-type"
      release  = "$.detail.release_id"
      function = "$.detail.function"
      alias    = "$.detail.alias"
      target   = "$.detail.target_version"
      previous = "$.detail.previous_version"
      status   = "$.detail.status"
      message  = "$.detail.message"
      run_by   = "$.detail.run_by"
    }
    input_template = <<-EOT
      {
        "version": "1.0",
        "source": "custom",
        "content": {
          "textType": "client-markdown",
          "title": "<type>: <function>:<alias> <previous> → <target> (<status>)",
          "description": "<message> (run by <run_by>)"
        },
        "metadata": {
          "threadId": "<release>",
          "eventType": "<type>"
        }
      }
    EOT
  }
}

resource "aws_iam_role" "chatbot" {
  name = "releases-chatbot"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "chatbot.amazonaws.com" }
    }]
  })
}

resource "aws_chatbot_slack_channel_configuration" "releases" {
  configuration_name = "releases"
  iam_role_arn       = aws_iam_role.chatbot.arn
  slack_team_id      = var.slack_team_id
  slack_channel_id   = var.slack_channel_id
  sns_topic_arns     = [aws_sns_topic.releases.arn]
}

# --- Paging: one PagerDuty incident per release that rolled back or failed.

resource "aws_cloudwatch_event_connection" "pagerduty" {
  name               = "pagerduty"
  authorization_type = "API_KEY"
  auth_parameters {
    # The Events API reads the routing key from the body (below); a connection needs an
    # authorization all the same.
    api_key {
      key   = "X-Routing-Key"
      value = var.pagerduty_routing_key
    }
  }
}

resource "aws_cloudwatch_event_api_destination" "pagerduty" {
  name                             = "pagerduty"
  invocation_endpoint              = "https://events.pagerduty.com/v2/enqueue"
  http_method                      = "POST"
  invocation_rate_limit_per_second = 10
  connection_arn                   = aws_cloudwatch_event_connection.pagerduty.arn
}

resource "aws_iam_role" "events_to_pagerduty" {
  name = "releases-to-pagerduty"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "events.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "events_to_pagerduty" {
  name = "invoke-pagerduty"
  role = aws_iam_role.events_to_pagerduty.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "events:InvokeApiDestination"
      Resource = aws_cloudwatch_event_api_destination.pagerduty.arn
    }]
  })
}

resource "aws_cloudwatch_event_rule" "release_to_pager" {
  name           = "release-to-pager"
  event_bus_name = aws_cloudwatch_event_bus.releases.name
  event_pattern = jsonencode({
    source        = ["safelambda"]
    "detail-type" = ["Release Finished"]
    detail        = { status = ["RolledBack", "Failed"] }
  })
}

resource "aws_cloudwatch_event_target" "release_to_pager" {
  rule           = aws_cloudwatch_event_rule.release_to_pager.name
  event_bus_name = aws_cloudwatch_event_bus.releases.name
  arn            = aws_cloudwatch_event_api_destination.pagerduty.arn
  role_arn       = aws_iam_role.events_to_pagerduty.arn

  input_transformer {
    input_paths = {
      release  = "$.detail.release_id"
      function = "$.detail.function"
      alias    = "$.detail.alias"
      target   = "$.detail.target_version"
      status   = "$.detail.status"
      cause    = "$.detail.cause"
      live     = "$.detail.live.version"
      run_by   = "$.detail.run_by"
    }
    input_template = <<-EOT
      {
        "routing_key": "${var.pagerduty_routing_key}",
        "event_action": "trigger",
        "dedup_key": "<release>",
        "payload": {
          "summary": "Release of <function>:<alias> version <target>: <status>. <cause>",
          "source": "<function>:<alias>",
          "severity": "error",
          "custom_details": {
            "live_version": "<live>",
            "run_by": "<run_by>",
            "release_id": "<release>"
          }
        }
      }
    EOT
  }
}
