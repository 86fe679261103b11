# Inputs. infra/run fills subscription_id (az account show), repo_url, git_ref, allowed_cidr and
# ssh_public_key; the rest have safe defaults.

variable "subscription_id" {
  description = "Azure subscription to deploy into."
  type        = string
}

variable "location" {
  description = "Azure region (it must offer var.vm_size)."
  type        = string
  default     = "eastus"
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

variable "vm_size" {
  description = "NC-series GPU size: Standard_NC4as_T4_v3 (one T4) by default; e.g. Standard_NC24ads_A100_v4 (one A100)."
  type        = string
  default     = "Standard_NC4as_T4_v3"
  validation {
    condition     = can(regex("^Standard_NC", var.vm_size))
    error_message = "vm_size: an NC-series size such as Standard_NC4as_T4_v3 or Standard_NC24ads_A100_v4."
  }
}

variable "image" {
  description = "Training VM image: needs the NVIDIA driver, the CUDA toolkit and cloud-init (the Data Science VM's Ubuntu HPC image has all three)."
  type = object({
    publisher = string
    offer     = string
    sku       = string
    version   = string
  })
  default = {
    publisher = "microsoft-dsvm"
    offer     = "ubuntu-hpc"
    sku       = "2204"
    version   = "latest"
  }
}

variable "os_disk_gb" {
  description = "OS disk of the training VM in GiB."
  type        = number
  default     = 128
}

variable "spot" {
  description = "Run the training VM as a Spot VM that is deallocated (not deleted) on eviction; start it again and the unit resumes the run."
  type        = bool
  default     = false
}

variable "storage_prefix" {
  description = "Blob prefix of the runs inside the container."
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

variable "monitor_vm_size" {
  description = "Monitor VM size (it builds ./gan once with 2 GiB of swap, then only serves pages)."
  type        = string
  default     = "Standard_B1s"
}

variable "admin_username" {
  description = "Login user on both VMs."
  type        = string
  default     = "azureuser"
}

variable "ssh_public_key" {
  description = "OpenSSH public key for admin_username (Azure requires one; infra/run reads ~/.ssh/id_rsa.pub or id_ed25519.pub)."
  type        = string
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
  description = "Power the training VM off when training exits 0. Off by default on Azure: a VM stopped from inside stays allocated and keeps billing; deallocate it (az vm deallocate) or destroy."
  type        = bool
  default     = false
}
