# Inputs. infra/run fills repo_url, git_ref and allowed_cidr; the rest have safe defaults.
# The inputs every cloud shares (name, repo_url, git_ref, allowed_cidr, train_command,
# monitor_command, storage_prefix, run_id) are described and checked once, in
# infra/modules/deployment/variables.tf, which deployment.tf passes them to.

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
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
  type    = string
  default = "runs"
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
  type    = string
  default = ""
}

variable "poweroff_when_done" {
  description = "Power the training VM off when the training command exits 0 (a stopped instance bills only its volume)."
  type        = bool
  default     = true
}
