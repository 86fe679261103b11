# One virtual network and subnet; the NSG on the subnet admits SSH and the monitor port from
# var.allowed_cidr only (Azure's own default rules then deny every other inbound connection).

resource "azurerm_resource_group" "main" {
  name     = "${var.name}-rg"
  location = var.location
}

resource "azurerm_virtual_network" "main" {
  name                = "${var.name}-vnet"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  address_space       = ["10.42.0.0/16"]
}

resource "azurerm_subnet" "vms" {
  name                 = "vms"
  resource_group_name  = azurerm_resource_group.main.name
  virtual_network_name = azurerm_virtual_network.main.name
  address_prefixes     = ["10.42.1.0/24"]
  # The storage account's firewall admits this subnet by its service endpoint.
  service_endpoints = ["Microsoft.Storage"]
}

resource "azurerm_network_security_group" "vms" {
  name                = "${var.name}-nsg"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name

  security_rule {
    name                       = "ssh-from-allowed-cidr"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = var.allowed_cidr
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "monitor-from-allowed-cidr"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "8080"
    source_address_prefix      = var.allowed_cidr
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "vms" {
  subnet_id                 = azurerm_subnet.vms.id
  network_security_group_id = azurerm_network_security_group.vms.id
}

# The VMs' roles: the training VM, and the monitor VM unless monitor_vm = false. Each has its own
# static public address, network interface, identity (identity.tf) and VM (compute.tf).
locals {
  vm_roles = toset(var.monitor_vm ? ["train", "monitor"] : ["train"])
}

resource "azurerm_public_ip" "vm" {
  for_each            = local.vm_roles
  name                = "${var.name}-${each.key}-ip"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_network_interface" "vm" {
  for_each            = local.vm_roles
  name                = "${var.name}-${each.key}-nic"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  ip_configuration {
    name                          = "primary"
    subnet_id                     = azurerm_subnet.vms.id
    private_ip_address_allocation = "Dynamic"
    public_ip_address_id          = azurerm_public_ip.vm[each.key].id
  }
}

# Each VM (compute.tf), its identity (identity.tf), public address and network interface were two
# resources each (train, and monitor with a count) before they were made per role: the same
# objects, at their new addresses.
moved {
  from = azurerm_linux_virtual_machine.train
  to   = azurerm_linux_virtual_machine.vm["train"]
}

moved {
  from = azurerm_linux_virtual_machine.monitor[0]
  to   = azurerm_linux_virtual_machine.vm["monitor"]
}

moved {
  from = azurerm_user_assigned_identity.train
  to   = azurerm_user_assigned_identity.vm["train"]
}

moved {
  from = azurerm_user_assigned_identity.monitor[0]
  to   = azurerm_user_assigned_identity.vm["monitor"]
}

moved {
  from = azurerm_public_ip.train
  to   = azurerm_public_ip.vm["train"]
}

moved {
  from = azurerm_public_ip.monitor[0]
  to   = azurerm_public_ip.vm["monitor"]
}

moved {
  from = azurerm_network_interface.train
  to   = azurerm_network_interface.vm["train"]
}

moved {
  from = azurerm_network_interface.monitor[0]
  to   = azurerm_network_interface.vm["monitor"]
}
