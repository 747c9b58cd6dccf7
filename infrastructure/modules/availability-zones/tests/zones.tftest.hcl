# Zone lists as accounts really see them. Run with `terraform init && terraform test`.
run "three_of_four_zones_in_a_large_region" {
  command = plan

  variables {
    region     = "eu-west-1"
    zone_names = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
    zone_ids   = ["euw1-az3", "euw1-az1", "euw1-az2", "euw1-az4"]
  }

  assert {
    condition     = output.names == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    error_message = "unexpected zones: ${jsonencode(output.names)}"
  }
}

run "a_region_with_two_zones_uses_two" {
  command = plan

  variables {
    region     = "us-west-1"
    zone_names = ["us-west-1a", "us-west-1c"]
    zone_ids   = ["usw1-az1", "usw1-az3"]
  }

  assert {
    condition     = output.names == ["us-west-1a", "us-west-1c"]
    error_message = "unexpected zones: ${jsonencode(output.names)}"
  }
}

run "the_zone_eks_refuses_is_skipped" {
  command = plan

  variables {
    region     = "us-east-1"
    zone_names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
    zone_ids   = ["use1-az3", "use1-az4", "use1-az6", "use1-az1", "use1-az2", "use1-az5"]
  }

  assert {
    condition     = output.names == ["us-east-1b", "us-east-1c", "us-east-1d"]
    error_message = "use1-az3 must be skipped: ${jsonencode(output.names)}"
  }

  assert {
    condition     = output.ids == ["use1-az4", "use1-az6", "use1-az1"]
    error_message = "unexpected ids: ${jsonencode(output.ids)}"
  }
}

run "two_zones_left_after_refusal" {
  command = plan

  variables {
    region     = "ca-central-1"
    zone_names = ["ca-central-1a", "ca-central-1b", "ca-central-1d"]
    zone_ids   = ["cac1-az1", "cac1-az2", "cac1-az4"]
  }

  assert {
    condition     = output.names == ["ca-central-1a", "ca-central-1b", "ca-central-1d"]
    error_message = "unexpected zones: ${jsonencode(output.names)}"
  }
}

run "one_usable_zone_is_refused" {
  command = plan

  variables {
    region     = "us-west-1"
    zone_names = ["us-west-1a", "us-west-1b"]
    zone_ids   = ["usw1-az2", "usw1-az1"]
  }

  expect_failures = [output.names]
}
