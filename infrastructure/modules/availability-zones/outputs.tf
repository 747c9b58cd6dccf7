output "names" {
  description = "Chosen zone names, in the order the account lists them: min(az_count, usable zones)."
  value       = slice(local.usable_names, 0, local.count)

  precondition {
    condition     = length(var.zone_names) == length(var.zone_ids)
    error_message = "zone_names and zone_ids must have the same length (one ID per name)."
  }

  precondition {
    condition     = length(local.usable_names) >= 2
    error_message = "AWS_REGION ${var.region}: only ${length(local.usable_names)} usable Availability Zone(s) for EKS (${join(", ", local.usable_names)}); EKS and Aurora need two. Pick another region."
  }
}

output "ids" {
  description = "Zone IDs of the chosen zones, in the same order as names."
  value       = slice(local.usable_ids, 0, local.count)
}
