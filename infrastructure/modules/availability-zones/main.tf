# Chooses the Availability Zones for the VPC from what the account is offered, without a provider
# so that the rule can be tested anywhere. Zones are filtered by ID, because zone names are shuffled
# per account (us-east-1a is a different physical zone in different accounts) while IDs are not.
locals {
  usable_names = [
    for i, name in var.zone_names : name
    if !contains(var.excluded_zone_ids, var.zone_ids[i])
  ]
  usable_ids = [
    for id in var.zone_ids : id
    if !contains(var.excluded_zone_ids, id)
  ]

  count = min(var.az_count, length(local.usable_names))
}
