# EKS access entries for cluster admins, keyed by principal ARN so that listing an ARN twice or
# reordering the list changes nothing (keys by list position would replace entries on every
# reorder, and a repeated ARN would fail with ResourceInUseException). Provider-free so that
# `terraform test` checks it offline.
locals {
  access_entries = {
    for arn in distinct(var.principal_arns) : arn => {
      principal_arn = arn
      policy_associations = {
        cluster_admin = {
          policy_arn = "arn:${var.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
          access_scope = {
            type = "cluster"
          }
        }
      }
    }
  }
}
