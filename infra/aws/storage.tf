# The run bucket: private (public access blocked, ACLs disabled, TLS only), encrypted at rest
# (SSE-S3), versioned on request. Its name gets a unique suffix from AWS: bucket names are global.

resource "aws_s3_bucket" "runs" {
  bucket_prefix = "gan-training-storage-"
  force_destroy = var.force_destroy_bucket
}

resource "aws_s3_bucket_public_access_block" "runs" {
  bucket                  = aws_s3_bucket.runs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "runs" {
  bucket = aws_s3_bucket.runs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "runs" {
  bucket = aws_s3_bucket.runs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# A multipart upload cut short (a VM stopped mid-checkpoint) leaves parts that are billed and never
# listed with the objects: S3 drops them a week after they were started.
resource "aws_s3_bucket_lifecycle_configuration" "runs" {
  bucket = aws_s3_bucket.runs.id
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_versioning" "runs" {
  count  = var.versioning ? 1 : 0
  bucket = aws_s3_bucket.runs.id
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyPlainHTTP"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.runs.arn, "${aws_s3_bucket.runs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "runs" {
  bucket = aws_s3_bucket.runs.id
  policy = data.aws_iam_policy_document.tls_only.json
  # The public access block must exist first, or AWS may judge the policy before it applies.
  depends_on = [aws_s3_bucket_public_access_block.runs]
}

locals {
  storage_url = "s3://${aws_s3_bucket.runs.bucket}/${var.storage_prefix}"
}
