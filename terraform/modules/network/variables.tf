variable "name" {
  description = "Name prefix of every resource, e.g. odmu-production."
  type        = string
}

variable "cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones: one public and one private subnet in each."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2
    error_message = "Use at least two availability zones (the ALB and multi-AZ RDS need them)."
  }
}

variable "nat_gateway" {
  description = "Outbound internet for the private subnets: none (VPC endpoints only), single (one NAT gateway) or one_per_az."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "single", "one_per_az"], var.nat_gateway)
    error_message = "nat_gateway must be none, single or one_per_az."
  }
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints in the private subnets (the S3 gateway endpoint is always created: it is free)."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]
}

variable "flow_log_traffic_type" {
  description = "Traffic recorded by the VPC flow log: ACCEPT, REJECT or ALL."
  type        = string
  default     = "REJECT"
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group, in days."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string
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
