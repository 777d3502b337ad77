variable "name" {
  description = "Name of the application function; hooks and alarm are named after it."
  type        = string
  default     = "orders-api"
}

variable "release" {
  description = "Release label the function reports; changing it publishes and releases a new version."
  type        = string
  default     = "v1"
}

variable "package_dir" {
  description = "Folder holding app.zip, pre_traffic.zip and post_traffic.zip (zips of src/app.py and hooks/*.py)."
  type        = string
  default     = "build"
}

variable "canary_percentage" {
  description = "Share of traffic the new version gets during the canary."
  type        = number
  default     = 10
}

variable "canary_interval" {
  description = "How long the canary is held while the alarm is watched."
  type        = string
  default     = "5m"
}

variable "alarm_poll_interval" {
  description = "How often the alarm is read during the canary."
  type        = string
  default     = "10s"
}
