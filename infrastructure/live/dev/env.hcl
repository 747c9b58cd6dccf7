# Settings of the dev environment. Everything that differs between deployments comes from the
# environment so that one checkout can stand up several deployments in any account and region.
locals {
  # Every AWS name derives from this key; pick a different one per deployment in an account.
  deployment = get_env("TG_DEPLOYMENT", "infinity-pool-dev")
  region     = get_env("AWS_REGION", "eu-west-1")

  # owner/name of the GitHub repository whose workflows may assume the deploy role.
  # GitHub Actions sets GITHUB_REPOSITORY; set it yourself when applying from a workstation.
  github_repository   = get_env("GITHUB_REPOSITORY", "")
  deploy_branches     = compact(split(",", get_env("TG_DEPLOY_BRANCHES", "main")))
  deploy_environments = compact(split(",", get_env("TG_DEPLOY_ENVIRONMENTS", "")))

  # The GitHub OIDC provider is one per account: false for the second deployment in an account.
  create_github_oidc_provider = get_env("TG_CREATE_GITHUB_OIDC_PROVIDER", "true") == "true"

  # Extra cluster admins besides the deploy role, e.g. the IAM user or SSO role you apply with
  # (comma-separated IAM role or user ARNs, not assumed-role session ARNs).
  extra_cluster_admin_arns = compact(split(",", get_env("TG_CLUSTER_ADMIN_ARNS", "")))

  # Who may reach the Kubernetes API (comma-separated CIDRs).
  api_allowed_cidrs = compact(split(",", get_env("TG_API_ALLOWED_CIDRS", "0.0.0.0/0")))

  tags = {
    Environment = "dev"
  }
}
