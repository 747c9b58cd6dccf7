locals {
  # The defaults of infrastructure/live/dev/env.hcl (a contract test keeps the two equal).
  defaults = {
    tg_deployment                  = "infinity-pool-dev"
    aws_region                     = "eu-west-1"
    tg_deploy_branches             = "main"
    tg_deploy_environments         = ""
    tg_create_github_oidc_provider = "true"
    tg_cluster_admin_arns          = ""
    tg_api_allowed_cidrs           = "0.0.0.0/0"
    ingress_scheme                 = "internet-facing"
  }

  deployment  = coalesce(var.tg_deployment, local.defaults.tg_deployment)
  region      = coalesce(var.aws_region, local.defaults.aws_region)
  branches    = [for b in split(",", var.tg_deploy_branches == "" ? local.defaults.tg_deploy_branches : var.tg_deploy_branches) : trimspace(b) if trimspace(b) != ""]
  envs        = [for e in split(",", var.tg_deploy_environments) : trimspace(e) if trimspace(e) != ""]
  admin_arns  = [for a in split(",", var.tg_cluster_admin_arns) : trimspace(a) if trimspace(a) != ""]
  api_cidrs   = [for c in split(",", var.tg_api_allowed_cidrs == "" ? local.defaults.tg_api_allowed_cidrs : var.tg_api_allowed_cidrs) : trimspace(c) if trimspace(c) != ""]
  create_oidc = coalesce(var.tg_create_github_oidc_provider, local.defaults.tg_create_github_oidc_provider) == "true"
  scheme      = coalesce(var.ingress_scheme, local.defaults.ingress_scheme)

  # Private ranges can never reach a public endpoint: inside the VPC the private endpoint serves.
  private_ranges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10"]
  bad_cidrs = [for c in local.api_cidrs : c if !(
    can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", c)) &&
    can(cidrhost(c, 0)) &&
    try("${cidrhost(c, 0)}/${split("/", c)[1]}" == c, false)
  )]
  # try(): Terraform's && does not short-circuit, and bad_cidrs already reports malformed entries.
  private_cidrs = [for c in local.api_cidrs : c if anytrue([
    for r in local.private_ranges : try(
      tonumber(split("/", c)[1]) >= tonumber(split("/", r)[1]) && cidrhost("${cidrhost(c, 0)}/${split("/", r)[1]}", 0) == cidrhost(r, 0),
      false,
    )
  ])]

  # Names derived from the deployment key, each with the limit of the API that creates it. The
  # account ID is 12 digits, so a placeholder of that length checks the bucket name's length.
  names = {
    cluster              = "eks-${local.deployment}"
    cluster_role_prefix  = "eks-${local.deployment}-cluster-"
    node_role_prefix     = "eks-${local.deployment}-eks-auto-"
    deploy_role          = "${local.deployment}-github-deploy"
    backend_role         = "${local.deployment}-backend"
    database_cluster     = "${local.deployment}-db"
    db_subnet_group      = "${local.deployment}-db"
    state_bucket         = "tfstate-000000000000-${local.deployment}"
    load_balancer        = "${local.deployment}-gateway"
    gateway_repository   = "${local.deployment}/gateway"
    backend_repository   = "${local.deployment}/backend"
    parameter_group_stem = "${local.deployment}-aurora-pg17-"
  }
}

# The same rules the ci-access and cluster units apply, run here first.
module "trust" {
  source = "../github-oidc-trust"

  github_repository          = var.github_repository
  github_repository_id       = var.github_repository_id
  github_repository_owner_id = var.github_repository_owner_id
  allowed_branches           = local.branches
  allowed_environments       = local.envs
  oidc_provider_arn          = "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"
}

module "admins" {
  source = "../access-entries"
  count  = length(local.admin_arns) > 0 ? 1 : 0

  principal_arns = local.admin_arns
}
