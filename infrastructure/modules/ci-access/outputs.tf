output "deploy_role_arn" {
  description = "ARN of the role GitHub Actions assumes (set it as the repository variable AWS_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.deploy.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC identity provider (created here or looked up)."
  value       = local.oidc_provider_arn
}

output "trusted_subjects" {
  description = "OIDC subject claims the deploy role trusts."
  value       = module.trust.subjects
}
