include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

terraform {
  source = "${include.root.locals.modules_dir}//ci-access"
}

inputs = {
  github_repository    = include.root.locals.env.github_repository
  allowed_branches     = include.root.locals.env.deploy_branches
  allowed_environments = include.root.locals.env.deploy_environments
  create_oidc_provider = include.root.locals.env.create_github_oidc_provider
}
