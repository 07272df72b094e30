output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "service_arn" {
  description = "ARN of the ECS service."
  value       = aws_ecs_service.this.id
}

output "repository_url" {
  description = "URL of the service's ECR repository."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the service's ECR repository."
  value       = aws_ecr_repository.this.arn
}

output "task_definition_family" {
  description = "Task definition family the pipeline registers revisions in."
  value       = aws_ecs_task_definition.this.family
}

output "execution_role_arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.this.id
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch dimension TargetGroup)."
  value       = aws_lb_target_group.this.arn_suffix
}

output "secret_arn" {
  description = "ARN of the service's secret (JSON object, one key per name in var.secrets)."
  value       = aws_secretsmanager_secret.this.arn
}

output "log_group_name" {
  description = "Name of the service's log group."
  value       = aws_cloudwatch_log_group.this.name
}
