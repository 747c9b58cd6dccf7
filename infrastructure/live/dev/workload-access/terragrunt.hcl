include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

terraform {
  source = "${include.root.locals.modules_dir}//workload-access"
}

dependency "cluster" {
  config_path = "../cluster"

  mock_outputs = {
    cluster_name = "eks-mock"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "destroy"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "database" {
  config_path = "../database"

  mock_outputs = {
    master_secret_arn         = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-mock-AbCdEf"
    master_secret_kms_key_arn = ""
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "destroy"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  cluster_name                = dependency.cluster.outputs.cluster_name
  namespace                   = "infinity-pool"
  service_account             = "infinity-pool-backend"
  database_secret_arn         = dependency.database.outputs.master_secret_arn
  database_secret_kms_key_arn = dependency.database.outputs.master_secret_kms_key_arn
}
