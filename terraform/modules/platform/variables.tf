variable "name" {
  description = "Name prefix of every resource, e.g. odmu-production."
  type        = string
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic (each confirms by mail)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
