variable "deployment" {
  description = "Deployment key. Repositories are named <deployment>/<service>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.deployment)) && !strcontains(var.deployment, "--")
    error_message = "deployment must be 3-24 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "services" {
  description = "Services that get a repository; the keys of the repository_urls output."
  type        = list(string)
  default     = ["gateway", "backend"]

  validation {
    condition     = length(var.services) > 0 && length(distinct(var.services)) == length(var.services) && alltrue([for s in var.services : can(regex("^[a-z][a-z0-9-]*$", s))])
    error_message = "services must be a non-empty list of unique lowercase names."
  }
}

variable "keep_tagged_images" {
  description = "Number of most recent tagged images kept per repository; older ones are expired by the lifecycle policy."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_tagged_images >= 1 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 1 and 1000."
  }
}

variable "expire_untagged_after_days" {
  description = "Expire untagged images after this many days; 0 keeps them. Off by default because the per-platform manifests of a multi-arch image are untagged, and expiring them would break pulls of the tagged image that points at them."
  type        = number
  default     = 0

  validation {
    condition     = var.expire_untagged_after_days >= 0 && var.expire_untagged_after_days <= 3650
    error_message = "expire_untagged_after_days must be between 0 and 3650."
  }
}

variable "force_delete" {
  description = "Delete repositories even when they still hold images. On for the sample so destroy needs no manual cleanup."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key to encrypt images with. Empty uses AES-256 with an AWS-owned key."
  type        = string
  default     = ""

  validation {
    condition     = var.kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be empty or a KMS key ARN."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module (on top of the provider default tags)."
  type        = map(string)
  default     = {}
}
