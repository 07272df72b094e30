data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

# One customer-managed key per environment: log groups, secrets, the alarm topic and the database.
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:this is a key policy: resource "*" means this key only, and the account root must administer it (AWS default key policy)
  #checkov:skip=CKV_AWS_356:this is a key policy: resource "*" means this key only
  #checkov:skip=CKV_AWS_109:this is a key policy: the account root keeps kms:* on its own key so the key can never become unmanageable
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: logs, secrets, alarms, database"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

# Service Connect: each service is reachable as http://<name-with-hyphens>:<port> from the others.
resource "aws_service_discovery_http_namespace" "this" {
  name        = var.name
  description = "Service Connect namespace of ${var.name}"

  tags = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  # Container Insights gives RunningTaskCount, which the "running below desired" alarms use.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  service_connect_defaults {
    namespace = aws_service_discovery_http_namespace.this.arn
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.key
}

# The ceiling of every role Terraform creates for workloads and deploys in this environment (task
# execution and task roles, the flow log role, the CI deploy role): whatever their own policies
# say, they can do no more than this, in this account only. The CI apply role may create and
# change roles only with this boundary attached (modules/ci), so it cannot mint a role above it.
# A task that needs another AWS API (S3, SQS, ...) needs it here first: an administrator's apply.
data "aws_iam_policy_document" "role_boundary" {
  statement {
    sid = "WorkloadsAndDeploys"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
      "ecs:DescribeServices",
      "ecs:UpdateService",
      "iam:PassRole",
      "kms:Decrypt",
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
      "secretsmanager:GetSecretValue",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:*:*:${data.aws_caller_identity.current.account_id}:*"]
  }

  statement {
    sid       = "WithoutResourceLevelPermissions"
    actions   = ["ecr:GetAuthorizationToken", "ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "role_boundary" {
  name        = "${var.name}-role-boundary"
  description = "Permissions boundary of every workload and deploy role of ${var.name}"
  policy      = data.aws_iam_policy_document.role_boundary.json

  tags = var.tags
}
