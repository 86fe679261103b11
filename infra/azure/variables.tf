# Inputs. infra/run fills subscription_id (az account show), repo_url, git_ref, allowed_cidr and
# ssh_public_key; the rest have safe defaults.
# The inputs every cloud shares (name, repo_url, git_ref, allowed_cidr, train_command,
# monitor_command, storage_prefix, run_id) are described and checked once, in
# infra/modules/deployment/variables.tf, which deployment.tf passes them to.

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
  type    = string
  default = "runs"
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
  type    = string
  default = ""
}

variable "poweroff_when_done" {
  description = "Power the training VM off when training exits 0. Off by default on Azure: a VM stopped from inside stays allocated and keeps billing; deallocate it (az vm deallocate) or destroy."
  type        = bool
  default     = false
}
