locals {
  github_oidc_url = "https://token.actions.githubusercontent.com"

  subjects = concat(
    [for b in var.allowed_branches : "repo:${var.github_repository}:ref:refs/heads/${b}"],
    [for e in var.allowed_environments : "repo:${var.github_repository}:environment:${e}"],
    var.allow_pull_requests ? ["repo:${var.github_repository}:pull_request"] : [],
  )

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
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

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitHubActionsOfThisRepository"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    # Exact subjects only (StringEquals, no wildcards): one repository, the listed branches and
    # environments. Forks and other repositories present a different subject.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = local.subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.deployment}-github-deploy"
  description          = "Assumed by GitHub Actions of ${var.github_repository} to deploy ${var.deployment}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn == "" ? null : var.permissions_boundary_arn

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.subjects) > 0
      error_message = "At least one of allowed_branches, allowed_environments or allow_pull_requests must grant access."
    }
  }
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = toset(var.policy_arns)

  role       = aws_iam_role.deploy.name
  policy_arn = each.value
}
