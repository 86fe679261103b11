# One user-assigned identity per VM, made before the VM so its role is in place when cloud-init
# starts training. Each role assignment's scope is the container (its resource-manager id, which is
# `id` when the container is made with storage_account_id), not the account or the group.

resource "azurerm_user_assigned_identity" "vm" {
  for_each            = local.vm_roles
  name                = "${var.name}-${each.key}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
}

resource "azurerm_role_assignment" "train_blob" {
  scope                = azurerm_storage_container.runs.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.vm["train"].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "monitor_blob" {
  count                = var.monitor_vm ? 1 : 0
  scope                = azurerm_storage_container.runs.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_user_assigned_identity.vm["monitor"].principal_id
  principal_type       = "ServicePrincipal"
}
