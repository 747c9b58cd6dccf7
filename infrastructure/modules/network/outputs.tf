output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = module.vpc.vpc_cidr_block
}

output "azs" {
  description = "Availability zones the subnets are spread over."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Public subnet IDs (internet-facing load balancers, NAT gateways)."
  value       = module.vpc.public_subnets
}

output "private_subnet_ids" {
  description = "Private subnet IDs (EKS control plane interfaces and Auto Mode nodes)."
  value       = module.vpc.private_subnets
}

output "database_subnet_ids" {
  description = "Database subnet IDs (Aurora)."
  value       = module.vpc.database_subnets
}

output "database_subnet_cidr_blocks" {
  description = "CIDR blocks of the database subnets, e.g. for the chart's networkPolicy.databaseCidrs."
  value       = module.vpc.database_subnets_cidr_blocks
}

output "database_subnet_group_name" {
  description = "Name of the RDS subnet group spanning the database subnets."
  value       = module.vpc.database_subnet_group_name
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways; outbound traffic from the cluster leaves from these addresses."
  value       = module.vpc.nat_public_ips
}
