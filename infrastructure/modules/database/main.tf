data "aws_rds_engine_version" "postgresql" {
  engine  = "aurora-postgresql"
  version = var.engine_version
  latest  = true
}

locals {
  name          = "${var.deployment}-db"
  kms_key_arn   = var.kms_key_arn == "" ? null : var.kms_key_arn
  major_version = split(".", var.engine_version)[0]
}

module "aurora" {
  source  = "terraform-aws-modules/rds-aurora/aws"
  version = "10.2.0"

  name           = local.name
  engine         = data.aws_rds_engine_version.postgresql.engine
  engine_mode    = "provisioned"
  engine_version = data.aws_rds_engine_version.postgresql.version_actual

  database_name   = var.database_name
  master_username = var.master_username

  # RDS generates the password and keeps it in its own Secrets Manager secret; the backend reads
  # that secret through Pod Identity, so no credential is ever stored in Terraform state.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = local.kms_key_arn

  storage_encrypted = true
  kms_key_id        = local.kms_key_arn

  vpc_id                 = var.vpc_id
  db_subnet_group_name   = var.db_subnet_group_name
  create_db_subnet_group = false

  security_group_description = "PostgreSQL from the ${var.deployment} EKS cluster only"
  security_group_ingress_rules = {
    for i, sg in var.allowed_security_group_ids : "cluster-${i}" => {
      description                  = "PostgreSQL from EKS"
      from_port                    = 5432
      to_port                      = 5432
      ip_protocol                  = "tcp"
      referenced_security_group_id = sg
    }
  }

  serverlessv2_scaling_configuration = {
    min_capacity             = var.min_capacity
    max_capacity             = var.max_capacity
    seconds_until_auto_pause = var.min_capacity == 0 ? var.seconds_until_auto_pause : null
  }

  instances = {
    for i in range(var.instance_count) : (i == 0 ? "writer" : "reader-${i}") => {
      instance_class = "db.serverless"
    }
  }

  cluster_parameter_group = {
    name            = "${var.deployment}-aurora-pg${local.major_version}"
    use_name_prefix = true
    description     = "Aurora PostgreSQL settings for ${var.deployment}: TLS required"
    family          = data.aws_rds_engine_version.postgresql.parameter_group_family
    parameters = [
      {
        # Reject unencrypted connections at the server, whatever the client asks for.
        name         = "rds.force_ssl"
        value        = "1"
        apply_method = "immediate"
      },
    ]
  }

  backup_retention_period   = var.backup_retention_days
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.final_snapshot
  final_snapshot_identifier = var.final_snapshot ? "${local.name}-final" : null
  copy_tags_to_snapshot     = true
  apply_immediately         = true

  enabled_cloudwatch_logs_exports = var.cloudwatch_logs_exports
  create_cloudwatch_log_group     = length(var.cloudwatch_logs_exports) > 0

  create_monitoring_role      = false
  cluster_monitoring_interval = 0

  tags = var.tags
}
