# GitLab CI's access to one environment: the OIDC provider and three roles, each assumed with a
# job's id_token (no stored keys) and each trusting only the refs that need it:
#   deploy           push images, register task definitions, update the services    protected branches
#   terraform-plan   read-only, for `terraform plan` on merge requests               any branch of the project
#   terraform-apply  manages this environment's resources                           protected branches

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  host              = trimprefix(var.gitlab_url, "https://")
  partition         = data.aws_partition.current.partition
  account_id        = data.aws_caller_identity.current.account_id
  oidc_provider_arn = "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.host}"
  role_writes = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
  ]
  protected_subs = [for b in var.branches : "project_path:${var.project_path}:ref_type:branch:ref:${b}"]

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

# --- terraform plan: AWS's ReadOnlyAccess (what refresh reads: Describe/Get/List everywhere, the
# state object included). It holds no secret values: secretsmanager:GetSecretValue is not in it.
# The plan job runs with -lock=false, so it writes nothing, not even the lock file.

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.this["terraform-plan"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# --- terraform apply: PowerUserAccess (everything but IAM and Organizations) plus IAM limited to
# this environment's names. A role that applies IAM can always grant itself more, so the guard is
# who can assume it: protected branches only, behind a manual job in a protected environment.

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
    sid       = "ManageEnvironmentRoles"
    actions   = local.role_writes
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name}-*"]
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

  # ECS, the load balancer, RDS and autoscaling create their service-linked roles on first use.
  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "rds.amazonaws.com",
      ]
    }
  }

  # The CI roles themselves change only by a person's apply: the pipeline cannot widen its own
  # access (a deny wins over the prefix allow above; reading them stays allowed, for refresh).
  statement {
    sid       = "NotTheCiRoles"
    effect    = "Deny"
    actions   = local.role_writes
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name}-ci-*"]
  }
}

resource "aws_iam_role_policy" "apply_iam" {
  name   = "iam-for-this-environment"
  role   = aws_iam_role.this["terraform-apply"].id
  policy = data.aws_iam_policy_document.apply_iam.json
}
