variable "name" {
  description = "Name prefix of every resource, e.g. odmu-production."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC: the load balancer only sends traffic there (to the tasks)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets, at least two availability zones."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener (issued in the load balancer's region)."
  type        = string
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward secrecy only."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "deletion_protection" {
  description = "Whether the load balancer refuses deletion (on in production)."
  type        = bool
  default     = true
}

variable "idle_timeout" {
  description = "Idle connection timeout of the load balancer, in seconds."
  type        = number
  default     = 60
}

variable "access_log_retention_days" {
  description = "Days access logs are kept in their bucket."
  type        = number
  default     = 90
}

variable "force_destroy_access_logs" {
  description = "Whether destroying the environment also deletes the access log bucket's objects (staging only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
