# The storage account and its private container gan-training-storage (the reference system's name).
# Azure encrypts every blob at rest; infrastructure encryption adds a second layer. Shared keys are
# off and the firewall admits only the VMs' subnet and var.allowed_cidr. Account names
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
  # The VMs sign in with their managed identities (Entra ID and RBAC on the container): no account
  # key or SAS can open this account, so none can leak.
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  # Reachable from the VMs' subnet (a service endpoint) and the operator's network only.
  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices"]
    virtual_network_subnet_ids = [azurerm_subnet.vms.id]
    # Storage firewall rules take a bare address for a single host, not a /31 or /32.
    ip_rules = [endswith(var.allowed_cidr, "/32") ? cidrhost(var.allowed_cidr, 0) : var.allowed_cidr]
  }
}

resource "azurerm_storage_container" "runs" {
  name                  = "gan-training-storage"
  storage_account_id    = azurerm_storage_account.runs.id
  container_access_type = "private"
}
