include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

terraform {
  source = "${include.root.locals.modules_dir}//cluster"
}

dependency "network" {
  config_path = "../network"

  # Mocks let `validate` and `plan` run before the network exists; apply always reads real outputs.
  mock_outputs = {
    vpc_id             = "vpc-00000000000000000"
    private_subnet_ids = ["subnet-00000000000000001", "subnet-00000000000000002", "subnet-00000000000000003"]
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "destroy"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "ci_access" {
  config_path = "../ci-access"

  mock_outputs = {
    deploy_role_arn = "arn:aws:iam::123456789012:role/mock-github-deploy"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "destroy"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  kubernetes_version           = "1.35"
  vpc_id                       = dependency.network.outputs.vpc_id
  subnet_ids                   = dependency.network.outputs.private_subnet_ids
  endpoint_public_access       = true
  endpoint_public_access_cidrs = include.root.locals.env.api_allowed_cidrs
  admin_principal_arns         = concat([dependency.ci_access.outputs.deploy_role_arn], include.root.locals.env.extra_cluster_admin_arns)
}
