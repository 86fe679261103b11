# The GPU training VM and the optional monitor VM. Both boot from the shared cloud-init template
# (infra/cloud-init/gan.yaml.tftpl), rendered by module "deployment" (deployment.tf) with the run id
# it fixes once per deployment.

data "aws_ami" "gpu" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = [var.ami_name_pattern]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

data "aws_ami" "ubuntu" {
  most_recent = true
  owners      = ["099720109477"] # Canonical
  filter {
    name   = "name"
    values = ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]
  }
}

resource "aws_key_pair" "ssh" {
  count           = var.ssh_public_key == "" ? 0 : 1
  key_name_prefix = "${var.name}-"
  public_key      = var.ssh_public_key
}

locals {
  key = var.ssh_public_key == "" ? null : aws_key_pair.ssh[0].key_name
}

resource "aws_instance" "train" {
  ami                    = data.aws_ami.gpu.id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.vm.id]
  iam_instance_profile   = aws_iam_instance_profile.train.name
  key_name               = local.key
  user_data              = module.deployment.user_data["train"]

  # Powering off at the end of a run stops the instance instead of deleting it (and its logs).
  instance_initiated_shutdown_behavior = "stop"

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_size = var.root_volume_gb
    volume_type = "gp3"
    encrypted   = true
  }

  dynamic "instance_market_options" {
    for_each = var.spot ? [1] : []
    content {
      market_type = "spot"
      spot_options {
        # Persistent + stop: an interruption stops the VM, keeps its disk, and it starts again
        # when capacity returns; the unit then resumes the run.
        spot_instance_type             = "persistent"
        instance_interruption_behavior = "stop"
      }
    }
  }

  tags       = { Name = "${var.name}-train" }
  depends_on = [aws_iam_role_policy.train, aws_route_table_association.public]

  # The AMI is looked up (most_recent) on every plan; a newer one published since must not replace
  # a VM that is training. The image is chosen when the VM is created.
  lifecycle {
    ignore_changes = [ami]
  }
}

resource "aws_instance" "monitor" {
  count                  = var.monitor_vm ? 1 : 0
  ami                    = data.aws_ami.ubuntu.id
  instance_type          = var.monitor_instance_type
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.vm.id]
  iam_instance_profile   = aws_iam_instance_profile.monitor[0].name
  key_name               = local.key
  user_data              = module.deployment.user_data["monitor"]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_size = 20
    volume_type = "gp3"
    encrypted   = true
  }

  tags       = { Name = "${var.name}-monitor" }
  depends_on = [aws_iam_role_policy.monitor, aws_route_table_association.public]

  # The AMI is looked up (most_recent) on every plan; a newer one published since must not replace
  # a VM that is training. The image is chosen when the VM is created.
  lifecycle {
    ignore_changes = [ami]
  }
}
