# Inputs. infra/run fills project (gcloud config get-value project), repo_url, git_ref and
# allowed_cidr; the rest have safe defaults.
# The inputs every cloud shares (name, repo_url, git_ref, allowed_cidr, train_command,
# monitor_command, storage_prefix, run_id) are described and checked once, in
# infra/modules/deployment/variables.tf, which deployment.tf passes them to.

variable "project" {
  description = "GCP project id (the Compute Engine, Cloud Storage and IAM APIs enabled)."
  type        = string
}

variable "region" {
  description = "GCP region."
  type        = string
  default     = "us-central1"
}

variable "zone" {
  description = "Zone for the VMs (it must offer var.machine_type); empty: the first zone of the region, by name, that offers it when the deployment is created (kept until region, zone or machine_type change)."
  type        = string
  default     = ""
}

variable "name" {
  type    = string
  default = "gan"
}

variable "repo_url" {
  type = string
}

variable "git_ref" {
  type = string
}

variable "allowed_cidr" {
  type = string
}

variable "train_command" {
  type    = string
  default = "./gan --train"
}

variable "monitor_command" {
  type    = string
  default = "./gan --monitor"
}

variable "machine_type" {
  description = "GPU machine type with its GPU built in: g2-standard-4 (one L4) by default, a2-highgpu-1g (one A100) also."
  type        = string
  default     = "g2-standard-4"
  validation {
    condition     = can(regex("^(g2|a2|a3|g4)-[a-z0-9-]+$", var.machine_type))
    error_message = "machine_type: a G2 or A2 type such as g2-standard-4 or a2-highgpu-1g."
  }
}

variable "image" {
  description = "Training VM image: needs the NVIDIA driver, the CUDA toolkit and cloud-init (a Deep Learning VM Ubuntu family)."
  type        = string
  default     = "projects/deeplearning-platform-release/global/images/family/common-cu129-ubuntu-2404-nvidia-580"
}

variable "boot_disk_gb" {
  description = "Boot disk of the training VM in GiB."
  type        = number
  default     = 100
}

variable "spot" {
  description = "Run the training VM as a Spot VM that is stopped (not deleted) on preemption; start it again and the unit resumes the run."
  type        = bool
  default     = false
}

variable "versioning" {
  description = "Turn on object versioning for the bucket."
  type        = bool
  default     = false
}

variable "force_destroy_bucket" {
  description = "Let `terraform destroy` delete the bucket with every run in it (fetch models first). Off by default: a teardown deletes the bucket only when it is empty, and otherwise keeps it and every run."
  type        = bool
  default     = false
}

variable "storage_prefix" {
  type    = string
  default = "runs"
}

variable "monitor_vm" {
  description = "Create the small monitor VM that keeps serving the runs after the GPU VM is gone."
  type        = bool
  default     = true
}

variable "monitor_machine_type" {
  description = "Monitor VM type (it builds ./gan once, then only serves pages)."
  type        = string
  default     = "e2-small"
}

variable "ssh_public_key" {
  description = "OpenSSH public key for user ubuntu; empty: use `gcloud compute ssh`, which adds its own."
  type        = string
  default     = ""
}

variable "run_id" {
  type    = string
  default = ""
}

variable "poweroff_when_done" {
  description = "Power the training VM off when training exits 0 (a stopped VM bills only its disk)."
  type        = bool
  default     = true
}
