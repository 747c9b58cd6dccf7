data "aws_iam_policy_document" "backend" {
  statement {
    sid       = "ReadDatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.database_secret_arn]
  }

  dynamic "statement" {
    for_each = var.database_secret_kms_key_arn == "" ? [] : [var.database_secret_kms_key_arn]

    content {
      sid       = "DecryptDatabaseSecret"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      # The key may decrypt only on behalf of Secrets Manager, not for arbitrary ciphertexts.
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_region" "current" {}

module "backend" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "2.8.1"

  name            = "${var.deployment}-backend"
  use_name_prefix = false
  description     = "Infinity Pool backend in ${var.cluster_name} (${var.namespace}/${var.service_account}): reads the database secret"

  attach_custom_policy      = true
  source_policy_documents   = [data.aws_iam_policy_document.backend.json]
  custom_policy_description = "Read the ${var.deployment} database master secret"

  # The association binds the role to exactly one namespace and ServiceAccount; no annotation needed.
  associations = {
    backend = {
      cluster_name    = var.cluster_name
      namespace       = var.namespace
      service_account = var.service_account
    }
  }

  tags = var.tags
}
