# Shared by every unit: remote state, provider and the deployment key.
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals

  deployment = local.env.deployment
  region     = local.env.region
  account_id = get_aws_account_id()

  # Units point at modules relative to this file, so the tree works from any checkout path.
  modules_dir = "${get_parent_terragrunt_dir()}/../modules"

  default_tags = merge(local.env.tags, {
    Project    = "infinity-pool"
    Deployment = local.deployment
    ManagedBy  = "terragrunt"
  })
}

# One bucket per account and deployment key, created on first use by
# `terragrunt run --all --backend-bootstrap apply` (or `terragrunt backend bootstrap --all`).
# Terraform's native S3 lockfile replaces the DynamoDB lock table.
remote_state {
  backend = "s3"

  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }

  config = {
    bucket       = "tfstate-${local.account_id}-${local.deployment}"
    key          = "${path_relative_to_include()}/terraform.tfstate"
    region       = local.region
    encrypt      = true
    use_lockfile = true
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-EOT
    provider "aws" {
      region = "${local.region}"

      default_tags {
        tags = ${jsonencode(local.default_tags)}
      }
    }
  EOT
}

inputs = {
  deployment = local.deployment
}
