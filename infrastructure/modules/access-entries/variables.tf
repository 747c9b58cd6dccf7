variable "principal_arns" {
  description = "IAM role or user ARNs to make cluster admins (the deploy role plus TG_CLUSTER_ADMIN_ARNS). Duplicates are merged: EKS allows one access entry per principal."
  type        = list(string)

  validation {
    # EKS access entries take IAM roles (a path is allowed) and users, never sts assumed-role
    # session ARNs (EKS user guide, "Create access entries"). IAM names: 1-64 of [\w+=,.@-].
    condition = length(var.principal_arns) > 0 && alltrue([for a in var.principal_arns : (
      can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)(/[\\x21-\\x7e]+)?/[A-Za-z0-9_+=,.@-]{1,64}$", a)) &&
      length(a) <= 2048
    )])
    error_message = "TG_CLUSTER_ADMIN_ARNS must be comma-separated IAM role or user ARNs such as arn:aws:iam::123456789012:role/Admin (not arn:aws:sts::...:assumed-role/... session ARNs)."
  }
}

variable "partition" {
  description = "AWS partition of the cluster (aws for commercial Regions), for the access policy ARN."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be aws, aws-cn or aws-us-gov."
  }
}
