data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  # DNS-safe name: the Service Connect name other services call (http://odmu-auth:3003).
  service   = replace(var.name, "_", "-")
  full_name = "${var.name_prefix}-${local.service}"
}

################################################################################
# Image repository
################################################################################

resource "aws_ecr_repository" "this" {
  name                 = "${var.name_prefix}/${var.name}"
  image_tag_mutability = "IMMUTABLE" # tag = commit SHA, never moved

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}

################################################################################
# Logs and secrets
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:retention is a variable, 30 days by default by design (cost); raise it per environment if compliance needs a year
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

# One secret per service, a JSON object with one key per name in var.secrets. Terraform creates the
# container; an operator (or the database bootstrap script) writes the values, so none is in state.
resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:values are set out of band (database logins, signing key, client secrets); rotation is the documented manual procedure in terraform/README.md
  name                    = "${var.name_prefix}/${var.name}"
  description             = "Secrets of ${var.name}: ${join(", ", var.secrets)}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7

  tags = var.tags
}

################################################################################
# Roles: the execution role pulls the image, writes the log group and reads the secret, all its own
################################################################################

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name                 = "${local.full_name}-execution"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"] # has no resource-level permissions
    resources = ["*"]
  }

  statement {
    sid       = "PullOwnImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.this.arn]
  }

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "ReadOwnSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.this.arn]
  }

  statement {
    sid       = "DecryptOwnSecret"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:SecretARN"
      values   = [aws_secretsmanager_secret.this.arn]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-read-secret"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The application calls no AWS API: its task role has no permissions at all.
resource "aws_iam_role" "task" {
  name                 = "${local.full_name}-task"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

################################################################################
# Task definition: registered once by Terraform, then revised by the pipeline (image only)
################################################################################

resource "aws_ecs_task_definition" "this" {
  family                   = local.full_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  skip_destroy             = true # old revisions stay registered: rollback = redeploy one

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([{
    name                   = var.name
    image                  = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
    essential              = true
    user                   = "65532:65532"
    readonlyRootFilesystem = true
    stopTimeout            = var.stop_timeout

    portMappings = [{
      name          = "http" # the Service Connect port name
      containerPort = var.port
      protocol      = "tcp"
      appProtocol   = "http"
    }]

    environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
    secrets = [for k in sort(var.secrets) : {
      name      = k
      valueFrom = "${aws_secretsmanager_secret.this.arn}:${k}::"
    }]

    # The binary's own probe (GET {prefix}/health on PORT): no curl in a distroless image.
    healthCheck = {
      command     = ["CMD", "/usr/local/bin/service", "healthcheck"]
      interval    = 10
      timeout     = 3
      retries     = 3
      startPeriod = 10
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "app"
      }
    }
  }])

  tags = var.tags
}

################################################################################
# Load balancer: target group and path rule
################################################################################

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the hop to the task stays inside private subnets behind security groups
  name                 = substr(local.full_name, 0, 32)
  port                 = var.port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay

  health_check {
    path                = var.health_path
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_listener_rule" "this" {
  listener_arn = var.listener_arn
  priority     = var.listener_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  condition {
    path_pattern {
      values = [var.prefix, "${var.prefix}/*"]
    }
  }

  tags = var.tags
}

################################################################################
# Network: the load balancer (and, from the environment, the callers) reach the port; nothing else
################################################################################

resource "aws_security_group" "this" {
  name        = local.full_name
  description = "Tasks of ${var.name}: the traffic port from the load balancer and its callers only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.full_name })
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  security_group_id            = aws_security_group.this.id
  description                  = "Traffic and health checks from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = var.alb_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs (ECR, logs, Secrets Manager) via endpoints or NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  security_group_id = aws_security_group.this.id
  description       = "The database and the other services inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 1024
  to_port           = 65535
  cidr_ipv4         = var.vpc_cidr
}

################################################################################
# Service
################################################################################

resource "aws_ecs_service" "this" {
  name                              = local.service
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = var.health_check_grace_period
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  enable_execute_command            = false # distroless: no shell to exec into
  wait_for_steady_state             = false

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  capacity_provider_strategy {
    capacity_provider = var.capacity_provider
    weight            = 1
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = var.name
    container_port   = var.port
  }

  service_connect_configuration {
    enabled   = true
    namespace = var.namespace_arn

    service {
      port_name      = "http"
      discovery_name = local.service

      client_alias {
        port     = var.port
        dns_name = local.service
      }
    }

    log_configuration {
      log_driver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "service-connect"
      }
    }
  }

  # The pipeline owns the running task definition (its image is the commit SHA) and autoscaling
  # owns the task count: a later apply must not roll either back.
  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }

  tags = var.tags

  depends_on = [aws_lb_listener_rule.this, aws_iam_role_policy.execution]
}

################################################################################
# Autoscaling: CPU and requests per target
################################################################################

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.full_name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${local.full_name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${aws_lb_target_group.this.arn_suffix}"
    }
  }
}

################################################################################
# Alarms to SNS
################################################################################

locals {
  ecs_dimensions = { ClusterName = var.cluster_name, ServiceName = aws_ecs_service.this.name }
  tg_dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = aws_lb_target_group.this.arn_suffix }
}

# The single-metric alarms differ only in these fields.
locals {
  metric_alarms = {
    "cpu-high" = {
      description = "average CPU above 85% for 5 minutes"
      namespace   = "AWS/ECS", metric = "CPUUtilization", dimensions = local.ecs_dimensions
      statistic   = "Average", extended_statistic = null, periods = 5, threshold = 85, missing = "missing"
    }
    "memory-high" = {
      description = "average memory above 85% for 5 minutes"
      namespace   = "AWS/ECS", metric = "MemoryUtilization", dimensions = local.ecs_dimensions
      statistic   = "Average", extended_statistic = null, periods = 5, threshold = 85, missing = "missing"
    }
    "5xx" = {
      description = "more than ${var.alarm_5xx_per_minute} 5xx answers a minute, 3 minutes running"
      namespace   = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", dimensions = local.tg_dimensions
      statistic   = "Sum", extended_statistic = null, periods = 3, threshold = var.alarm_5xx_per_minute, missing = "notBreaching"
    }
    "p99-latency" = {
      description = "p99 response time above ${var.alarm_p99_seconds} s for 5 minutes"
      namespace   = "AWS/ApplicationELB", metric = "TargetResponseTime", dimensions = local.tg_dimensions
      statistic   = null, extended_statistic = "p99", periods = 5, threshold = var.alarm_p99_seconds, missing = "notBreaching"
    }
    "unhealthy-hosts" = {
      description = "a target failing its health check for 3 minutes"
      namespace   = "AWS/ApplicationELB", metric = "UnHealthyHostCount", dimensions = local.tg_dimensions
      statistic   = "Maximum", extended_statistic = null, periods = 3, threshold = 0, missing = "missing"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${local.full_name}-${each.key}"
  alarm_description   = "${var.name}: ${each.value.description}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = 60
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = each.value.missing
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "running_below_desired" {
  alarm_name          = "${local.full_name}-running-below-desired"
  alarm_description   = "${var.name}: fewer tasks running than desired for 5 minutes (Container Insights)"
  evaluation_periods  = 5
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  metric_query {
    id          = "missing"
    expression  = "desired - running"
    label       = "Tasks missing"
    return_data = true
  }

  metric_query {
    id = "desired"

    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = local.ecs_dimensions
      stat        = "Minimum"
      period      = 60
    }
  }

  metric_query {
    id = "running"

    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = local.ecs_dimensions
      stat        = "Minimum"
      period      = 60
    }
  }

  tags = var.tags
}

# The outbox relay logs {"message":"outbox","outbox_lag_ms":..,"outbox_dead":..,"outbox_pending":..}
# every 10 s while anything is pending or dead (crates/outbox): metric filters turn that JSON line
# into metrics, with no agent. Silence means nothing waits, so missing data is not breaching.
locals {
  outbox_metrics = var.outbox ? {
    OutboxLagMs   = "$.outbox_lag_ms"
    OutboxDead    = "$.outbox_dead"
    OutboxPending = "$.outbox_pending"
  } : {}
}

resource "aws_cloudwatch_log_metric_filter" "outbox" {
  for_each = local.outbox_metrics

  name           = "${local.full_name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = "{ $.message = \"outbox\" }"

  metric_transformation {
    name      = each.key
    namespace = "odmu/${var.name_prefix}"
    value     = each.value
    unit      = each.key == "OutboxLagMs" ? "Milliseconds" : "Count"
    dimensions = {
      Service = var.name
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "outbox" {
  for_each = var.outbox ? {
    lag  = { metric = "OutboxLagMs", threshold = var.outbox_lag_alarm_ms, description = "an outbox message has waited longer than ${var.outbox_lag_alarm_ms} ms (is its consumer down?)" }
    dead = { metric = "OutboxDead", threshold = 0, description = "an outbox message was parked as dead: it can never be delivered; see GET /<prefix>/v1/outbox" }
  } : {}

  alarm_name          = "${local.full_name}-outbox-${each.key}"
  alarm_description   = "${var.name}: ${each.value.description}"
  namespace           = "odmu/${var.name_prefix}"
  metric_name         = each.value.metric
  dimensions          = { Service = var.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  depends_on = [aws_cloudwatch_log_metric_filter.outbox]

  tags = var.tags
}

# Security events the services log (`security_event`, JSON logs) as metrics, one per event:
# a ride priced otherwise than its driver reported (contractual), a refresh token presented
# twice (odmu_auth). Each alarms: reviews when more than a handful an hour (a driver probing
# the fare rules), token reuse at the first (a stolen token).
locals {
  security_events = {
    FareReviews       = { event = "fare_review", threshold = var.fare_review_alarm_per_hour, period = 3600 }
    RefreshTokenReuse = { event = "refresh_token_reuse", threshold = 0, period = 300 }
  }
}

resource "aws_cloudwatch_log_metric_filter" "security" {
  for_each = local.security_events

  name           = "${local.full_name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = "{ $.security_event = \"${each.value.event}\" }"

  metric_transformation {
    name          = each.key
    namespace     = "odmu/${var.name_prefix}"
    value         = "1"
    default_value = "0"
    unit          = "Count"
    dimensions = {
      Service = var.name
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "security" {
  for_each = local.security_events

  alarm_name          = "${local.full_name}-${each.key}"
  alarm_description   = "${var.name}: more than ${each.value.threshold} ${each.value.event} events in ${each.value.period} s"
  namespace           = "odmu/${var.name_prefix}"
  metric_name         = each.key
  dimensions          = { Service = var.name }
  statistic           = "Sum"
  period              = each.value.period
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  depends_on = [aws_cloudwatch_log_metric_filter.security]

  tags = var.tags
}
