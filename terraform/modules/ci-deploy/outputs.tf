output "role_arn" {
  description = "Role the deploy jobs assume with their GitLab id_token."
  value       = aws_iam_role.this.arn
}

output "oidc_provider_arn" {
  description = "ARN of the GitLab OIDC provider."
  value       = local.oidc_provider_arn
}
