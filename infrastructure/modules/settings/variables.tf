# Every setting a user can give the deployment, exactly as the workflows and bootstrap-oidc.sh read
# them from repository variables and the environment (an empty string means "use the default").
# Each check follows the rule the AWS or GitHub API applies, and its message names the setting,
# so a bad value stops the run before anything is created instead of failing an apply halfway.
variable "tg_deployment" {
  description = "TG_DEPLOYMENT: the deployment key every AWS name derives from."
  type        = string
  default     = ""

  validation {
    # The names built from it must pass each service's rules (see outputs.tf): RDS and ECR refuse
    # "--", an ALB name may not start with "internal-", an S3 bucket may not end with "-s3alias",
    # and the EKS module's IAM role name prefixes leave room for at most 24 characters.
    condition = var.tg_deployment == "" || (
      can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.tg_deployment)) &&
      !strcontains(var.tg_deployment, "--") &&
      !startswith(var.tg_deployment, "internal-") &&
      !endswith(var.tg_deployment, "-s3alias")
    )
    error_message = "TG_DEPLOYMENT must be 3-24 lowercase letters, digits and single hyphens, start with a letter, end with a letter or digit, and not start with \"internal-\" (e.g. infinity-pool-dev)."
  }
}

variable "aws_region" {
  description = "AWS_REGION: the commercial AWS Region to deploy to."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_region == "" || can(regex("^(af|ap|ca|eu|il|me|mx|sa|us)-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", var.aws_region))
    error_message = "AWS_REGION must be a commercial AWS Region name such as eu-west-1 (GovCloud, China and ISO partitions are not supported)."
  }
}

variable "regions_without_auto_mode" {
  description = "Commercial Regions where EKS Auto Mode is not offered (EKS user guide, \"Create a cluster with Amazon EKS Auto Mode\"). Remove a Region here once AWS adds it."
  type        = list(string)
  default     = ["ap-southeast-7", "mx-central-1"]

  validation {
    condition     = alltrue([for r in var.regions_without_auto_mode : can(regex("^[a-z]{2}-[a-z]+-[0-9]+$", r))])
    error_message = "regions_without_auto_mode must list Region names."
  }
}

variable "github_repository" {
  description = "GITHUB_REPOSITORY: owner/name of the repository whose workflows may deploy."
  type        = string

  validation {
    condition     = trimspace(var.github_repository) != ""
    error_message = "GITHUB_REPOSITORY must be set (GitHub Actions sets it; bootstrap-oidc.sh looks it up for a workstation)."
  }
}

variable "github_repository_id" {
  description = "GITHUB_REPOSITORY_ID: the repository's immutable numeric ID."
  type        = string

  validation {
    condition     = trimspace(var.github_repository_id) != ""
    error_message = "GITHUB_REPOSITORY_ID must be set (GitHub Actions sets it; bootstrap-oidc.sh looks it up for a workstation)."
  }
}

variable "github_repository_owner_id" {
  description = "GITHUB_REPOSITORY_OWNER_ID: the owner's immutable numeric ID."
  type        = string

  validation {
    condition     = trimspace(var.github_repository_owner_id) != ""
    error_message = "GITHUB_REPOSITORY_OWNER_ID must be set (GitHub Actions sets it; bootstrap-oidc.sh looks it up for a workstation)."
  }
}

variable "tg_deploy_branches" {
  description = "TG_DEPLOY_BRANCHES: comma-separated branches allowed to assume the deploy role."
  type        = string
  default     = ""

  validation {
    condition     = !can(regex("[\\r\\n]", var.tg_deploy_branches))
    error_message = "TG_DEPLOY_BRANCHES must be one line of comma-separated values."
  }
}

variable "tg_deploy_environments" {
  description = "TG_DEPLOY_ENVIRONMENTS: comma-separated GitHub environments allowed to assume the deploy role."
  type        = string
  default     = ""

  validation {
    condition     = !can(regex("[\\r\\n]", var.tg_deploy_environments))
    error_message = "TG_DEPLOY_ENVIRONMENTS must be one line of comma-separated values."
  }
}

variable "tg_create_github_oidc_provider" {
  description = "TG_CREATE_GITHUB_OIDC_PROVIDER: true to create the account's GitHub OIDC provider, false to use the existing one."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "true", "false"], var.tg_create_github_oidc_provider)
    error_message = "TG_CREATE_GITHUB_OIDC_PROVIDER must be true or false."
  }
}

variable "tg_cluster_admin_arns" {
  description = "TG_CLUSTER_ADMIN_ARNS: comma-separated IAM role or user ARNs that get cluster-admin access."
  type        = string
  default     = ""

  validation {
    condition     = !can(regex("[\\r\\n]", var.tg_cluster_admin_arns))
    error_message = "TG_CLUSTER_ADMIN_ARNS must be one line of comma-separated values."
  }
}

variable "tg_api_allowed_cidrs" {
  description = "TG_API_ALLOWED_CIDRS: comma-separated IPv4 CIDRs allowed to reach the public Kubernetes API endpoint."
  type        = string
  default     = ""

  validation {
    condition     = !can(regex("[\\r\\n]", var.tg_api_allowed_cidrs))
    error_message = "TG_API_ALLOWED_CIDRS must be one line of comma-separated values."
  }
}

variable "ingress_scheme" {
  description = "INGRESS_SCHEME: internet-facing or internal load balancer for the gateway."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "internet-facing", "internal"], var.ingress_scheme)
    error_message = "INGRESS_SCHEME must be internet-facing or internal."
  }
}

variable "acm_certificate_arn" {
  description = "ACM_CERTIFICATE_ARN: certificate for HTTPS on the load balancer; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.acm_certificate_arn == "" || can(regex("^arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.acm_certificate_arn))
    error_message = "ACM_CERTIFICATE_ARN must be an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<uuid>."
  }

  validation {
    # An ALB can only use a certificate from its own Region.
    condition     = var.acm_certificate_arn == "" || try(split(":", var.acm_certificate_arn)[3], "") == (var.aws_region == "" ? "eu-west-1" : var.aws_region)
    error_message = "ACM_CERTIFICATE_ARN must be a certificate in the deployment's Region (AWS_REGION); a load balancer cannot use a certificate from another Region."
  }
}
