output "environment" {
  description = "Every output of the environment module (modules/environment/outputs.tf): terraform output -json environment."
  value       = module.environment
}
