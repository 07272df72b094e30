variable "certificate_arn" {
  description = "ACM certificate of the public HTTPS listener (CI: TF_VAR_certificate_arn)."
  type        = string
}

variable "initial_image_tag" {
  description = "Image tag of the task definitions Terraform registers at creation; the pipeline owns the image afterwards."
  type        = string
  default     = "bootstrap"
}
