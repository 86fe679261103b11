# The run id, fixed once per deployment so that a replaced, rebooted, spot-stopped or evicted VM
# continues the same run (--run-id ... --resume-if-exists), and each VM's user data.

# The first apply's UTC time, kept in the state: later applies and replaced VMs reuse it.
resource "terraform_data" "run_id" {
  input = formatdate("YYYYMMDD'T'hhmmss'Z'", timestamp())
  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  run_id = var.run_id != "" ? var.run_id : terraform_data.run_id.output

  # The values the shared template (infra/cloud-init/gan.yaml.tftpl) reads, per VM role; only the
  # training VM powers off when its command is done.
  cloud_init = {
    for role, command in var.commands : role => {
      role               = role
      command_b64        = base64encode(command)
      storage_url        = var.storage_url
      run_id             = local.run_id
      repo_url           = var.repo_url
      git_ref            = var.git_ref
      cloud_env          = var.cloud_env[role]
      poweroff_when_done = role == "train" && var.poweroff_when_done ? "1" : "0"
    }
  }

  # Without a monitor VM (hosts.monitor null) the training VM serves the monitor.
  monitor_host = var.hosts.monitor != null ? var.hosts.monitor : var.hosts.train
}
