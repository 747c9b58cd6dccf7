include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

terraform {
  source = "${include.root.locals.modules_dir}//registry"
}

inputs = {
  services     = ["gateway", "backend"]
  force_delete = true
}
