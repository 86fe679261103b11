# GCP deployment of gan: a bucket, a G2/A2 GPU VM and an optional monitor VM. Safe by default: a
# network of its own (the default network's allow-SSH-from-anywhere rule does not apply) whose
# firewall admits 22 and 8080 only from var.allowed_cidr (no default), and each VM's service account
# is bound on this bucket alone (objectAdmin for the trainer, objectViewer for the monitor).
terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.15, < 7.0"
    }
  }
}

# No default zone here: local.zone comes from this provider's own data sources, and each zonal
# resource names its zone.
provider "google" {
  project = var.project
  region  = var.region
}
