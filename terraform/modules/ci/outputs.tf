output "deploy_role_arn" {
  description = "Role the deploy jobs assume with their GitLab id_token (protected branches)."
  value       = aws_iam_role.this["deploy"].arn
}

output "terraform_plan_role_arn" {
  description = "Read-only role the terraform plan jobs assume (any branch of the project)."
  value       = aws_iam_role.this["terraform-plan"].arn
}

output "terraform_apply_role_arn" {
  description = "Role the terraform apply jobs assume (protected branches)."
  value       = aws_iam_role.this["terraform-apply"].arn
}

output "oidc_provider_arn" {
  description = "ARN of the GitLab OIDC provider."
  value       = local.oidc_provider_arn
}
