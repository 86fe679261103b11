# The GPU training VM and the optional monitor VM, both from the shared cloud-init template
# (infra/cloud-init/gan.yaml.tftpl, passed as user-data), rendered by module "deployment"
# (deployment.tf) with the run id it fixes once per deployment, so that a restarted or
# preempted-and-restarted VM continues the same run.

locals {
  ssh_keys = var.ssh_public_key == "" ? {} : { ssh-keys = "ubuntu:${var.ssh_public_key}" }
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
    user-data              = module.deployment.user_data["train"]
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
    user-data              = module.deployment.user_data["monitor"]
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
