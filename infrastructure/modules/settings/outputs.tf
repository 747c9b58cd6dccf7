output "deployment" {
  description = "The deployment key in effect."
  value       = local.deployment

  precondition {
    # IAM: a name_prefix leaves 38 characters (26 go to the generated suffix).
    condition     = length(local.names.cluster_role_prefix) <= 38 && length(local.names.node_role_prefix) <= 38
    error_message = "TG_DEPLOYMENT is too long for the IAM role name prefixes of the EKS cluster (at most 38 characters)."
  }

  precondition {
    # Elastic Load Balancing: at most 32 characters, letters, digits and hyphens.
    condition     = length(local.names.load_balancer) <= 32
    error_message = "TG_DEPLOYMENT is too long for the load balancer name <deployment>-gateway (at most 32 characters)."
  }

  precondition {
    # S3: 3-63 characters.
    condition     = length(local.names.state_bucket) <= 63
    error_message = "TG_DEPLOYMENT is too long for the state bucket name tfstate-<account>-<deployment> (at most 63 characters)."
  }
}

output "region" {
  description = "The Region in effect."
  value       = local.region

  precondition {
    condition     = !contains(var.regions_without_auto_mode, local.region)
    error_message = "AWS_REGION ${local.region}: EKS Auto Mode is not offered in this Region yet (EKS user guide, \"Create a cluster with Amazon EKS Auto Mode\"); pick another Region."
  }
}

output "deploy_branches" {
  description = "TG_DEPLOY_BRANCHES as a list."
  value       = local.branches
}

output "deploy_environments" {
  description = "TG_DEPLOY_ENVIRONMENTS as a list."
  value       = local.envs
}

output "trusted_subjects" {
  description = "The OIDC subjects the deploy role will trust."
  value       = module.trust.subjects
}

output "create_github_oidc_provider" {
  description = "TG_CREATE_GITHUB_OIDC_PROVIDER as a bool."
  value       = local.create_oidc
}

output "cluster_admin_arns" {
  description = "TG_CLUSTER_ADMIN_ARNS as a list without duplicates."
  value       = length(local.admin_arns) > 0 ? module.admins[0].principal_arns : []
}

output "api_allowed_cidrs" {
  description = "TG_API_ALLOWED_CIDRS as a list."
  value       = local.api_cidrs

  precondition {
    condition     = length(local.bad_cidrs) == 0
    error_message = "TG_API_ALLOWED_CIDRS: ${join(", ", local.bad_cidrs)} is not an IPv4 CIDR in canonical form (network address with the host bits zero, e.g. 203.0.113.0/24)."
  }

  precondition {
    condition     = length(local.private_cidrs) == 0
    error_message = "TG_API_ALLOWED_CIDRS: ${join(", ", local.private_cidrs)} is a private range, which can never reach the public API endpoint (inside the VPC the private endpoint serves)."
  }

  precondition {
    # Amazon EKS quota: 40 public access CIDR blocks per cluster.
    condition     = length(local.api_cidrs) >= 1 && length(local.api_cidrs) <= 40 && length(distinct(local.api_cidrs)) == length(local.api_cidrs)
    error_message = "TG_API_ALLOWED_CIDRS must list 1 to 40 distinct CIDR blocks."
  }
}

output "ingress_scheme" {
  description = "INGRESS_SCHEME in effect."
  value       = local.scheme
}

output "names" {
  description = "AWS names derived from the deployment key."
  value       = local.names
}
