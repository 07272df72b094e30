variable "name" {
  description = "Identifier of the instance and prefix of its resources, e.g. odmu-production."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two availability zones) of the subnet group."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5432, keyed by service name."
  type        = map(string)
}

variable "engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "Instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "allocated_storage" {
  description = "Initial gp3 storage, in GiB."
  type        = number
  default     = 20
}

variable "max_allocated_storage" {
  description = "Ceiling of storage autoscaling, in GiB."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "Whether a standby runs in a second availability zone (on in production)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Whether the instance refuses deletion (on in production)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 7
}

variable "kms_key_arn" {
  description = "KMS key of the storage, the master password secret and Performance Insights."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
