variable "deployment" {
  description = "Deployment key. Every name in the VPC derives from it so several deployments can share one account."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.deployment)) && !strcontains(var.deployment, "--")
    error_message = "deployment must be 3-24 characters of lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC. A /16 leaves room for three /20 private subnets (EKS pods take VPC addresses) plus public and database subnets."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("/1[6-8]$", var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR with a prefix between /16 and /18 (smaller VPCs leave public subnets too small for load balancers)."
  }
}

variable "az_count" {
  description = "Most Availability Zones to spread the subnets over. Regions that offer the account fewer usable zones (us-west-1 offers two) get fewer, never less than two."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be between 2 and 4 (Aurora and EKS need at least two zones)."
  }
}

variable "nat_gateway_per_az" {
  description = "Create one NAT gateway per availability zone instead of a single shared one. Costs roughly 35 USD a month per extra gateway but removes the single zone as a point of failure for egress."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource of this module (on top of the provider default tags)."
  type        = map(string)
  default     = {}
}
