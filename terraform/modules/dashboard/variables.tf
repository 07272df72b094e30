variable "name" {
  description = "Name of the dashboard, e.g. odmu-production."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer."
  type        = string
}

variable "db_instance_id" {
  description = "Identifier of the RDS instance."
  type        = string
}

variable "services" {
  description = "The services shown, keyed by service table name."
  type = map(object({
    service_name            = string
    target_group_arn_suffix = string
  }))
}

variable "outbox_services" {
  description = "Services that run an outbox relay: their OutboxLagMs and OutboxDead metrics get a widget."
  type        = list(string)
  default     = []
}
