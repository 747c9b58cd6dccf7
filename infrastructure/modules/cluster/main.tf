data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  cluster_name = "eks-${var.deployment}"
}

# One access entry per distinct principal, keyed by its ARN (provider-free module, tested offline).
module "access" {
  source = "../access-entries"

  principal_arns = var.admin_principal_arns
  partition      = data.aws_partition.current.partition
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "21.19.0"

  name               = local.cluster_name
  kubernetes_version = var.kubernetes_version

  endpoint_private_access      = true
  endpoint_public_access       = var.endpoint_public_access
  endpoint_public_access_cidrs = var.endpoint_public_access_cidrs

  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids

  # Auto Mode: AWS runs compute, load balancing (ALB for Ingress), block storage,
  # CoreDNS, kube-proxy, the VPC CNI and the Pod Identity agent.
  compute_config = {
    enabled    = true
    node_pools = var.node_pools
  }

  # Access entries only; the aws-auth ConfigMap is not consulted.
  authentication_mode                      = "API"
  enable_cluster_creator_admin_permissions = false
  access_entries                           = module.access.access_entries

  # Workloads get AWS credentials through EKS Pod Identity, so no IRSA OIDC provider is needed.
  enable_irsa = false

  enabled_log_types                      = var.enabled_log_types
  cloudwatch_log_group_retention_in_days = var.log_retention_days

  # The key policy delegates to IAM so that no single principal (whoever applied first) owns the
  # Kubernetes secrets encryption key.
  kms_key_enable_default_policy = true
  kms_key_administrators        = module.access.principal_arns

  tags = var.tags
}
