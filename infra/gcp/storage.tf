# The run bucket: uniform bucket-level access, public access prevention enforced, encrypted at rest
# by Google (always), versioned on request. Bucket names are global; project ids are too, and
# var.name tells the deployments of one project apart. The default name "gan" is left out, so the
# default deployment's bucket keeps the name it has always had (a renamed bucket would be replaced,
# with every run in it).

locals {
  bucket_name = var.name == "gan" ? "gan-training-storage-${var.project}" : "gan-training-storage-${var.name}-${var.project}"
}

resource "google_storage_bucket" "runs" {
  name                        = local.bucket_name
  location                    = upper(var.region)
  force_destroy               = var.force_destroy_bucket
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  versioning {
    enabled = var.versioning
  }
  lifecycle {
    precondition {
      condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", local.bucket_name))
      error_message = "The bucket name ${local.bucket_name} is not a valid Cloud Storage bucket name (3-63 lower-case letters, digits and '-'): use a shorter --var name, or a project whose id has no ':' or '.'."
    }
  }
}

locals {
  storage_url = "gs://${google_storage_bucket.runs.name}/${var.storage_prefix}"
}

# One service account per VM; each is bound on this bucket only, never on the project.
resource "google_service_account" "train" {
  account_id   = "${var.name}-train"
  display_name = "gan trainer (read/write on ${google_storage_bucket.runs.name})"
}

resource "google_storage_bucket_iam_member" "train" {
  bucket = google_storage_bucket.runs.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.train.email}"
}

resource "google_service_account" "monitor" {
  count        = var.monitor_vm ? 1 : 0
  account_id   = "${var.name}-monitor"
  display_name = "gan monitor (read on ${google_storage_bucket.runs.name})"
}

resource "google_storage_bucket_iam_member" "monitor" {
  count  = var.monitor_vm ? 1 : 0
  bucket = google_storage_bucket.runs.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.monitor[0].email}"
}
