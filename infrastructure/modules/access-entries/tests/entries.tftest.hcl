# Run with `terraform init && terraform test`.
variables {
  principal_arns = [
    "arn:aws:iam::123456789012:role/infinity-pool-dev-github-deploy",
    "arn:aws:iam::123456789012:user/infinity-pool",
  ]
}

run "one_entry_per_arn_keyed_by_arn" {
  command = plan

  assert {
    condition     = keys(output.access_entries) == ["arn:aws:iam::123456789012:role/infinity-pool-dev-github-deploy", "arn:aws:iam::123456789012:user/infinity-pool"]
    error_message = "entries must be keyed by ARN: ${jsonencode(keys(output.access_entries))}"
  }

  assert {
    condition     = output.access_entries["arn:aws:iam::123456789012:user/infinity-pool"].policy_associations.cluster_admin.policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    error_message = "cluster-admin policy missing"
  }
}

run "the_same_arn_twice_is_one_entry" {
  command = plan

  variables {
    principal_arns = [
      "arn:aws:iam::123456789012:role/infinity-pool-dev-github-deploy",
      "arn:aws:iam::123456789012:user/infinity-pool",
      "arn:aws:iam::123456789012:role/infinity-pool-dev-github-deploy",
    ]
  }

  assert {
    condition     = length(output.access_entries) == 2 && length(output.principal_arns) == 2
    error_message = "duplicate ARN must collapse into one entry"
  }
}

run "reordering_keeps_the_keys" {
  command = plan

  variables {
    principal_arns = [
      "arn:aws:iam::123456789012:user/infinity-pool",
      "arn:aws:iam::123456789012:role/infinity-pool-dev-github-deploy",
    ]
  }

  assert {
    condition = keys(output.access_entries) == [
      "arn:aws:iam::123456789012:role/infinity-pool-dev-github-deploy",
      "arn:aws:iam::123456789012:user/infinity-pool",
    ]
    error_message = "keys must not depend on list order"
  }
}

run "a_role_with_a_path_is_accepted" {
  command = plan

  variables {
    principal_arns = ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"]
  }

  assert {
    condition     = length(output.access_entries) == 1
    error_message = "role paths are allowed in access entries"
  }
}

run "a_session_arn_is_refused" {
  command = plan

  variables {
    principal_arns = ["arn:aws:sts::123456789012:assumed-role/Admin/alice"]
  }

  expect_failures = [var.principal_arns]
}
