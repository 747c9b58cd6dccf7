variable "deployment" {
  description = "Deployment key. The cluster is named eks-<deployment> (eks-infinity-pool-dev for the default key)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.deployment)) && !strcontains(var.deployment, "--")
    error_message = "deployment must be 3-24 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes <major>.<minor> version of the control plane. Auto Mode keeps the nodes in step with it."
  type        = string
  default     = "1.35"

  validation {
    condition     = can(regex("^1\\.(3[3-9]|[4-9][0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.35 and be 1.33 or newer (older versions are in extended support, which costs six times more per hour)."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the cluster runs in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnet IDs for the control plane network interfaces and the Auto Mode nodes, in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must hold at least two subnet IDs such as subnet-0123456789abcdef0."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API on a public endpoint (restricted by endpoint_public_access_cidrs). GitHub-hosted runners need it; set false when deploying from inside the VPC."
  type        = bool
  default     = true
}

variable "endpoint_public_access_cidrs" {
  description = "CIDR blocks allowed to reach the public API endpoint. GitHub-hosted runners have no fixed addresses, so the sample default is open; narrow it to your runners or office range when you can."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.endpoint_public_access_cidrs) > 0 && alltrue([for c in var.endpoint_public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "endpoint_public_access_cidrs must be a non-empty list of valid CIDR blocks."
  }
}

variable "admin_principal_arns" {
  description = "IAM role or user ARNs granted cluster-admin through EKS access entries: the CI deploy role and any operators. Explicit entries replace creator-admin, which would flip between whichever principal ran the last apply."
  type        = list(string)

  validation {
    condition     = length(var.admin_principal_arns) > 0
    error_message = "admin_principal_arns must list at least one IAM role or user ARN (the access-entries module checks each)."
  }
}

variable "enabled_log_types" {
  description = "Control plane log types sent to CloudWatch Logs."
  type        = list(string)
  default     = ["api", "audit", "authenticator"]

  validation {
    condition     = alltrue([for t in var.enabled_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)])
    error_message = "enabled_log_types may only contain api, audit, authenticator, controllerManager and scheduler."
  }
}

variable "log_retention_days" {
  description = "Days to keep control plane logs in CloudWatch Logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "node_pools" {
  description = "Built-in Auto Mode node pools to enable. general-purpose runs the workloads; add system to keep your own cluster add-ons on separate (tainted) nodes."
  type        = list(string)
  default     = ["general-purpose"]

  validation {
    condition     = length(var.node_pools) > 0 && alltrue([for p in var.node_pools : contains(["general-purpose", "system"], p)])
    error_message = "node_pools must be a non-empty subset of general-purpose and system."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module (on top of the provider default tags)."
  type        = map(string)
  default     = {}
}
