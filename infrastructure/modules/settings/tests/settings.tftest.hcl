# Run with `terraform init && terraform test`. infrastructure/test/settings.test.ts runs the same
# module through .github/scripts/validate-settings.sh and checks the messages name the setting.
variables {
  github_repository          = "octo-org/vigilant-pancake"
  github_repository_id       = "456789"
  github_repository_owner_id = "123456"
}

run "defaults" {
  command = plan

  assert {
    condition     = output.deployment == "infinity-pool-dev" && output.region == "eu-west-1"
    error_message = "defaults changed"
  }

  assert {
    condition     = output.deploy_branches == ["main"] && output.api_allowed_cidrs == ["0.0.0.0/0"] && output.create_github_oidc_provider
    error_message = "defaults changed"
  }

  assert {
    condition     = output.names.load_balancer == "infinity-pool-dev-gateway" && output.names.cluster == "eks-infinity-pool-dev"
    error_message = "derived names changed"
  }
}

run "lists_are_trimmed_and_deduplicated" {
  command = plan

  variables {
    tg_deploy_branches    = " main , release ,"
    tg_cluster_admin_arns = "arn:aws:iam::123456789012:user/a, arn:aws:iam::123456789012:user/a"
    tg_api_allowed_cidrs  = "203.0.113.0/24,198.51.100.7/32"
  }

  assert {
    condition     = jsonencode(output.deploy_branches) == jsonencode(["main", "release"]) && jsonencode(output.cluster_admin_arns) == jsonencode(["arn:aws:iam::123456789012:user/a"])
    error_message = "lists were not normalised"
  }
}

run "longest_key_fits_every_name" {
  command = plan

  variables {
    tg_deployment = "abcdefghijklmnopqrstuvwx"
  }

  assert {
    condition     = length(output.names.node_role_prefix) == 38 && length(output.names.load_balancer) == 32
    error_message = "name lengths changed"
  }
}

run "consecutive_hyphens_are_refused" {
  command = plan

  variables {
    tg_deployment = "infinity--pool"
  }

  expect_failures = [var.tg_deployment]
}

run "a_key_too_long_is_refused" {
  command = plan

  variables {
    tg_deployment = "abcdefghijklmnopqrstuvwxy"
  }

  expect_failures = [var.tg_deployment]
}

run "a_govcloud_region_is_refused" {
  command = plan

  variables {
    aws_region = "us-gov-west-1"
  }

  expect_failures = [var.aws_region]
}

run "a_region_without_auto_mode_is_refused" {
  command = plan

  variables {
    aws_region = "mx-central-1"
  }

  expect_failures = [output.region]
}

run "an_oidc_flag_that_is_not_a_bool_is_refused" {
  command = plan

  variables {
    tg_create_github_oidc_provider = "no"
  }

  expect_failures = [var.tg_create_github_oidc_provider]
}

run "a_non_canonical_cidr_is_refused" {
  command = plan

  variables {
    tg_api_allowed_cidrs = "203.0.113.7/24"
  }

  expect_failures = [output.api_allowed_cidrs]
}

run "a_private_cidr_is_refused" {
  command = plan

  variables {
    tg_api_allowed_cidrs = "10.20.0.0/16"
  }

  expect_failures = [output.api_allowed_cidrs]
}

# Rules applied inside the github-oidc-trust and access-entries modules (branches, environments,
# admin ARNs) are checked through validate-settings.sh in infrastructure/test/settings.test.ts,
# because expect_failures cannot name a nested module's variables.

run "a_certificate_from_another_region_is_refused" {
  command = plan

  variables {
    aws_region          = "eu-west-1"
    acm_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
  }

  expect_failures = [var.acm_certificate_arn]
}

run "an_unknown_ingress_scheme_is_refused" {
  command = plan

  variables {
    ingress_scheme = "public"
  }

  expect_failures = [var.ingress_scheme]
}
