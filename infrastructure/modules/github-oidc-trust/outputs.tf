output "subjects" {
  description = "Every OIDC sub claim the role trusts: each allowed branch and environment in both the name form and the immutable-id form."
  value       = local.subjects

  precondition {
    condition     = length(local.subjects) > 0
    error_message = "TG_DEPLOY_BRANCHES and TG_DEPLOY_ENVIRONMENTS are both empty: no workflow run could assume the deploy role."
  }
}

output "policy_json" {
  description = "The trust policy document as compact JSON (IAM counts its length without whitespace; the default quota is 2048 characters)."
  value       = jsonencode(local.policy)

  precondition {
    condition     = length(jsonencode(local.policy)) <= 2048
    error_message = "The trust policy exceeds IAM's default 2048-character limit for role trust policies: list fewer TG_DEPLOY_BRANCHES or TG_DEPLOY_ENVIRONMENTS."
  }
}
