variable "deployment" {
  description = "Deployment key. The deploy role is named <deployment>-github-deploy."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.deployment)) && !strcontains(var.deployment, "--")
    error_message = "deployment must be 3-24 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "github_repository" {
  description = "GitHub repository allowed to assume the deploy role, as owner/name (validated by the github-oidc-trust module)."
  type        = string

  validation {
    condition     = length(var.github_repository) > 0
    error_message = "GITHUB_REPOSITORY must be set to owner/name (GitHub Actions sets it; set it yourself on a workstation)."
  }
}

variable "github_repository_id" {
  description = "Immutable numeric ID of the repository (GITHUB_REPOSITORY_ID), for the immutable form of the OIDC subject."
  type        = string

  validation {
    condition     = length(var.github_repository_id) > 0
    error_message = "GITHUB_REPOSITORY_ID must be set (GitHub Actions sets it; bootstrap-oidc.sh looks it up)."
  }
}

variable "github_repository_owner_id" {
  description = "Immutable numeric ID of the repository owner (GITHUB_REPOSITORY_OWNER_ID), for the immutable form of the OIDC subject."
  type        = string

  validation {
    condition     = length(var.github_repository_owner_id) > 0
    error_message = "GITHUB_REPOSITORY_OWNER_ID must be set (GitHub Actions sets it; bootstrap-oidc.sh looks it up)."
  }
}

variable "allowed_branches" {
  description = "Branches whose workflow runs may assume the role (matched against the OIDC sub claim refs/heads/<branch>)."
  type        = list(string)
  default     = ["main"]

  validation {
    condition     = length(var.allowed_branches) <= 50
    error_message = "allowed_branches: at most 50 (the rules are checked by the github-oidc-trust module)."
  }
}

variable "allowed_environments" {
  description = "GitHub deployment environments whose jobs may assume the role. A job that declares an environment presents environment:<name> as its subject instead of the branch."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.allowed_environments) <= 50
    error_message = "allowed_environments: at most 50 (the rules are checked by the github-oidc-trust module)."
  }
}

variable "allow_pull_requests" {
  description = "Also trust pull_request runs (read-only plans from PRs). Off: a PR from a branch could otherwise change what the role deploys."
  type        = bool
  default     = false
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider. An account can hold only one per URL, so set false for the second and later deployments in an account; the existing provider is then looked up."
  type        = bool
  default     = true
}

variable "policy_arns" {
  description = "Managed policies attached to the deploy role. The pipeline creates VPCs, EKS, Aurora, ECR and IAM roles, so the sample grants AdministratorAccess; the trust policy is what keeps it safe. Replace with a narrower policy or add a permissions boundary in production."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/AdministratorAccess"]

  validation {
    condition     = length(var.policy_arns) > 0 && alltrue([for p in var.policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", p))])
    error_message = "policy_arns must be a non-empty list of IAM policy ARNs."
  }
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary for the deploy role; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.permissions_boundary_arn == "" || can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be empty or an IAM policy ARN."
  }
}

variable "max_session_duration" {
  description = "Longest session the pipeline can request, in seconds. A first apply (EKS plus Aurora) takes around 30 minutes, so the default leaves headroom."
  type        = number
  default     = 7200

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module (on top of the provider default tags)."
  type        = map(string)
  default     = {}
}
