output "run_id" {
  value = local.run_id
}

output "user_data" {
  description = "Per VM role, its cloud-init user data (plain text; Azure's custom_data wants it base64-encoded)."
  value       = { for role, values in local.cloud_init : role => templatefile("${path.module}/../../cloud-init/gan.yaml.tftpl", values) }
}

# What infra/run waits for and prints: each monitor's URL, and where it reads each monitor's token
# over SSH (made on the VM at first boot, in /etc/gan/monitor-token; never in Terraform's state).
output "endpoints" {
  value = {
    monitor_url          = "http://${local.monitor_host}:8080"
    training_monitor_url = "http://${var.hosts.train}:8080"
    monitor_ssh          = "${var.ssh_user}@${local.monitor_host}"
    training_ssh         = "${var.ssh_user}@${var.hosts.train}"
  }
}
