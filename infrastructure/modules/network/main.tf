data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  state = "available"

  # Local and Wavelength zones lack NAT gateways and Aurora.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

# Up to az_count zones, skipping zone IDs where EKS refuses control plane subnets and working in
# Regions that offer an account only two zones (provider-free module, tested offline).
module "zones" {
  source = "../availability-zones"

  region     = data.aws_region.current.region
  zone_names = data.aws_availability_zones.available.names
  zone_ids   = data.aws_availability_zones.available.zone_ids
  az_count   = var.az_count
}

locals {
  azs = module.zones.names

  # /20 private subnets because EKS Auto Mode gives every pod a VPC address;
  # public and database subnets only hold load balancers, NAT and Aurora, so /24 is plenty.
  private_subnets  = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets   = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, 200 + i)]
  database_subnets = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, 210 + i)]
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.6.0"

  name = var.deployment
  cidr = var.vpc_cidr
  azs  = local.azs

  public_subnets   = local.public_subnets
  private_subnets  = local.private_subnets
  database_subnets = local.database_subnets

  create_database_subnet_group = true
  database_subnet_group_name   = "${var.deployment}-db"

  enable_nat_gateway     = true
  single_nat_gateway     = !var.nat_gateway_per_az
  one_nat_gateway_per_az = var.nat_gateway_per_az

  enable_dns_hostnames = true
  enable_dns_support   = true

  # EKS Auto Mode picks subnets for load balancers by these role tags:
  # internet-facing ALBs go to public subnets, internal ones to private subnets.
  public_subnet_tags = {
    "kubernetes.io/role/elb" = "1"
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = "1"
  }

  tags = var.tags
}
