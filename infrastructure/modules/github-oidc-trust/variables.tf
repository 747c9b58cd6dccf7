variable "github_repository" {
  description = "GitHub repository whose workflows may assume the role, as owner/name (GITHUB_REPOSITORY). GitHub's rules: the owner is 1-39 letters, digits or single hyphens, not starting or ending with a hyphen; the name is 1-100 letters, digits, '.', '_' or '-'."
  type        = string

  validation {
    condition = (
      can(regex("^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository)) &&
      !contains([".", ".."], try(split("/", var.github_repository)[1], ""))
    )
    error_message = "GITHUB_REPOSITORY must look like owner/name (GitHub owner: 1-39 letters, digits or single hyphens; name: 1-100 letters, digits, '.', '_' or '-')."
  }
}

variable "github_repository_id" {
  description = "Immutable numeric ID of the repository (GITHUB_REPOSITORY_ID in Actions, .id from the GitHub API). Repositories created, renamed or transferred after GitHub's 2026 cut-over present it in the OIDC sub claim."
  type        = string

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_repository_id))
    error_message = "GITHUB_REPOSITORY_ID must be the repository's numeric ID (GitHub Actions sets it; from a workstation: gh api repos/OWNER/NAME --jq .id)."
  }
}

variable "github_repository_owner_id" {
  description = "Immutable numeric ID of the repository owner (GITHUB_REPOSITORY_OWNER_ID in Actions, .owner.id from the GitHub API)."
  type        = string

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_repository_owner_id))
    error_message = "GITHUB_REPOSITORY_OWNER_ID must be the owner's numeric ID (GitHub Actions sets it; from a workstation: gh api repos/OWNER/NAME --jq .owner.id)."
  }
}

variable "allowed_branches" {
  description = "Branches whose workflow runs may assume the role (TG_DEPLOY_BRANCHES), matched exactly against refs/heads/<branch> in the sub claim."
  type        = list(string)
  default     = ["main"]

  validation {
    # git check-ref-format: no control characters, space, ~ ^ : ? * [ \, no "..", "@{" or "//",
    # no component starting with "." or ending with ".lock", and not starting with "-" or "/".
    condition = alltrue([for b in var.allowed_branches : (
      length(b) > 0 && length(b) <= 255 &&
      can(regex("^[^\\x00-\\x20\\x7f~^:?*\\[\\\\]+$", b)) &&
      !can(regex("\\.\\.|@\\{|//|/\\.|\\.lock$|\\.lock/|^[-/.]|[/.]$", b)) &&
      b != "@"
    )])
    error_message = "TG_DEPLOY_BRANCHES must be comma-separated branch names that git accepts (no spaces, wildcards, '..', '~', '^', ':' or '\\'), e.g. main,release."
  }

  validation {
    condition     = length(distinct(var.allowed_branches)) == length(var.allowed_branches)
    error_message = "TG_DEPLOY_BRANCHES lists a branch twice."
  }
}

variable "allowed_environments" {
  description = "GitHub deployment environments whose jobs may assume the role (TG_DEPLOY_ENVIRONMENTS). A job that declares an environment presents environment:<name> as its subject instead of the branch."
  type        = list(string)
  default     = []

  validation {
    # GitHub: at most 255 characters. The sub claim carries the name as written, and IAM compares
    # it exactly, so wildcards and surrounding spaces would only ever fail to match.
    condition = alltrue([for e in var.allowed_environments : (
      length(e) > 0 && length(e) <= 255 && e == trimspace(e) &&
      !can(regex("[\\x00-\\x1f\\x7f*?,]", e))
    )])
    error_message = "TG_DEPLOY_ENVIRONMENTS must be comma-separated GitHub environment names of 1-255 characters, without wildcards or leading/trailing spaces."
  }

  validation {
    condition     = length(distinct(var.allowed_environments)) == length(var.allowed_environments)
    error_message = "TG_DEPLOY_ENVIRONMENTS lists an environment twice."
  }
}

variable "allow_pull_requests" {
  description = "Also trust pull_request runs. Off: a pull request could otherwise change what the role deploys."
  type        = bool
  default     = false
}

variable "oidc_provider_arn" {
  description = "ARN of the account's IAM OIDC identity provider for https://token.actions.githubusercontent.com (the Federated principal)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com IAM OIDC provider."
  }
}
