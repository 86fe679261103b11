# Inputs. infra/run fills project (gcloud config get-value project), repo_url, git_ref and
# allowed_cidr; the rest have safe defaults.

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
  description = "Prefix for every resource name."
  type        = string
  default     = "gan"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 characters, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "repo_url" {
  description = "HTTPS Git URL the VMs clone (no default: infra/run passes `git remote get-url origin`, SSH remotes turned into their https:// form)."
  type        = string
  validation {
    condition     = can(regex("^https://[^\\s'\"`$]+$", var.repo_url)) && !strcontains(var.repo_url, "example.invalid")
    error_message = "repo_url: an https:// URL of this repository that the VM can clone without credentials (it holds no SSH key, so git@ and ssh:// URLs cannot work)."
  }
}

variable "git_ref" {
  description = "Branch, tag or commit the VMs build."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9._/][A-Za-z0-9._/-]*$", var.git_ref))
    error_message = "git_ref: a branch, tag or commit (letters, digits, '.', '_', '/', '-'), not beginning with '-' (git would read it as an option)."
  }
}

variable "allowed_cidr" {
  description = "The only network allowed to reach ports 22 and 8080, e.g. your IP as 203.0.113.7/32."
  type        = string
  validation {
    condition     = can(cidrhost(var.allowed_cidr, 0)) && !endswith(var.allowed_cidr, "/0")
    error_message = "allowed_cidr: a CIDR such as 203.0.113.7/32; a /0 would open SSH and the monitor to the whole internet."
  }
}

variable "train_command" {
  description = "Training command, run from the repository root; --storage, --run-id, --resume-if-exists and the monitor flags are appended."
  type        = string
  default     = "./gan --train"
  validation {
    condition     = length(regexall("[\\n\\r]", var.train_command)) == 0
    error_message = "train_command: one line."
  }
}

variable "monitor_command" {
  description = "Monitor command for the monitor VM; --storage and the monitor flags are appended."
  type        = string
  default     = "./gan --monitor"
  validation {
    condition     = length(regexall("[\\n\\r]", var.monitor_command)) == 0
    error_message = "monitor_command: one line."
  }
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
  description = "Object prefix of the runs inside the bucket."
  type        = string
  default     = "runs"
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.storage_prefix))
    error_message = "storage_prefix: one or more path segments of letters, digits, '.', '_' and '-', without a leading or trailing '/' (the trainer's permissions are scoped to it)."
  }
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
  description = "Run name in storage; empty: the UTC time of the first apply (%Y%m%dT%H%M%SZ), fixed for the deployment's life."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]*$", var.run_id))
    error_message = "run_id: letters, digits, '.', '_' and '-' only."
  }
}

variable "poweroff_when_done" {
  description = "Power the training VM off when training exits 0 (a stopped VM bills only its disk)."
  type        = bool
  default     = true
}
