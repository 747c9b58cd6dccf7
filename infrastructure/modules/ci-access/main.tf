locals {
  github_oidc_url = "https://token.actions.githubusercontent.com"

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
}

# The trust policy lives in a provider-free module so that its rules (both forms of GitHub's OIDC
# subject, exact matches only) are tested offline against real claim strings.
module "trust" {
  source = "../github-oidc-trust"

  github_repository          = var.github_repository
  github_repository_id       = var.github_repository_id
  github_repository_owner_id = var.github_repository_owner_id
  allowed_branches           = var.allowed_branches
  allowed_environments       = var.allowed_environments
  allow_pull_requests        = var.allow_pull_requests
  oidc_provider_arn          = local.oidc_provider_arn
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = local.github_oidc_url
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate against its own trusted CAs; the thumbprint is only a
  # required placeholder for this issuer.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]

  tags = var.tags
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1

  url = local.github_oidc_url
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.deployment}-github-deploy"
  description          = "Assumed by GitHub Actions of ${var.github_repository} to deploy ${var.deployment}"
  assume_role_policy   = module.trust.policy_json
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn == "" ? null : var.permissions_boundary_arn

  tags = var.tags

}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = toset(var.policy_arns)

  role       = aws_iam_role.deploy.name
  policy_arn = each.value
}
