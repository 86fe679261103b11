# What infra/run prints and waits for, and what docs/cloud.md tells the user to run.

locals {
  train_ip    = google_compute_instance.train.network_interface[0].access_config[0].nat_ip
  train_url   = "http://${local.train_ip}:8080"
  monitor_url = var.monitor_vm ? "http://${google_compute_instance.monitor[0].network_interface[0].access_config[0].nat_ip}:8080" : local.train_url
}

output "monitor_url" {
  description = "The monitor that outlives the GPU VM (the training VM's own when monitor_vm = false)."
  value       = local.monitor_url
}

output "training_monitor_url" {
  value = local.train_url
}

output "bucket" {
  value = google_storage_bucket.runs.name
}

output "storage_url" {
  value = local.storage_url
}

output "run_id" {
  value = local.run_id
}

output "training_instance_id" {
  value = google_compute_instance.train.instance_id
}

output "monitor_instance_id" {
  value = var.monitor_vm ? google_compute_instance.monitor[0].instance_id : ""
}

output "ssh_training" {
  value = "gcloud compute ssh ${google_compute_instance.train.name} --zone ${local.zone}   # then: journalctl -fu gan-train"
}

output "fetch_command" {
  value = "gcloud storage cp --recursive ${local.storage_url}/${local.run_id} ./runs/"
}

output "destroy_command" {
  value = "infra/run --cloud gcp --region ${var.region} --destroy"
}

# Where infra/run reads each monitor's token over SSH (made on the VM at first boot, in
# /etc/gan/monitor-token; never in Terraform's state).
output "training_ssh" {
  value = "ubuntu@${local.train_ip}"
}

output "monitor_ssh" {
  value = var.monitor_vm ? "ubuntu@${google_compute_instance.monitor[0].network_interface[0].access_config[0].nat_ip}" : "ubuntu@${local.train_ip}"
}
