# The GPU training VM and the optional monitor VM (local.vm_roles, network.tf), both from the shared
# cloud-init template (infra/cloud-init/gan.yaml.tftpl), rendered by module "deployment"
# (deployment.tf) with the run id it fixes once per deployment, so that a rebooted, re-created or
# evicted-and-restarted VM continues the same run.

# What differs between the two VMs, per role: size, OS disk and image. Only the training VM may run
# on spot capacity.
locals {
  vm_size = { train = var.vm_size, monitor = var.monitor_vm_size }
  os_disk = { train = { type = "Premium_LRS", gb = var.os_disk_gb }, monitor = { type = "StandardSSD_LRS", gb = 30 } }
  image   = { train = var.image, monitor = { publisher = "Canonical", offer = "ubuntu-24_04-lts", sku = "server", version = "latest" } }
}

resource "azurerm_linux_virtual_machine" "vm" {
  for_each                        = local.vm_roles
  name                            = "${var.name}-${each.key}"
  location                        = azurerm_resource_group.main.location
  resource_group_name             = azurerm_resource_group.main.name
  size                            = local.vm_size[each.key]
  admin_username                  = var.admin_username
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.vm[each.key].id]
  custom_data                     = base64encode(module.deployment.user_data[each.key])

  # Spot: evicted VMs are deallocated (disk kept) and can be started again; -1 = pay up to on-demand.
  priority        = each.key == "train" && var.spot ? "Spot" : "Regular"
  eviction_policy = each.key == "train" && var.spot ? "Deallocate" : null
  max_bid_price   = each.key == "train" && var.spot ? -1 : null

  admin_ssh_key {
    username   = var.admin_username
    public_key = var.ssh_public_key
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.vm[each.key].id]
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = local.os_disk[each.key].type
    disk_size_gb         = local.os_disk[each.key].gb
  }

  source_image_reference {
    publisher = local.image[each.key].publisher
    offer     = local.image[each.key].offer
    sku       = local.image[each.key].sku
    version   = local.image[each.key].version
  }

  # Each VM's role on the container is in place before cloud-init starts it.
  depends_on = [azurerm_role_assignment.train_blob, azurerm_role_assignment.monitor_blob, azurerm_subnet_network_security_group_association.vms]

  # The image is chosen when the VM is created ("latest" then): a later apply must not replace a VM
  # that is training for another image.
  lifecycle {
    ignore_changes = [source_image_reference]
  }
}
