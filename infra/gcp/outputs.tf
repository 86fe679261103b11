# What infra/run prints and waits for, and what docs/cloud.md tells the user to run.

output "monitor_url" {
  description = "The monitor that outlives the GPU VM (the training VM's own when monitor_vm = false)."
  value       = module.deployment.endpoints.monitor_url
}

output "training_monitor_url" {
  value = module.deployment.endpoints.training_monitor_url
}

output "bucket" {
  value = google_storage_bucket.runs.name
}

output "storage_url" {
  value = local.storage_url
}

output "run_id" {
  value = module.deployment.run_id
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
  value = "gcloud storage cp --recursive ${local.storage_url}/${module.deployment.run_id} ./runs/"
}

output "destroy_command" {
  value = "infra/run --cloud gcp --region ${var.region} --destroy"
}

# Where infra/run reads each monitor's token over SSH (made on the VM at first boot, in
# /etc/gan/monitor-token; never in Terraform's state).
output "training_ssh" {
  value = module.deployment.endpoints.training_ssh
}

output "monitor_ssh" {
  value = module.deployment.endpoints.monitor_ssh
}
