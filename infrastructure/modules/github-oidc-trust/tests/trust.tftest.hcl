# Run with `terraform init && terraform test` (no providers, no network). vitest runs it too:
# infrastructure/test/terraform-modules.test.ts. The IAM semantics of the rendered policy are
# checked there against real claim strings.
variables {
  github_repository          = "octo-org/vigilant-pancake"
  github_repository_id       = "456789"
  github_repository_owner_id = "123456"
  oidc_provider_arn          = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
}

run "both_subject_forms_for_each_branch_and_environment" {
  command = plan

  variables {
    allowed_branches     = ["main", "release/2026"]
    allowed_environments = ["production"]
  }

  assert {
    condition = output.subjects == [
      "repo:octo-org/vigilant-pancake:ref:refs/heads/main",
      "repo:octo-org/vigilant-pancake:ref:refs/heads/release/2026",
      "repo:octo-org/vigilant-pancake:environment:production",
      "repo:octo-org@123456/vigilant-pancake@456789:ref:refs/heads/main",
      "repo:octo-org@123456/vigilant-pancake@456789:ref:refs/heads/release/2026",
      "repo:octo-org@123456/vigilant-pancake@456789:environment:production",
    ]
    error_message = "unexpected subjects: ${jsonencode(output.subjects)}"
  }

  assert {
    condition     = jsondecode(output.policy_json).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == ["sts.amazonaws.com"]
    error_message = "the audience condition must stay sts.amazonaws.com"
  }

  assert {
    condition     = keys(jsondecode(output.policy_json).Statement[0].Condition) == ["StringEquals"]
    error_message = "only exact matches (StringEquals) are allowed"
  }
}

run "pull_requests_only_when_asked" {
  command = plan

  variables {
    allow_pull_requests = true
  }

  assert {
    condition     = contains(output.subjects, "repo:octo-org@123456/vigilant-pancake@456789:pull_request")
    error_message = "pull_request subject missing"
  }
}

run "no_branch_and_no_environment_is_refused" {
  command = plan

  variables {
    allowed_branches     = []
    allowed_environments = []
  }

  expect_failures = [output.subjects]
}

run "a_wildcard_branch_is_refused" {
  command = plan

  variables {
    allowed_branches = ["release/*"]
  }

  expect_failures = [var.allowed_branches]
}

run "a_branch_git_refuses_is_refused" {
  command = plan

  variables {
    allowed_branches = ["feature..x"]
  }

  expect_failures = [var.allowed_branches]
}

run "a_missing_repository_id_is_refused" {
  command = plan

  variables {
    github_repository_id = ""
  }

  expect_failures = [var.github_repository_id]
}

run "a_repository_without_owner_is_refused" {
  command = plan

  variables {
    github_repository = "vigilant-pancake"
  }

  expect_failures = [var.github_repository]
}

run "too_many_subjects_for_a_trust_policy_are_refused" {
  command = plan

  variables {
    allowed_branches = [for i in range(20) : "release-branch-number-${i}"]
  }

  expect_failures = [output.policy_json]
}
