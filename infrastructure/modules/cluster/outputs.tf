output "cluster_name" {
  description = "Name of the EKS cluster (for aws eks update-kubeconfig and the Pod Identity association)."
  value       = module.eks.cluster_name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = module.eks.cluster_arn
}

output "cluster_endpoint" {
  description = "Kubernetes API server endpoint."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64-encoded certificate authority data of the API server."
  value       = module.eks.cluster_certificate_authority_data
}

output "kubernetes_version" {
  description = "Kubernetes version of the control plane."
  value       = module.eks.cluster_version
}

output "cluster_primary_security_group_id" {
  description = "Security group EKS creates for the cluster; Auto Mode nodes (and so every pod) carry it."
  value       = module.eks.cluster_primary_security_group_id
}

output "cluster_security_group_id" {
  description = "Additional security group of the control plane created by the module; empty when none was created."
  value       = try(coalesce(module.eks.cluster_security_group_id, ""), "")
}

output "node_security_group_id" {
  description = "Shared node security group created by the module (used by any non-Auto-Mode node groups); empty when none was created."
  value       = try(coalesce(module.eks.node_security_group_id, ""), "")
}

output "region" {
  description = "Region the cluster runs in."
  value       = data.aws_region.current.region
}
