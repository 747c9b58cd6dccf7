include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

terraform {
  source = "${include.root.locals.modules_dir}//ci-access"
}

inputs = {
  github_repository          = include.root.locals.env.github_repository
  github_repository_id       = include.root.locals.env.github_repository_id
  github_repository_owner_id = include.root.locals.env.github_repository_owner_id
  allowed_branches           = include.root.locals.env.deploy_branches
  allowed_environments       = include.root.locals.env.deploy_environments
  create_oidc_provider       = include.root.locals.env.create_github_oidc_provider
}
