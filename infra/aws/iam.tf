# Two roles made here, one per VM, each allowed only what it does under this deployment's prefix
# of the bucket: the trainer reads and writes runs (multipart uploads included) but deletes
# nothing; the monitor only reads them.
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

# One policy per VM: the two differ only in what each may do with the objects under the prefix.
# What a run's uploads use: PutObject (multipart: create, upload part, complete), and
# AbortMultipartUpload after a failed part. No DeleteObject: training never deletes, and a leaked
# VM credential then cannot wipe the models either. The monitor only reads.
data "aws_iam_policy_document" "vm" {
  for_each = {
    train   = { sid = "ReadWriteRuns", actions = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"] }
    monitor = { sid = "ReadRuns", actions = ["s3:GetObject"] }
  }
  # ListBucket stays unconditioned: S3 answers a GET or HEAD of a missing key 404 only to a caller
  # that may list the bucket (403 otherwise), and --resume-if-exists asks exactly that. A listing
  # shows names and sizes, nothing the trainer could not read under its prefix anyway.
  statement {
    sid       = "ListTheRunBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.runs.arn]
  }
  statement {
    sid       = each.value.sid
    actions   = each.value.actions
    resources = ["${aws_s3_bucket.runs.arn}/${var.storage_prefix}/*"]
  }
}

resource "aws_iam_role" "train" {
  name_prefix        = "${var.name}-storage-access-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy" "train" {
  name   = "run-bucket-read-write"
  role   = aws_iam_role.train.id
  policy = data.aws_iam_policy_document.vm["train"].json
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
  policy = data.aws_iam_policy_document.vm["monitor"].json
}

resource "aws_iam_instance_profile" "monitor" {
  count       = var.monitor_vm ? 1 : 0
  name_prefix = "${var.name}-monitor-"
  role        = aws_iam_role.monitor[0].name
}
