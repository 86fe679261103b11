# Inputs. The clouds declare these as variables of their own (infra/run and --var set them there)
# and pass them here, where each is described and checked once for the three clouds.

variable "name" {
  description = "Prefix for every resource name (several deployments can share an account or project)."
  type        = string
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

variable "commands" {
  description = "Per VM role, its command, run from the repository root: train (--storage, --run-id, --resume-if-exists and the monitor flags are appended) and monitor (--storage and the monitor flags are appended)."
  type        = object({ train = string, monitor = string })
  validation {
    condition     = alltrue([for command in values(var.commands) : length(regexall("[\\n\\r]", command)) == 0])
    error_message = "train_command and monitor_command: one line each."
  }
}

variable "storage_prefix" {
  description = "Key prefix of the runs inside the bucket or container."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.storage_prefix))
    error_message = "storage_prefix: one or more path segments of letters, digits, '.', '_' and '-', without a leading or trailing '/' (the trainer's permissions are scoped to it)."
  }
}

variable "run_id" {
  description = "Run name in storage; empty: the UTC time of the first apply (%Y%m%dT%H%M%SZ), fixed for the deployment's life."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]*$", var.run_id))
    error_message = "run_id: letters, digits, '.', '_' and '-' only."
  }
}

variable "storage_url" {
  description = "Where the runs live, as ./gan --storage takes it (s3://, az:// or gs://, with the prefix)."
  type        = string
}

variable "poweroff_when_done" {
  description = "Power the training VM off when its command exits 0."
  type        = bool
}

variable "cloud_env" {
  description = "Per VM role, the line of /etc/gan/gan.env that names the cloud's region, identity or project."
  type        = object({ train = string, monitor = string })
}

variable "hosts" {
  description = "The public addresses of the training VM and of the monitor VM (null: no monitor VM, the training VM serves it)."
  type        = object({ train = string, monitor = string })
}

variable "ssh_user" {
  description = "Login user on both VMs."
  type        = string
}
