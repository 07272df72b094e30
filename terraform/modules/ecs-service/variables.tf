variable "name" {
  description = "The service's name in the service table (crates/topology), e.g. odmu_auth; also its container name and log group /ecs/<name>."
  type        = string
}

variable "name_prefix" {
  description = "Environment prefix of the resources' names, e.g. odmu-production."
  type        = string
}

variable "port" {
  description = "Container (traffic) port, from the service table."
  type        = number
}

variable "prefix" {
  description = "Public path prefix, from the service table; the listener rule forwards {prefix} and {prefix}/*."
  type        = string

  validation {
    condition     = startswith(var.prefix, "/") && !endswith(var.prefix, "/")
    error_message = "prefix starts with / and does not end with one, e.g. /auth."
  }
}

variable "health_path" {
  description = "Liveness path ({prefix}/health): the target group's health check."
  type        = string
}

variable "image_tag" {
  description = "Image tag of the task definition Terraform registers. Only used at creation: the pipeline owns the running image afterwards."
  type        = string
  default     = "bootstrap"
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "CPU architecture of the image: X86_64 or ARM64."
  type        = string
  default     = "X86_64"
}

variable "desired_count" {
  description = "Tasks at creation; autoscaling owns the count afterwards."
  type        = number
  default     = 1
}

variable "min_capacity" {
  description = "Fewest tasks autoscaling keeps."
  type        = number
  default     = 1
}

variable "max_capacity" {
  description = "Most tasks autoscaling starts."
  type        = number
  default     = 2
}

variable "capacity_provider" {
  description = "FARGATE or FARGATE_SPOT."
  type        = string
  default     = "FARGATE"

  validation {
    condition     = contains(["FARGATE", "FARGATE_SPOT"], var.capacity_provider)
    error_message = "capacity_provider must be FARGATE or FARGATE_SPOT."
  }
}

variable "environment" {
  description = "Plain environment variables of the container."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Names of environment variables read from this service's own Secrets Manager secret (a JSON object with these keys, values set out of band)."
  type        = list(string)
  default     = []
}

variable "cluster_name" {
  description = "Name of the ECS cluster."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster."
  type        = string
}

variable "namespace_arn" {
  description = "Service Connect namespace."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the tasks."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (egress to the database and the other services)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer, the only public source of traffic."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (alarm and scaling dimensions)."
  type        = string
}

variable "listener_arn" {
  description = "HTTPS listener the path rule attaches to."
  type        = string
}

variable "listener_rule_priority" {
  description = "Priority of the service's path rule; 100 and up, after the load balancer's 404 rules for internal and metrics paths."
  type        = number

  validation {
    condition     = var.listener_rule_priority >= 100 && var.listener_rule_priority <= 50000
    error_message = "Service rules use priorities 100 to 50000: below 100 belongs to the load balancer's blocking rules."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the log group and the secret."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the log group /ecs/<name>, in days."
  type        = number
  default     = 30
}

variable "ecr_keep_images" {
  description = "Images the repository keeps (the newest); older ones expire."
  type        = number
  default     = 30
}

variable "deregistration_delay" {
  description = "Seconds the target group drains a deregistered task. Requests time out after 10 s (REQUEST_TIMEOUT_MS), so 15 s lets every in-flight request finish before ECS sends SIGTERM."
  type        = number
  default     = 15
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL (Fargate max 120). The task is already out of the target group; in-flight Service Connect requests end within 10 s, then the pool and telemetry flush: 30 s leaves margin."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout >= 15 && var.stop_timeout <= 120
    error_message = "stop_timeout must cover the 10 s request timeout and stay within Fargate's 120 s."
  }
}

variable "health_check_grace_period" {
  description = "Seconds after a task starts before failed load balancer health checks count."
  type        = number
  default     = 60
}

variable "cpu_target" {
  description = "Average CPU utilization (%) autoscaling aims for."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "ALB requests per task per minute autoscaling aims for."
  type        = number
  default     = 1000
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  type        = string
}

variable "alarm_5xx_per_minute" {
  description = "5xx answers per minute from the service that raise the alarm."
  type        = number
  default     = 5
}

variable "alarm_p99_seconds" {
  description = "p99 target response time (seconds) that raises the alarm."
  type        = number
  default     = 1
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary attached to the roles created here (platform module's role_boundary_arn)."
  type        = string
}

variable "outbox" {
  description = "Whether the service runs an outbox relay (crates/outbox): its JSON log line \"outbox\" becomes the OutboxLagMs and OutboxDead metrics (namespace odmu/<name_prefix>), alarmed when the lag passes outbox_lag_alarm_ms or a message is parked as dead."
  type        = bool
  default     = false
}

variable "outbox_lag_alarm_ms" {
  description = "Age in milliseconds of the oldest undelivered outbox message that raises the alarm."
  type        = number
  default     = 60000
}

variable "fare_review_alarm_per_hour" {
  description = "Rides priced otherwise than their driver reported, per hour, above which the FareReviews alarm fires."
  type        = number
  default     = 5
}
