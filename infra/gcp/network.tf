# A network of its own with one subnet; the only ingress is var.allowed_cidr on 22 and 8080 to VMs
# tagged "gan" (GCP denies all other ingress on a new network). The VMs go to a zone of the region
# that offers the GPU machine type: not every region has an "-a" zone, and G2/A2 types are in some
# zones only.

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
  zone      = var.zone != "" ? var.zone : try(local.gpu_zones[0], "")
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
