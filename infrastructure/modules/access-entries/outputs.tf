output "access_entries" {
  description = "Map for terraform-aws-modules/eks access_entries: principal ARN => cluster-admin entry."
  value       = local.access_entries
}

output "principal_arns" {
  description = "The distinct principal ARNs, in first-seen order (for the KMS key administrators)."
  value       = distinct(var.principal_arns)
}
