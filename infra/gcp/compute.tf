# The GPU training VM and the optional monitor VM, both from the shared cloud-init template
# (infra/cloud-init/gan.yaml.tftpl, passed as user-data). The run id is fixed once per deployment
# so that a restarted or preempted-and-restarted VM continues the same run.

resource "terraform_data" "run_id" {
  input = formatdate("YYYYMMDD'T'hhmmss'Z'", timestamp())
  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  run_id   = var.run_id != "" ? var.run_id : terraform_data.run_id.output
  ssh_keys = var.ssh_public_key == "" ? {} : { ssh-keys = "ubuntu:${var.ssh_public_key}" }

  train_cloud_init = {
    role               = "train"
    command_b64        = base64encode(var.train_command)
    storage_url        = local.storage_url
    run_id             = local.run_id
    repo_url           = var.repo_url
    git_ref            = var.git_ref
    cloud_env          = "GOOGLE_CLOUD_PROJECT=${var.project}"
    poweroff_when_done = var.poweroff_when_done ? "1" : "0"
  }
  monitor_cloud_init = {
    role               = "monitor"
    command_b64        = base64encode(var.monitor_command)
    storage_url        = local.storage_url
    run_id             = local.run_id
    repo_url           = var.repo_url
    git_ref            = var.git_ref
    cloud_env          = "GOOGLE_CLOUD_PROJECT=${var.project}"
    poweroff_when_done = "0"
  }
}

resource "google_compute_instance" "train" {
  name         = "${var.name}-train"
  machine_type = var.machine_type
  zone         = local.zone
  tags         = ["gan"]

  boot_disk {
    initialize_params {
      image = var.image
      size  = var.boot_disk_gb
      type  = "pd-balanced"
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.vms.id
    access_config {}
  }

  metadata = merge(local.ssh_keys, {
    user-data              = templatefile("${path.module}/../cloud-init/gan.yaml.tftpl", local.train_cloud_init)
    install-nvidia-driver  = "True"
    block-project-ssh-keys = "true"
  })

  service_account {
    email  = google_service_account.train.email
    scopes = ["https://www.googleapis.com/auth/devstorage.read_write"]
  }

  # GPU VMs cannot live-migrate. Spot: a preempted VM is stopped (disk kept), not deleted.
  scheduling {
    on_host_maintenance         = "TERMINATE"
    automatic_restart           = !var.spot
    preemptible                 = var.spot
    provisioning_model          = var.spot ? "SPOT" : "STANDARD"
    instance_termination_action = var.spot ? "STOP" : null
  }

  depends_on = [google_storage_bucket_iam_member.train]

  # An image family resolves to its newest image; one published since must not replace a VM that
  # is training. The image is chosen when the VM is created.
  lifecycle {
    ignore_changes = [boot_disk[0].initialize_params[0].image]
  }
}

resource "google_compute_instance" "monitor" {
  count        = var.monitor_vm ? 1 : 0
  name         = "${var.name}-monitor"
  machine_type = var.monitor_machine_type
  zone         = local.zone
  tags         = ["gan"]

  boot_disk {
    initialize_params {
      image = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64"
      size  = 20
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.vms.id
    access_config {}
  }

  metadata = merge(local.ssh_keys, {
    user-data              = templatefile("${path.module}/../cloud-init/gan.yaml.tftpl", local.monitor_cloud_init)
    block-project-ssh-keys = "true"
  })

  service_account {
    email  = google_service_account.monitor[0].email
    scopes = ["https://www.googleapis.com/auth/devstorage.read_only"]
  }

  depends_on = [google_storage_bucket_iam_member.monitor]

  # An image family resolves to its newest image; one published since must not replace a VM that
  # is training. The image is chosen when the VM is created.
  lifecycle {
    ignore_changes = [boot_disk[0].initialize_params[0].image]
  }
}
