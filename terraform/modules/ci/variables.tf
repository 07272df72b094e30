variable "name" {
  description = "Name prefix of the role, e.g. odmu-production."
  type        = string
}

variable "gitlab_url" {
  description = "Issuer URL of the GitLab instance (the id_token's iss)."
  type        = string
  default     = "https://gitlab.com"
}

variable "audience" {
  description = "Audience the pipeline's id_token carries (aud)."
  type        = string
  default     = "https://gitlab.com"
}

variable "create_oidc_provider" {
  description = "Whether to create the account's GitLab OIDC provider; false when another stack in the account already has it."
  type        = bool
  default     = true
}

variable "project_path" {
  description = "GitLab project allowed to assume the role, e.g. odmu/odmu."
  type        = string
}

variable "branches" {
  description = "Protected branches whose pipelines may deploy and apply."
  type        = list(string)
  default     = ["main"]
}

variable "repository_arns" {
  description = "ECR repositories the pipeline pushes to."
  type        = list(string)
}

variable "service_arns" {
  description = "ECS services the pipeline updates."
  type        = list(string)
}

variable "pass_role_arns" {
  description = "Task and execution roles the pipeline may pass in the task definitions it registers."
  type        = list(string)
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

variable "state_bucket" {
  description = "S3 bucket of this environment's Terraform state: the only objects the plan role may read."
  type        = string
}
