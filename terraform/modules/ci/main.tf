# GitLab CI's access to one environment: the OIDC provider and three roles, each assumed with a
# job's id_token (no stored keys) and each trusting only the refs that need it:
#   deploy           push images, register task definitions, update the services    protected branches
#   terraform-plan   read-only, for `terraform plan` on merge requests               any branch of the project
#   terraform-apply  manages this environment's resources                           protected branches
# Every role the apply role may create or change carries the environment's permissions boundary
# (modules/platform); the two Terraform roles are outside its reach and change only by a person.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  host              = trimprefix(var.gitlab_url, "https://")
  partition         = data.aws_partition.current.partition
  account_id        = data.aws_caller_identity.current.account_id
  oidc_provider_arn = "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.host}"
  # Role writes whose request IAM can check for the permissions boundary (iam:PermissionsBoundary)...
  bounded_role_writes = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
  ]
  # ...and those it cannot: allowed by name only.
  named_role_writes = [
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
  ]
  environment_roles = "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-*"
  protected_subs    = [for b in var.branches : "project_path:${var.project_path}:ref_type:branch:ref:${b}"]

  # GitLab's sub claim names the project and the ref, never the pipeline source: a merge-request
  # pipeline carries its source branch. Forks' pipelines carry the fork's project_path.
  roles = {
    deploy = {
      description = "GitLab CI deploys: push images, register task definitions, update the services"
      subs        = local.protected_subs
    }
    terraform-plan = {
      description = "GitLab CI terraform plan (merge requests): read-only"
      subs        = ["project_path:${var.project_path}:ref_type:branch:ref:*"]
    }
    terraform-apply = {
      description = "GitLab CI terraform apply (protected branches, manual gate)"
      subs        = local.protected_subs
    }
  }
}

# One provider per account and issuer. thumbprint_list is left out: AWS verifies gitlab.com through
# its own trusted CAs, and provider 5.81+ no longer requires it.
resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_oidc_provider ? 1 : 0

  url            = var.gitlab_url
  client_id_list = [var.audience]

  tags = var.tags
}

data "aws_iam_policy_document" "assume" {
  for_each = local.roles

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.host}:aud"
      values   = [var.audience]
    }

    condition {
      test     = "StringLike"
      variable = "${local.host}:sub"
      values   = each.value.subs
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = "${var.name}-ci-${each.key}"
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.assume[each.key].json
  max_session_duration = 3600
  # The deploy role is the apply role's to change, so it carries the boundary; the Terraform
  # roles cannot (PowerUserAccess and ReadOnlyAccess are far above it).
  permissions_boundary = each.key == "deploy" ? var.permissions_boundary_arn : null

  tags = var.tags

  depends_on = [aws_iam_openid_connect_provider.this]
}

# --- deploy

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"] # has no resource-level permissions
    resources = ["*"]
  }

  # Push, and pull: a promotion to the next environment reads the image from these repositories.
  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.repository_arns
  }

  statement {
    sid = "TaskDefinitions"
    # Neither action supports resource-level permissions.
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "UpdateServices"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = var.service_arns
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = var.pass_role_arns

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.this["deploy"].id
  policy = data.aws_iam_policy_document.deploy.json
}

# --- terraform plan: AWS's ReadOnlyAccess (what refresh reads: Describe/Get/List everywhere),
# minus the data it does not need: any branch of the project can assume this role, so it reads
# configuration, not contents. Objects only from the state bucket; no log events, images,
# parameters, table items or messages; no secret values (not in ReadOnlyAccess either). The plan
# job runs with -lock=false, so it writes nothing, not even the lock file.

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.this["terraform-plan"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "plan_no_data" {
  statement {
    sid           = "OnlyTheStateObjects"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectVersion"]
    not_resources = ["arn:${local.partition}:s3:::${var.state_bucket}/*"]
  }

  statement {
    sid    = "NoContents"
    effect = "Deny"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
      "logs:GetQueryResults",
      "logs:StartLiveTail",
      "logs:StartQuery",
      "rds:DownloadCompleteDBLogFile",
      "rds:DownloadDBLogFilePortion",
      "secretsmanager:GetSecretValue",
      "sqs:ReceiveMessage",
      "ssm:GetParameter",
      "ssm:GetParameterHistory",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "plan_no_data" {
  name   = "configuration-not-contents"
  role   = aws_iam_role.this["terraform-plan"].id
  policy = data.aws_iam_policy_document.plan_no_data.json
}

# --- terraform apply: PowerUserAccess (everything but IAM and Organizations; it includes
# iam:CreateServiceLinkedRole, which ECS, the load balancer, RDS and autoscaling need on first
# use) plus IAM on this environment's roles, each of which must carry the permissions boundary.
# The apply role can thus create and change the tasks', flow log's and deploy roles, never one
# that can do more than the boundary, and never the two Terraform roles (its own included).

resource "aws_iam_role_policy_attachment" "apply_power_user" {
  role       = aws_iam_role.this["terraform-apply"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess"
}

data "aws_iam_policy_document" "apply_iam" {
  statement {
    sid     = "ReadIam"
    actions = ["iam:Get*", "iam:List*"]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:*",
      "arn:${local.partition}:iam::aws:policy/*", # the managed policies attached here
    ]
  }

  statement {
    sid       = "RolesWithTheBoundary"
    actions   = local.bounded_role_writes
    resources = [local.environment_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [var.permissions_boundary_arn]
    }
  }

  statement {
    sid       = "RolesByName"
    actions   = local.named_role_writes
    resources = [local.environment_roles]
  }

  # Task and execution roles to ECS, the flow log role to VPC flow logs; nothing else.
  statement {
    sid       = "PassRolesToTheirServices"
    actions   = ["iam:PassRole"]
    resources = [local.environment_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  statement {
    sid = "ManageGitLabProvider"
    actions = [
      "iam:AddClientIDToOpenIDConnectProvider",
      "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider",
      "iam:TagOpenIDConnectProvider",
      "iam:UntagOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint",
    ]
    resources = [local.oidc_provider_arn]
  }

  # The Terraform roles change only by a person's apply: the pipeline cannot widen its own access
  # (a deny wins over the allows above; reading them stays allowed, for refresh).
  statement {
    sid       = "NotTheTerraformRoles"
    effect    = "Deny"
    actions   = concat(local.bounded_role_writes, local.named_role_writes, ["iam:PassRole"])
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name}-ci-terraform-*"]
  }
}

resource "aws_iam_role_policy" "apply_iam" {
  name   = "iam-for-this-environment"
  role   = aws_iam_role.this["terraform-apply"].id
  policy = data.aws_iam_policy_document.apply_iam.json
}
