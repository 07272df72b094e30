# One environment of odmu: network, load balancer, cluster, the five services (one typed map,
# for_each), database, dashboard and the CI roles (deploy, terraform plan, terraform apply).
# environments/<env>/ call this module once with that environment's sizes; everything else is
# here, once.

locals {
  # The five services (var.services: the service table) with this environment's task sizes,
  # and each service's own exceptions (var.service_sizes) over them.
  services = { for k, s in var.services : k => merge(
    s,
    var.service_tasks,
    { for field, value in try(var.service_sizes[k], {}) : field => value if value != null },
  ) }

  name = "odmu-${var.environment}"
  tags = merge(var.tags, { Project = "odmu", Environment = var.environment, ManagedBy = "terraform" })

  # Service Connect address of each service: http://<name-with-hyphens>:<port>.
  service_urls = { for k, s in local.services : k => "http://${replace(k, "_", "-")}:${s.port}" }

  common_environment = merge(
    {
      LOG_FORMAT             = "json"
      RUST_LOG               = "info"
      AUTH_ISSUER            = "odmu"
      AUTH_AUDIENCE          = "odmu"
      REQUEST_TIMEOUT_MS     = "10000"
      SHUTDOWN_DELAY_MS      = "0" # ECS deregisters the target before SIGTERM
      MALLOC_MMAP_THRESHOLD_ = "131072"
    },
    var.otel_endpoint == "" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT = var.otel_endpoint },
  )

  # Caller -> callee pairs of the call graph: each opens the callee's port to the caller only.
  calls = merge([for caller, s in local.services : {
    for callee in s.calls : "${caller}->${callee}" => { caller = caller, callee = callee }
  }]...)
}

module "platform" {
  source = "../../modules/platform"

  name         = local.name
  alarm_emails = var.alarm_emails
  tags         = local.tags
}

module "network" {
  source = "../../modules/network"

  name                     = local.name
  cidr                     = var.vpc_cidr
  nat_gateway              = var.nat_gateway
  interface_endpoints      = var.interface_endpoints
  kms_key_arn              = module.platform.kms_key_arn
  permissions_boundary_arn = module.platform.role_boundary_arn
  tags                     = local.tags
}

module "load_balancer" {
  source = "../../modules/load-balancer"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  vpc_cidr                  = module.network.vpc_cidr
  public_subnet_ids         = module.network.public_subnet_ids
  certificate_arn           = var.certificate_arn
  deletion_protection       = var.deletion_protection
  force_destroy_access_logs = !var.deletion_protection
  tags                      = local.tags
}

module "service" {
  source   = "../../modules/ecs-service"
  for_each = local.services

  name                   = each.key
  name_prefix            = local.name
  port                   = each.value.port
  prefix                 = each.value.prefix
  health_path            = each.value.health_path
  listener_rule_priority = each.value.priority
  cpu                    = each.value.cpu
  memory                 = each.value.memory
  desired_count          = each.value.desired_count
  min_capacity           = each.value.min_capacity
  max_capacity           = each.value.max_capacity
  capacity_provider      = each.value.capacity_provider
  image_tag              = var.initial_image_tag
  log_retention_days     = var.log_retention_days

  environment = merge(
    local.common_environment,
    { PORT = tostring(each.value.port) },
    contains(each.value.secrets, "SERVICE_CLIENT_SECRET") ? { SERVICE_CLIENT_ID = each.key } : {},
    { for callee in each.value.calls : local.services[callee].url_var => local.service_urls[callee] },
    # odmu_auth believes X-Forwarded-For only from inside the VPC: the load balancer's nodes.
    each.key == "odmu_auth" ? { AUTH_TRUSTED_PROXIES = var.vpc_cidr } : {},
    each.value.environment,
  )
  secrets = each.value.secrets
  outbox  = each.value.outbox

  cluster_name             = module.platform.cluster_name
  cluster_arn              = module.platform.cluster_arn
  namespace_arn            = module.platform.namespace_arn
  kms_key_arn              = module.platform.kms_key_arn
  alarm_topic_arn          = module.platform.alarm_topic_arn
  permissions_boundary_arn = module.platform.role_boundary_arn
  vpc_id                   = module.network.vpc_id
  vpc_cidr                 = module.network.vpc_cidr
  private_subnet_ids       = module.network.private_subnet_ids
  alb_security_group_id    = module.load_balancer.security_group_id
  alb_arn_suffix           = module.load_balancer.arn_suffix
  listener_arn             = module.load_balancer.https_listener_arn
  tags                     = local.tags
}

# Service Connect traffic: a service's port is open to the services that call it, and no others.
resource "aws_vpc_security_group_ingress_rule" "service_to_service" {
  for_each = local.calls

  security_group_id            = module.service[each.value.callee].security_group_id
  description                  = "${each.value.caller} calls ${each.value.callee}"
  ip_protocol                  = "tcp"
  from_port                    = local.services[each.value.callee].port
  to_port                      = local.services[each.value.callee].port
  referenced_security_group_id = module.service[each.value.caller].security_group_id

  tags = local.tags
}

module "database" {
  source = "../../modules/database"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  private_subnet_ids        = module.network.private_subnet_ids
  client_security_group_ids = { for k, s in module.service : k => s.security_group_id }
  instance_class            = var.db_instance_class
  allocated_storage         = var.db_allocated_storage
  multi_az                  = var.db_multi_az
  deletion_protection       = var.deletion_protection
  backup_retention_days     = var.db_backup_retention_days
  kms_key_arn               = module.platform.kms_key_arn
  tags                      = local.tags
}

module "dashboard" {
  source = "../../modules/dashboard"

  name           = local.name
  cluster_name   = module.platform.cluster_name
  alb_arn_suffix = module.load_balancer.arn_suffix
  db_instance_id = module.database.instance_id
  services = { for k, s in module.service : k => {
    service_name            = s.service_name
    target_group_arn_suffix = s.target_group_arn_suffix
  } }
  outbox_services = [for k, s in local.services : k if s.outbox]
}

module "ci" {
  source = "../../modules/ci"

  name                     = local.name
  create_oidc_provider     = var.create_oidc_provider
  project_path             = var.gitlab_project_path
  repository_arns          = [for s in module.service : s.repository_arn]
  service_arns             = [for s in module.service : s.service_arn]
  pass_role_arns           = flatten([for s in module.service : [s.execution_role_arn, s.task_role_arn]])
  permissions_boundary_arn = module.platform.role_boundary_arn
  # The bucket of environments/<env>/versions.tf's backend (a backend block cannot read variables).
  state_bucket = "odmu-terraform-state-${var.environment}"
  tags         = local.tags
}
