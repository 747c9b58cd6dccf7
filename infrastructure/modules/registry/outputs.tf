output "repository_urls" {
  description = "Repository URL per service, e.g. { gateway = \"<account>.dkr.ecr.<region>.amazonaws.com/<deployment>/gateway\", backend = ... }."
  value       = { for service, repo in aws_ecr_repository.service : service => repo.repository_url }
}

output "repository_arns" {
  description = "Repository ARN per service."
  value       = { for service, repo in aws_ecr_repository.service : service => repo.arn }
}

output "registry_url" {
  description = "Registry host to log in to (docker login / aws ecr get-login-password)."
  value       = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${data.aws_region.current.region}.amazonaws.com"
}
