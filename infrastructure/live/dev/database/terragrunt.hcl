include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

terraform {
  source = "${include.root.locals.modules_dir}//database"
}

dependency "network" {
  config_path = "../network"

  mock_outputs = {
    vpc_id                     = "vpc-00000000000000000"
    database_subnet_group_name = "mock-db"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "destroy"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "cluster" {
  config_path = "../cluster"

  mock_outputs = {
    cluster_primary_security_group_id = "sg-00000000000000000"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "destroy"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  vpc_id                     = dependency.network.outputs.vpc_id
  db_subnet_group_name       = dependency.network.outputs.database_subnet_group_name
  allowed_security_group_ids = [dependency.cluster.outputs.cluster_primary_security_group_id]

  engine_version = "17"
  database_name  = "infinitypool"

  # Scale to zero: the sample idles most of the time, and a paused instance costs only storage.
  min_capacity             = 0
  max_capacity             = 2
  seconds_until_auto_pause = 900

  deletion_protection = false
  final_snapshot      = false
}
