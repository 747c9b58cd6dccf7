variable "deployment" {
  description = "Deployment key. The Aurora cluster is named <deployment>-db and its cluster parameter group <deployment>-aurora-pg<major>-*."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.deployment)) && !strcontains(var.deployment, "--")
    error_message = "deployment must be 3-24 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the database security group is created in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "db_subnet_group_name" {
  description = "Name of the existing RDS subnet group (from the network unit) spanning the database subnets."
  type        = string

  validation {
    condition     = length(var.db_subnet_group_name) > 0
    error_message = "db_subnet_group_name must not be empty."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups admitted on the PostgreSQL port. Pass the EKS cluster security group, which EKS Auto Mode nodes and their pods carry; nothing else can connect."
  type        = list(string)

  validation {
    condition     = length(var.allowed_security_group_ids) > 0 && alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "allowed_security_group_ids must list at least one security group ID such as sg-0123456789abcdef0."
  }
}

variable "engine_version" {
  description = "Aurora PostgreSQL version. A major version alone (17) takes the newest minor release in the region, and a later apply moves to a newer minor once one appears; pin a full version (17.6) to upgrade only when you change it."
  type        = string
  default     = "17"

  validation {
    condition     = can(regex("^1[6-9](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a major version of 16 or newer (17) or a full version (17.6)."
  }
}

variable "database_name" {
  description = "Name of the database created in the cluster (the backend's DB_NAME)."
  type        = string
  default     = "infinitypool"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a lowercase letter and contain only lowercase letters, digits and underscores (at most 63 characters)."
  }
}

variable "master_username" {
  description = "Master user name. Its password is generated and rotated by RDS and kept in Secrets Manager; it never passes through Terraform."
  type        = string
  default     = "infinity_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin", "root"], var.master_username)
    error_message = "master_username must start with a lowercase letter, contain only lowercase letters, digits and underscores, and not be a reserved name (postgres, admin, rdsadmin, root)."
  }
}

variable "min_capacity" {
  description = "Minimum Aurora capacity units. 0 lets the instance pause after seconds_until_auto_pause idle seconds (the first connection after a pause waits about 15 s while it resumes)."
  type        = number
  default     = 0.5

  validation {
    condition     = var.min_capacity >= 0 && var.min_capacity <= 256 && floor(var.min_capacity * 2) == var.min_capacity * 2
    error_message = "min_capacity must be between 0 and 256 in steps of 0.5."
  }
}

variable "max_capacity" {
  description = "Maximum Aurora capacity units the instance may scale up to."
  type        = number
  default     = 2

  validation {
    condition     = var.max_capacity >= 1 && var.max_capacity <= 256 && floor(var.max_capacity * 2) == var.max_capacity * 2
    error_message = "max_capacity must be between 1 and 256 in steps of 0.5."
  }
}

variable "seconds_until_auto_pause" {
  description = "Idle seconds before an instance with min_capacity 0 pauses."
  type        = number
  default     = 900

  validation {
    condition     = var.seconds_until_auto_pause >= 300 && var.seconds_until_auto_pause <= 86400
    error_message = "seconds_until_auto_pause must be between 300 and 86400."
  }
}

variable "instance_count" {
  description = "Number of db.serverless instances. One writer is enough for the sample; add a second for a reader that takes over on failure."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 3 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be 1, 2 or 3."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for storage and the master secret. Empty uses the AWS-managed keys (aws/rds, aws/secretsmanager)."
  type        = string
  default     = ""

  validation {
    condition     = var.kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be empty or a KMS key ARN."
  }
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 1

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the cluster. Off for the sample so one destroy removes everything; turn it on for anything holding real data."
  type        = bool
  default     = false
}

variable "final_snapshot" {
  description = "Take a snapshot named <deployment>-db-final when the cluster is destroyed. Off for the sample; a leftover snapshot of that name makes the next destroy fail until it is deleted."
  type        = bool
  default     = false
}

variable "cloudwatch_logs_exports" {
  description = "Aurora PostgreSQL log types exported to CloudWatch Logs (only postgresql is valid)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for l in var.cloudwatch_logs_exports : l == "postgresql"])
    error_message = "cloudwatch_logs_exports may only contain postgresql."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module (on top of the provider default tags)."
  type        = map(string)
  default     = {}
}
