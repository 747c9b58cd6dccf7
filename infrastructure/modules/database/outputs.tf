output "endpoint" {
  description = "Writer endpoint of the Aurora cluster (the backend's DB_HOST)."
  value       = module.aurora.cluster_endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint of the Aurora cluster."
  value       = module.aurora.cluster_reader_endpoint
}

output "port" {
  description = "PostgreSQL port (the backend's DB_PORT)."
  value       = module.aurora.cluster_port
}

output "database_name" {
  description = "Name of the application database (the backend's DB_NAME)."
  value       = var.database_name
}

output "master_username" {
  description = "Master user name (the password lives only in the RDS-managed secret)."
  value       = var.master_username
}

output "master_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials as JSON with username and password (the backend's DB_SECRET_ID)."
  value       = module.aurora.cluster_master_user_secret[0].secret_arn
}

output "master_secret_kms_key_arn" {
  description = "Customer-managed KMS key encrypting the master secret; empty when the AWS-managed key is used."
  value       = var.kms_key_arn
}

output "cluster_identifier" {
  description = "Identifier of the Aurora cluster."
  value       = module.aurora.cluster_id
}

output "cluster_arn" {
  description = "ARN of the Aurora cluster."
  value       = module.aurora.cluster_arn
}

output "engine_version" {
  description = "Aurora PostgreSQL engine version running."
  value       = module.aurora.cluster_engine_version_actual
}

output "security_group_id" {
  description = "Security group of the database."
  value       = module.aurora.security_group_id
}
