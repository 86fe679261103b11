# Inputs. infra/run fills repo_url, git_ref and allowed_cidr; the rest have safe defaults.

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix for every resource name (several deployments can share an account)."
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

variable "instance_type" {
  description = "GPU instance type: g5.xlarge (one A10G) by default; g4dn, g6, p3 (V100), p4d, p5 also accepted."
  type        = string
  default     = "g5.xlarge"
  validation {
    condition     = can(regex("^(g4dn|g5|g6|g6e|gr6|p3|p4d|p4de|p5|p5e|p5en)\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type: an NVIDIA GPU type such as g5.xlarge, g6.xlarge or p3.2xlarge."
  }
}

variable "ami_name_pattern" {
  description = "Name filter for the training AMI (owner amazon): an NVIDIA Deep Learning Base AMI with driver and CUDA. The OSS-driver AMI does not support p3 (Volta): use \"Deep Learning Base Proprietary Nvidia Driver GPU AMI (Ubuntu *\" there."
  type        = string
  default     = "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04) *"
}

variable "root_volume_gb" {
  description = "Root volume of the training VM in GiB; AWS refuses a size below the AMI's own snapshot."
  type        = number
  default     = 120
  validation {
    condition     = var.root_volume_gb >= 50
    error_message = "root_volume_gb: at least 50 (the Deep Learning AMI alone needs most of that)."
  }
}

variable "spot" {
  description = "Run the training VM as a persistent spot instance that stops (not terminates) on interruption; the unit resumes the run when it starts again."
  type        = bool
  default     = false
}

variable "versioning" {
  description = "Turn on S3 versioning for the bucket."
  type        = bool
  default     = false
}

variable "force_destroy_bucket" {
  description = "Let `terraform destroy` delete the bucket with every run in it (fetch models first). Off by default: a teardown deletes the bucket only when it is empty, and otherwise keeps it and every run."
  type        = bool
  default     = false
}

variable "storage_prefix" {
  description = "Key prefix of the runs inside the bucket."
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

variable "monitor_instance_type" {
  description = "Monitor VM type (it builds ./gan once with 2 GiB of swap, then only serves pages)."
  type        = string
  default     = "t3.micro"
}

variable "ssh_public_key" {
  description = "OpenSSH public key for user ubuntu on both VMs; empty: no key pair (use EC2 Instance Connect or SSM)."
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
  description = "Power the training VM off when the training command exits 0 (a stopped instance bills only its volume)."
  type        = bool
  default     = true
}
