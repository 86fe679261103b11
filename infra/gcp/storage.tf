# The run bucket: uniform bucket-level access, public access prevention enforced, encrypted at rest
# by Google (always), versioned on request. Bucket names are global; project ids are too.

resource "google_storage_bucket" "runs" {
  name                        = "gan-training-storage-${var.project}"
  location                    = upper(var.region)
  force_destroy               = var.force_destroy_bucket
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  versioning {
    enabled = var.versioning
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
