variable "deployment" {
  description = "Deployment key. The backend role is named <deployment>-backend."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.deployment)) && !strcontains(var.deployment, "--")
    error_message = "deployment must be 3-24 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "cluster_name" {
  description = "Name of the EKS cluster the Pod Identity association is created in."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be a valid EKS cluster name."
  }
}

variable "namespace" {
  description = "Kubernetes namespace of the backend (the Helm release namespace)."
  type        = string
  default     = "infinity-pool"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a valid Kubernetes namespace name."
  }
}

variable "service_account" {
  description = "Name of the backend's Kubernetes ServiceAccount (the chart's backend.serviceAccount name)."
  type        = string
  default     = "infinity-pool-backend"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.service_account))
    error_message = "service_account must be a valid Kubernetes ServiceAccount name."
  }
}

variable "database_secret_arn" {
  description = "ARN of the database master secret; the only secret the backend may read."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.database_secret_arn))
    error_message = "database_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "database_secret_kms_key_arn" {
  description = "Customer-managed KMS key the secret is encrypted with; empty when it uses the AWS-managed key (which needs no grant)."
  type        = string
  default     = ""

  validation {
    condition     = var.database_secret_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.database_secret_kms_key_arn))
    error_message = "database_secret_kms_key_arn must be empty or a KMS key ARN."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module (on top of the provider default tags)."
  type        = map(string)
  default     = {}
}
