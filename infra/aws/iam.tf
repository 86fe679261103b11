# Two roles made here, one per VM, each allowed only what it does on this deployment's bucket:
# the trainer reads and writes runs (multipart uploads included); the monitor only reads them.
# (The reference system's role was gan-training-storage-access, made by hand in the console.)

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "train" {
  statement {
    sid       = "ListTheRunBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = [aws_s3_bucket.runs.arn]
  }
  statement {
    sid = "ReadWriteRuns"
    actions = [
      "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
      "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
    ]
    resources = ["${aws_s3_bucket.runs.arn}/*"]
  }
}

data "aws_iam_policy_document" "monitor" {
  statement {
    sid       = "ListTheRunBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.runs.arn]
  }
  statement {
    sid       = "ReadRuns"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.runs.arn}/*"]
  }
}

resource "aws_iam_role" "train" {
  name_prefix        = "${var.name}-storage-access-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy" "train" {
  name   = "run-bucket-read-write"
  role   = aws_iam_role.train.id
  policy = data.aws_iam_policy_document.train.json
}

resource "aws_iam_instance_profile" "train" {
  name_prefix = "${var.name}-train-"
  role        = aws_iam_role.train.name
}

resource "aws_iam_role" "monitor" {
  count              = var.monitor_vm ? 1 : 0
  name_prefix        = "${var.name}-monitor-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy" "monitor" {
  count  = var.monitor_vm ? 1 : 0
  name   = "run-bucket-read"
  role   = aws_iam_role.monitor[0].id
  policy = data.aws_iam_policy_document.monitor.json
}

resource "aws_iam_instance_profile" "monitor" {
  count       = var.monitor_vm ? 1 : 0
  name_prefix = "${var.name}-monitor-"
  role        = aws_iam_role.monitor[0].name
}
