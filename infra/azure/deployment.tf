# What the three clouds share (infra/modules/deployment): the checks on the common inputs, the run
# id, each VM's user data and the monitors' addresses. Each VM reads its own identity's client id.
module "deployment" {
  source = "../modules/deployment"

  name               = var.name
  repo_url           = var.repo_url
  git_ref            = var.git_ref
  allowed_cidr       = var.allowed_cidr
  commands           = { train = var.train_command, monitor = var.monitor_command }
  storage_prefix     = var.storage_prefix
  storage_url        = local.storage_url
  run_id             = var.run_id
  poweroff_when_done = var.poweroff_when_done
  cloud_env = {
    train   = "AZURE_CLIENT_ID=${azurerm_user_assigned_identity.vm["train"].client_id}"
    monitor = var.monitor_vm ? "AZURE_CLIENT_ID=${azurerm_user_assigned_identity.vm["monitor"].client_id}" : ""
  }
  hosts    = { train = azurerm_public_ip.vm["train"].ip_address, monitor = var.monitor_vm ? azurerm_public_ip.vm["monitor"].ip_address : null }
  ssh_user = var.admin_username
}

# The run id was made in this configuration itself before the module held it.
moved {
  from = terraform_data.run_id
  to   = module.deployment.terraform_data.run_id
}
