output "live_version" {
  description = "The version the live alias serves."
  value       = safelambda_deployment.live.version
}

output "previous_version" {
  description = "What the alias served before the last release."
  value       = safelambda_deployment.live.previous_version
}

output "last_deployment" {
  description = "How the last release ended."
  value       = safelambda_deployment.live.last_deployment
}

output "schedule" {
  description = "The release plan in words."
  value       = safelambda_deployment.live.schedule
}

output "invoke_arn" {
  description = "For an API Gateway integration."
  value       = safelambda_deployment.live.invoke_arn
}
