# What the three clouds share (infra/modules/deployment): the checks on the common inputs, the run
# id, each VM's user data and the monitors' addresses.
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
  cloud_env          = { train = "GOOGLE_CLOUD_PROJECT=${var.project}", monitor = "GOOGLE_CLOUD_PROJECT=${var.project}" }
  hosts = {
    train   = google_compute_instance.train.network_interface[0].access_config[0].nat_ip
    monitor = one(google_compute_instance.monitor[*].network_interface[0].access_config[0].nat_ip)
  }
  ssh_user = "ubuntu"
}

# The run id was made in this configuration itself before the module held it.
moved {
  from = terraform_data.run_id
  to   = module.deployment.terraform_data.run_id
}
