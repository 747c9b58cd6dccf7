# Lints every module: `tflint --init` once, then `tflint --recursive` from infrastructure/modules
# with this file passed by absolute path (see README).
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

plugin "aws" {
  enabled = true
  version = "0.40.0"
  source  = "github.com/terraform-linters/tflint-ruleset-aws"
}
