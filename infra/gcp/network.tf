# A network of its own with one subnet; the only ingress is var.allowed_cidr on 22 and 8080 to VMs
# tagged "gan" (GCP denies all other ingress on a new network). The VMs go to a zone of the region
# that offers the GPU machine type: not every region has an "-a" zone, and G2/A2 types are in some
# zones only. The zone is chosen once, when the deployment is created, and kept (terraform_data.zone
# below): the data sources are read on every plan, and a zone that goes down or an earlier-named one
# that starts offering the machine type must not move (replace) VMs that are training.

data "google_compute_zones" "up" {
  region = var.region
  status = "UP"
}

# Per zone of the region, var.machine_type if the zone offers it (an empty list where it does not).
data "google_compute_machine_types" "gpu" {
  for_each = toset(data.google_compute_zones.up.names)
  zone     = each.key
  filter   = "name = \"${var.machine_type}\""
}

locals {
  gpu_zones = sort([for z, offer in data.google_compute_machine_types.gpu : z if length(offer.machine_types) > 0])
  # The zone a deployment created now would take.
  zone_choice = var.zone != "" ? var.zone : try(local.gpu_zones[0], "")
  # The zone the VMs are in: zone_choice as it was when the deployment was created, or when region,
  # zone or machine type last changed. The input, not the output: known at plan time even on the
  # first apply, so the VMs' zone is never "known after apply" (which would replace them).
  zone = terraform_data.zone.input
}

# Chosen again (and the VMs replaced) only when the user changes what the choice depends on.
resource "terraform_data" "zone" {
  input            = local.zone_choice
  triggers_replace = [var.region, var.zone, var.machine_type]
  lifecycle {
    ignore_changes = [input]
    # Checks the choice a new deployment would make: a --var zone that does not offer the machine
    # type is refused, but a deployment whose zone has gone down since keeps its VMs there.
    precondition {
      condition     = contains(local.gpu_zones, local.zone_choice)
      error_message = "Zone '${local.zone_choice}' does not offer ${var.machine_type} in ${var.region} (zones that do: ${jsonencode(local.gpu_zones)}): pick another --region or --instance-type, or --var zone=<one of them>."
    }
  }
}

resource "google_compute_network" "main" {
  name                    = "${var.name}-net"
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "vms" {
  name          = "${var.name}-vms"
  network       = google_compute_network.main.id
  region        = var.region
  ip_cidr_range = "10.42.1.0/24"
}

resource "google_compute_firewall" "ssh_monitor" {
  name          = "${var.name}-ssh-monitor"
  network       = google_compute_network.main.id
  direction     = "INGRESS"
  source_ranges = [var.allowed_cidr]
  target_tags   = ["gan"]
  allow {
    protocol = "tcp"
    ports    = ["22", "8080"]
  }
}
