output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name

  # Services using FARGATE_SPOT must wait until the capacity providers are attached.
  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

output "namespace_arn" {
  description = "ARN of the Service Connect namespace the services call each other through."
  value       = aws_service_discovery_http_namespace.this.arn
}

output "kms_key_arn" {
  description = "ARN of the environment's KMS key (logs, secrets, SNS, database)."
  value       = aws_kms_key.this.arn
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = aws_sns_topic.this.arn
}

output "role_boundary_arn" {
  description = "Permissions boundary that every workload and deploy role of the environment carries."
  value       = aws_iam_policy.role_boundary.arn
}
