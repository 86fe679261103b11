# Azure deployment of gan: a storage account with the container gan-training-storage, an NC-series
# GPU VM and an optional monitor VM. Safe by default: the NSG admits 22 and 8080 only from
# var.allowed_cidr (no default), and each VM's managed identity holds one data role scoped to the
# container alone (Contributor for the trainer, Reader for the monitor), never to the account.
terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.9, < 5.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
  # The storage account has shared keys off: Terraform reaches its data plane with Entra ID too.
  storage_use_azuread = true
}
