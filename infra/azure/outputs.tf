# What infra/run prints and waits for, and what docs/cloud.md tells the user to run.

output "monitor_url" {
  description = "The monitor that outlives the GPU VM (the training VM's own when monitor_vm = false)."
  value       = module.deployment.endpoints.monitor_url
}

output "training_monitor_url" {
  value = module.deployment.endpoints.training_monitor_url
}

output "storage_account" {
  value = azurerm_storage_account.runs.name
}

output "container" {
  value = azurerm_storage_container.runs.name
}

output "storage_url" {
  value = local.storage_url
}

output "run_id" {
  value = module.deployment.run_id
}

output "training_vm_id" {
  value = azurerm_linux_virtual_machine.vm["train"].id
}

output "monitor_vm_id" {
  value = var.monitor_vm ? azurerm_linux_virtual_machine.vm["monitor"].id : ""
}

output "ssh_training" {
  value = "ssh ${var.admin_username}@${azurerm_public_ip.vm["train"].ip_address}   # then: journalctl -fu gan-train"
}

output "fetch_command" {
  description = "Copies the run here (uses the account key through your az login; needs Contributor on the group)."
  value       = "az storage blob download-batch --account-name ${azurerm_storage_account.runs.name} --source ${azurerm_storage_container.runs.name} --pattern '${var.storage_prefix}/${module.deployment.run_id}/*' --destination ."
}

output "destroy_command" {
  value = "infra/run --cloud azure --region ${var.location} --destroy"
}

# Where infra/run reads each monitor's token over SSH (made on the VM at first boot, in
# /etc/gan/monitor-token; never in Terraform's state).
output "training_ssh" {
  value = module.deployment.endpoints.training_ssh
}

output "monitor_ssh" {
  value = module.deployment.endpoints.monitor_ssh
}
