include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

terraform {
  source = "${include.root.locals.modules_dir}//network"
}

inputs = {
  vpc_cidr           = "10.0.0.0/16"
  az_count           = 3
  nat_gateway_per_az = false
}
