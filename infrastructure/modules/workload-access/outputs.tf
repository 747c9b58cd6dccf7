output "backend_role_arn" {
  description = "ARN of the IAM role the backend assumes through EKS Pod Identity."
  value       = module.backend.iam_role_arn
}

output "backend_role_name" {
  description = "Name of the backend IAM role."
  value       = module.backend.iam_role_name
}

output "namespace" {
  description = "Namespace bound by the Pod Identity association."
  value       = var.namespace
}

output "service_account" {
  description = "ServiceAccount bound by the Pod Identity association."
  value       = var.service_account
}
