data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  keys   = sort(keys(var.services))

  # One row per service: CPU and memory, requests and 5xx, p99 latency.
  service_widgets = flatten([for i, k in local.keys : [
    {
      type = "metric", x = 0, y = 6 + i * 6, width = 8, height = 6
      properties = {
        title = "${k}: CPU and memory %", region = local.region, stat = "Average", period = 60
        metrics = [
          ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", var.services[k].service_name],
          ["AWS/ECS", "MemoryUtilization", "ClusterName", var.cluster_name, "ServiceName", var.services[k].service_name],
        ]
      }
    },
    {
      type = "metric", x = 8, y = 6 + i * 6, width = 8, height = 6
      properties = {
        title = "${k}: requests and 5xx", region = local.region, stat = "Sum", period = 60
        metrics = [
          ["AWS/ApplicationELB", "RequestCount", "TargetGroup", var.services[k].target_group_arn_suffix, "LoadBalancer", var.alb_arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "TargetGroup", var.services[k].target_group_arn_suffix, "LoadBalancer", var.alb_arn_suffix],
        ]
      }
    },
    {
      type = "metric", x = 16, y = 6 + i * 6, width = 8, height = 6
      properties = {
        title = "${k}: response time p50 / p99 (s)", region = local.region, period = 60
        metrics = [
          ["AWS/ApplicationELB", "TargetResponseTime", "TargetGroup", var.services[k].target_group_arn_suffix, "LoadBalancer", var.alb_arn_suffix, { stat = "p50" }],
          ["AWS/ApplicationELB", "TargetResponseTime", "TargetGroup", var.services[k].target_group_arn_suffix, "LoadBalancer", var.alb_arn_suffix, { stat = "p99" }],
        ]
      }
    },
  ]])

  # Outbox lag (oldest undelivered message, ms) and dead messages, from the relays' log lines.
  outbox_widgets = [for i, k in var.outbox_services : {
    type = "metric", x = 0, y = 6 + length(local.keys) * 6 + i * 6, width = 24, height = 6
    properties = {
      title = "${k}: outbox lag (ms, max) and dead messages", region = local.region, stat = "Maximum", period = 60
      metrics = [
        ["odmu/${var.name}", "OutboxLagMs", "Service", k],
        ["odmu/${var.name}", "OutboxDead", "Service", k, { yAxis = "right" }],
      ]
    }
  }]

  overview_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title = "Load balancer: requests, 4xx, 5xx", region = local.region, stat = "Sum", period = 60
        metrics = [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_ELB_4XX_Count", "LoadBalancer", var.alb_arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title = "Database: CPU %, connections", region = local.region, stat = "Average", period = 60
        metrics = [
          ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.db_instance_id],
          ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.db_instance_id],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = concat(local.overview_widgets, local.service_widgets, local.outbox_widgets) })
}
