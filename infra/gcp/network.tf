# A network of its own with one subnet; the only ingress is var.allowed_cidr on 22 and 8080 to VMs
# tagged "gan" (GCP denies all other ingress on a new network).

locals {
  zone = var.zone != "" ? var.zone : "${var.region}-a"
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
