# Settings of the dev environment. Everything that differs between deployments comes from the
# environment so that one checkout can stand up several deployments in any account and Region.
#
# The pipeline (cicd.yaml, destroy.yaml) passes every TG_* setting from the repository variable of
# the same name, and bootstrap-oidc.sh stores the values it used there, so every run sees the same
# settings. An unset or empty variable means the default written here; modules/settings holds the
# same defaults and validates every value before anything is created
# (.github/scripts/validate-settings.sh).
locals {
  # Every AWS name derives from this key; pick a different one per deployment in an account.
  deployment = coalesce(trimspace(get_env("TG_DEPLOYMENT", "")), "infinity-pool-dev")
  region     = coalesce(trimspace(get_env("AWS_REGION", "")), "eu-west-1")

  # The GitHub repository whose workflows may assume the deploy role, by name and by its immutable
  # ids (GitHub Actions sets all three; on a workstation bootstrap-oidc.sh looks them up).
  github_repository          = trimspace(get_env("GITHUB_REPOSITORY", ""))
  github_repository_id       = trimspace(get_env("GITHUB_REPOSITORY_ID", ""))
  github_repository_owner_id = trimspace(get_env("GITHUB_REPOSITORY_OWNER_ID", ""))

  deploy_branches     = [for b in split(",", coalesce(trimspace(get_env("TG_DEPLOY_BRANCHES", "")), "main")) : trimspace(b) if trimspace(b) != ""]
  deploy_environments = [for e in split(",", trimspace(get_env("TG_DEPLOY_ENVIRONMENTS", ""))) : trimspace(e) if trimspace(e) != ""]

  # The GitHub OIDC provider is one per account: false for the second deployment in an account.
  create_github_oidc_provider = coalesce(trimspace(get_env("TG_CREATE_GITHUB_OIDC_PROVIDER", "")), "true") == "true"

  # Extra cluster admins besides the deploy role, e.g. the IAM user or SSO role you apply with
  # (comma-separated IAM role or user ARNs, not assumed-role session ARNs).
  extra_cluster_admin_arns = [for a in split(",", trimspace(get_env("TG_CLUSTER_ADMIN_ARNS", ""))) : trimspace(a) if trimspace(a) != ""]

  # Who may reach the Kubernetes API (comma-separated public IPv4 CIDRs).
  api_allowed_cidrs = [for c in split(",", coalesce(trimspace(get_env("TG_API_ALLOWED_CIDRS", "")), "0.0.0.0/0")) : trimspace(c) if trimspace(c) != ""]

  tags = {
    Environment = "dev"
  }
}
