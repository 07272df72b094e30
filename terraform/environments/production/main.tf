# Production: the environment module at production's sizes. Two on-demand tasks per service,
# interface endpoints and no NAT, a multi-AZ database with deletion protection
# (terraform/README.md has the reasons and the cost).

provider "aws" {
  region = "us-east-1" # the backend's region (versions.tf)
}

module "environment" {
  source = "../../modules/environment"

  environment       = "production"
  certificate_arn   = var.certificate_arn
  initial_image_tag = var.initial_image_tag
  alarm_emails      = []

  vpc_cidr            = "10.30.0.0/16"
  nat_gateway         = "none"
  interface_endpoints = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]

  deletion_protection      = true
  db_instance_class        = "db.t4g.small"
  db_multi_az              = true
  db_backup_retention_days = 14

  service_tasks = { desired_count = 2, min_capacity = 2, max_capacity = 6 }
  # driver_api and client_app_api carry the most CPU per ride (README, Capacity): 0.5 vCPU
  # tasks keep every service's capacity at about the same rides per hour.
  service_sizes = {
    driver_api     = { cpu = 512, memory = 1024 }
    client_app_api = { cpu = 512, memory = 1024 }
  }
}
