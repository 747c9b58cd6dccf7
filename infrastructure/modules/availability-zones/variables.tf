variable "region" {
  description = "Region the zones belong to; used only in error messages."
  type        = string

  validation {
    condition     = length(var.region) > 0
    error_message = "region must not be empty."
  }
}

variable "zone_names" {
  description = "Availability Zone names offered to the account (data.aws_availability_zones names, opt-in zones already filtered out)."
  type        = list(string)

  validation {
    condition     = alltrue([for z in var.zone_names : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$", z))])
    error_message = "zone_names must be Availability Zone names such as eu-west-1a."
  }
}

variable "zone_ids" {
  description = "The zone IDs of zone_names, in the same order (data.aws_availability_zones zone_ids). Names map to different physical zones in each account; IDs do not."
  type        = list(string)

  validation {
    condition     = alltrue([for z in var.zone_ids : can(regex("^[a-z]{2,4}[0-9]-az[0-9]+$", z))])
    error_message = "zone_ids must be Availability Zone IDs such as euw1-az1."
  }
}

variable "az_count" {
  description = "How many zones to spread over at most. Fewer are used where the region offers fewer usable zones, never fewer than two."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 6."
  }
}

variable "excluded_zone_ids" {
  description = "Zone IDs to leave out. The default lists the zones where Amazon EKS refuses control plane subnets (UnsupportedAvailabilityZoneException; EKS user guide, network requirements): use1-az3, usw1-az2 and cac1-az3."
  type        = list(string)
  default     = ["use1-az3", "usw1-az2", "cac1-az3"]

  validation {
    condition     = alltrue([for z in var.excluded_zone_ids : can(regex("^[a-z]{2,4}[0-9]-az[0-9]+$", z))])
    error_message = "excluded_zone_ids must be Availability Zone IDs such as use1-az3."
  }
}
