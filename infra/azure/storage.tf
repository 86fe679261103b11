# The storage account and its private container gan-training-storage (the reference system's name).
# Azure encrypts every blob at rest; infrastructure encryption adds a second layer. Account names
# are global, 3-24 lower-case letters and digits: derived from the subscription and the deployment
# name so that the same deployment always gets the same account and needs no random provider.

locals {
  account_name = "gan${substr(sha1("${var.subscription_id}/${var.location}/${var.name}"), 0, 21)}"
  storage_url  = "az://${azurerm_storage_account.runs.name}/${azurerm_storage_container.runs.name}/${var.storage_prefix}"
}

resource "azurerm_storage_account" "runs" {
  name                              = local.account_name
  resource_group_name               = azurerm_resource_group.main.name
  location                          = azurerm_resource_group.main.location
  account_tier                      = "Standard"
  account_replication_type          = "LRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  infrastructure_encryption_enabled = true
}

resource "azurerm_storage_container" "runs" {
  name                  = "gan-training-storage"
  storage_account_id    = azurerm_storage_account.runs.id
  container_access_type = "private"
}
