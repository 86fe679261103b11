# What infra/run prints and waits for, and what docs/cloud.md tells the user to run.

output "monitor_url" {
  description = "The monitor that outlives the GPU VM (the training VM's own when monitor_vm = false)."
  value       = module.deployment.endpoints.monitor_url
}

output "training_monitor_url" {
  description = "The live monitor served by the training process itself."
  value       = module.deployment.endpoints.training_monitor_url
}

output "region" {
  value = var.region
}

output "bucket" {
  value = aws_s3_bucket.runs.bucket
}

output "storage_url" {
  value = local.storage_url
}

output "run_id" {
  value = module.deployment.run_id
}

output "training_instance_id" {
  value = aws_instance.train.id
}

output "monitor_instance_id" {
  value = var.monitor_vm ? aws_instance.monitor[0].id : ""
}

output "ssh_training" {
  value = "ssh ubuntu@${aws_instance.train.public_ip}   # then: journalctl -fu gan-train"
}

output "fetch_command" {
  description = "Copies the run (every epoch's generator.safetensors, metrics, images, checkpoint) here."
  value       = "aws s3 sync ${local.storage_url}/${module.deployment.run_id} ./runs/${module.deployment.run_id}"
}

output "destroy_command" {
  value = "infra/run --cloud aws --region ${var.region} --destroy"
}

# Where infra/run reads each monitor's token over SSH (made on the VM at first boot, in
# /etc/gan/monitor-token; never in Terraform's state).
output "training_ssh" {
  value = module.deployment.endpoints.training_ssh
}

output "monitor_ssh" {
  value = module.deployment.endpoints.monitor_ssh
}
