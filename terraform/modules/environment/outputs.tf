output "alb_dns_name" {
  description = "Public DNS name of the load balancer (point the site's alias record here)."
  value       = module.load_balancer.dns_name
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.platform.cluster_name
}

output "service_names" {
  description = "ECS service name of each service."
  value       = { for k, s in module.service : k => s.service_name }
}

output "repository_urls" {
  description = "ECR repository URL of each service."
  value       = { for k, s in module.service : k => s.repository_url }
}

output "task_definition_families" {
  description = "Task definition family of each service (the pipeline registers revisions there)."
  value       = { for k, s in module.service : k => s.task_definition_family }
}

output "secret_arns" {
  description = "Secrets Manager secret of each service (values set out of band)."
  value       = { for k, s in module.service : k => s.secret_arn }
}

output "database_address" {
  description = "Host of the PostgreSQL instance."
  value       = module.database.address
}

output "database_master_secret_arn" {
  description = "Secret of the database's master login (managed by RDS)."
  value       = module.database.master_user_secret_arn
}

output "ci_deploy_role_arn" {
  description = "Role the GitLab build and deploy jobs assume: AWS_DEPLOY_ROLE_ARN_<ENV> in the project's CI/CD variables."
  value       = module.ci.deploy_role_arn
}

output "ci_terraform_plan_role_arn" {
  description = "Role the GitLab terraform plan jobs assume: TF_PLAN_ROLE_ARN_<ENV>."
  value       = module.ci.terraform_plan_role_arn
}

output "ci_terraform_apply_role_arn" {
  description = "Role the GitLab terraform apply jobs assume: TF_APPLY_ROLE_ARN_<ENV>."
  value       = module.ci.terraform_apply_role_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = module.dashboard.dashboard_name
}
