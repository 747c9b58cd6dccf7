# The deploy role's trust policy, kept free of providers so that `terraform test` can check it on any
# machine. GitHub's OIDC sub claim names the repository in one of two forms
# (https://docs.github.com/en/actions/reference/security/oidc#immutable-subject-claims):
#   repo:OWNER/REPO:ref:refs/heads/main                      names only (older repositories)
#   repo:OWNER@OWNER_ID/REPO@REPO_ID:ref:refs/heads/main     immutable ids (every repository created,
#                                                            renamed or transferred since mid-2026,
#                                                            and any that opted in)
# Both are trusted, for exactly the listed branches and environments: StringEquals, no wildcards.
locals {
  owner = split("/", var.github_repository)[0]
  name  = split("/", var.github_repository)[1]

  subject_prefixes = [
    "repo:${var.github_repository}",
    "repo:${local.owner}@${var.github_repository_owner_id}/${local.name}@${var.github_repository_id}",
  ]

  subjects = flatten([for prefix in local.subject_prefixes : concat(
    [for b in var.allowed_branches : "${prefix}:ref:refs/heads/${b}"],
    [for e in var.allowed_environments : "${prefix}:environment:${e}"],
    var.allow_pull_requests ? ["${prefix}:pull_request"] : [],
  )])

  policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GitHubActionsOfThisRepository"
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = ["sts.amazonaws.com"]
          "token.actions.githubusercontent.com:sub" = local.subjects
        }
      }
    }]
  }
}
