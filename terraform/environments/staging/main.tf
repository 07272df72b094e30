# Staging: the environment module at staging's sizes. One task per service on Fargate Spot, one
# NAT gateway, a single-AZ database without deletion protection (terraform/README.md has the
# reasons and the cost).

provider "aws" {
  region = "us-east-1" # the backend's region (versions.tf)
}

module "environment" {
  source = "../../modules/environment"

  environment       = "staging"
  certificate_arn   = var.certificate_arn
  initial_image_tag = var.initial_image_tag
  alarm_emails      = []

  vpc_cidr            = "10.20.0.0/16"
  nat_gateway         = "single"
  interface_endpoints = []

  deletion_protection      = false
  db_instance_class        = "db.t4g.micro"
  db_multi_az              = false
  db_backup_retention_days = 3

  service_tasks = { desired_count = 1, min_capacity = 1, max_capacity = 2, capacity_provider = "FARGATE_SPOT" }
}
