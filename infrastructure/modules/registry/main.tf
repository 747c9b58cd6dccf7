data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  tagged_rule = {
    rulePriority = 1
    description  = "Keep the ${var.keep_tagged_images} most recent tagged images"
    selection = {
      tagStatus      = "tagged"
      tagPatternList = ["*"]
      countType      = "imageCountMoreThan"
      countNumber    = var.keep_tagged_images
    }
    action = { type = "expire" }
  }

  untagged_rule = {
    rulePriority = 2
    description  = "Expire untagged images after ${var.expire_untagged_after_days} days"
    selection = {
      tagStatus   = "untagged"
      countType   = "sinceImagePushed"
      countUnit   = "days"
      countNumber = var.expire_untagged_after_days
    }
    action = { type = "expire" }
  }

  lifecycle_rules = var.expire_untagged_after_days > 0 ? [local.tagged_rule, local.untagged_rule] : [local.tagged_rule]
}

resource "aws_ecr_repository" "service" {
  for_each = toset(var.services)

  name = "${var.deployment}/${each.key}"

  # Tags are commit SHAs; immutability guarantees a deployed tag always means the same image.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.kms_key_arn == "" ? "AES256" : "KMS"
    kms_key         = var.kms_key_arn == "" ? null : var.kms_key_arn
  }

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_ecr_lifecycle_policy" "service" {
  for_each = aws_ecr_repository.service

  repository = each.value.name
  policy     = jsonencode({ rules = local.lifecycle_rules })
}
