variable "environment" {
  description = "Name of the environment (part of every resource name), e.g. staging."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource (Project, Environment and ManagedBy are added)."
  type        = map(string)
  default     = {}
}

variable "certificate_arn" {
  description = "ACM certificate of the public HTTPS listener."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses the alarms mail to."
  type        = list(string)
  default     = []
}

variable "gitlab_project_path" {
  description = "GitLab project whose main-branch pipelines may deploy."
  type        = string
  default     = "odmu/odmu"
}

variable "create_oidc_provider" {
  description = "Whether this stack creates the account's GitLab OIDC provider (one per account)."
  type        = bool
  default     = true
}

variable "vpc_cidr" {
  description = "CIDR of the VPC."
  type        = string
}

variable "nat_gateway" {
  description = "none, single or one_per_az (see terraform/README.md: NAT or endpoints)."
  type        = string
}

variable "interface_endpoints" {
  description = "Interface VPC endpoints in the private subnets."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "Deletion protection of the load balancer and the database."
  type        = bool
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_allocated_storage" {
  description = "Initial database storage, GiB."
  type        = number
  default     = 20
}

variable "db_multi_az" {
  description = "Whether the database has a standby in a second zone."
  type        = bool
}

variable "db_backup_retention_days" {
  description = "Days of automated database backups."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the services' log groups, days."
  type        = number
  default     = 30
}

variable "otel_endpoint" {
  description = "OTLP/HTTP endpoint traces are exported to; empty exports none."
  type        = string
  default     = ""
}

variable "initial_image_tag" {
  description = "Image tag of the task definitions Terraform registers at creation; the pipeline owns the image afterwards."
  type        = string
}

variable "service_tasks" {
  description = "Size, count and capacity provider of every service's tasks in this environment."
  type = object({
    cpu               = optional(number, 256)
    memory            = optional(number, 512)
    desired_count     = number
    min_capacity      = number
    max_capacity      = number
    capacity_provider = optional(string, "FARGATE")
  })
}

variable "service_sizes" {
  description = "Per-service exceptions to var.service_tasks (size, counts), keyed by service name: the services that carry more of a ride's CPU get larger tasks or more of them (README, Capacity)."
  type = map(object({
    cpu           = optional(number)
    memory        = optional(number)
    desired_count = optional(number)
    min_capacity  = optional(number)
    max_capacity  = optional(number)
  }))
  default = {}
}

variable "services" {
  description = "The five services, keyed by their name in the service table (crates/topology); port, prefix, health path, URL variable and calls must match it (tools/deploy-checks/tests/terraform.rs checks). The default is the table: environments set only var.service_tasks."
  type = map(object({
    port        = number
    prefix      = string
    health_path = string
    url_var     = string
    calls       = optional(list(string), [])
    priority    = number
    environment = optional(map(string), {})
    secrets     = optional(list(string), ["DATABASE_URL", "SERVICE_CLIENT_SECRET"])
    outbox      = optional(bool, false)
  }))

  default = {
    odmu_auth = {
      port        = 3003
      prefix      = "/auth"
      health_path = "/auth/health"
      url_var     = "AUTH_URL"
      calls       = []
      priority    = 100
      environment = {
        AUTH_URL                   = "http://127.0.0.1:3003" # odmu_auth verifies its own tokens through itself
        AUTH_BOOTSTRAP_ADMIN_EMAIL = "admin@odmu.example"
      }
      secrets = ["DATABASE_URL", "AUTH_SIGNING_KEY", "AUTH_SERVICE_CLIENTS", "AUTH_BOOTSTRAP_ADMIN_PASSWORD"]
    }
    odmu_contractual = {
      port        = 3004
      prefix      = "/contract"
      health_path = "/contract/health"
      url_var     = "CONTRACTUAL_URL"
      calls       = ["odmu_auth"]
      priority    = 110
      environment = {
        CONTRACT_QUOTE_TTL_S = "300"
      }
    }
    billing = {
      port        = 3001
      prefix      = "/billing"
      health_path = "/billing/health"
      url_var     = "BILLING_URL"
      calls       = ["odmu_contractual", "odmu_auth"]
      priority    = 120
      environment = {
        IDEMPOTENCY_TTL_H        = "24"
        BILLING_PRICE_TIMEOUT_MS = "1500"
        BILLING_DEFAULT_CURRENCY = "EUR"
      }
    }
    driver_api = {
      port        = 3002
      prefix      = "/driver"
      health_path = "/driver/health"
      url_var     = "DRIVER_API_URL"
      calls       = ["odmu_contractual", "billing", "odmu_auth"]
      priority    = 130
      environment = {
        DISPATCH_RADIUS_M  = "3000"
        RIDE_REQUEST_TTL_S = "300"
      }
      outbox = true
    }
    client_app_api = {
      port        = 3000
      prefix      = "/client"
      health_path = "/client/health"
      url_var     = "CLIENT_APP_API_URL"
      calls       = ["odmu_contractual", "driver_api", "billing", "odmu_auth"]
      priority    = 140
      environment = {
        ROUTE_FACTOR           = "1.3"
        IDEMPOTENCY_TTL_H      = "24"
        CLIENT_CALL_TIMEOUT_MS = "2000"
      }
    }
  }
}
