# The GPU training VM and the optional monitor VM, both from the shared cloud-init template
# (infra/cloud-init/gan.yaml.tftpl), rendered by module "deployment" (deployment.tf) with the run id
# it fixes once per deployment, so that a rebooted, re-created or evicted-and-restarted VM continues
# the same run.

resource "azurerm_linux_virtual_machine" "train" {
  name                            = "${var.name}-train"
  location                        = azurerm_resource_group.main.location
  resource_group_name             = azurerm_resource_group.main.name
  size                            = var.vm_size
  admin_username                  = var.admin_username
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.vm["train"].id]
  custom_data                     = base64encode(module.deployment.user_data["train"])

  # Spot: evicted VMs are deallocated (disk kept) and can be started again; -1 = pay up to on-demand.
  priority        = var.spot ? "Spot" : "Regular"
  eviction_policy = var.spot ? "Deallocate" : null
  max_bid_price   = var.spot ? -1 : null

  admin_ssh_key {
    username   = var.admin_username
    public_key = var.ssh_public_key
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.vm["train"].id]
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
    disk_size_gb         = var.os_disk_gb
  }

  source_image_reference {
    publisher = var.image.publisher
    offer     = var.image.offer
    sku       = var.image.sku
    version   = var.image.version
  }

  depends_on = [azurerm_role_assignment.train_blob, azurerm_subnet_network_security_group_association.vms]

  # The image is chosen when the VM is created ("latest" then): a later apply must not replace a VM
  # that is training for another image.
  lifecycle {
    ignore_changes = [source_image_reference]
  }
}

resource "azurerm_linux_virtual_machine" "monitor" {
  count                           = var.monitor_vm ? 1 : 0
  name                            = "${var.name}-monitor"
  location                        = azurerm_resource_group.main.location
  resource_group_name             = azurerm_resource_group.main.name
  size                            = var.monitor_vm_size
  admin_username                  = var.admin_username
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.vm["monitor"].id]
  custom_data                     = base64encode(module.deployment.user_data["monitor"])

  admin_ssh_key {
    username   = var.admin_username
    public_key = var.ssh_public_key
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.vm["monitor"].id]
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "StandardSSD_LRS"
    disk_size_gb         = 30
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }

  depends_on = [azurerm_role_assignment.monitor_blob, azurerm_subnet_network_security_group_association.vms]

  # The image is chosen when the VM is created ("latest" then): a later apply must not replace a VM
  # that is training for another image.
  lifecycle {
    ignore_changes = [source_image_reference]
  }
}
