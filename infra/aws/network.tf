# A VPC of its own (accounts without a default VPC work too) with one public subnet in a zone that
# offers the GPU type, and one security group whose only ingress is var.allowed_cidr on 22 and 8080.

data "aws_ec2_instance_type_offerings" "gpu" {
  location_type = "availability-zone"
  filter {
    name   = "instance-type"
    values = [var.instance_type]
  }
}

locals {
  zones = sort(data.aws_ec2_instance_type_offerings.gpu.locations)
}

resource "aws_vpc" "main" {
  cidr_block           = "10.42.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = var.name }
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.42.1.0/24"
  availability_zone       = try(local.zones[0], null)
  map_public_ip_on_launch = true
  tags                    = { Name = "${var.name}-public" }
  lifecycle {
    precondition {
      condition     = length(local.zones) > 0
      error_message = "No availability zone of this region offers the instance type: pick another --region or --instance-type."
    }
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
  tags = { Name = "${var.name}-public" }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "vm" {
  name_prefix = "${var.name}-vm-"
  description = "gan VMs: SSH and the monitor from allowed_cidr only"
  vpc_id      = aws_vpc.main.id
  lifecycle {
    create_before_destroy = true
  }
}

# The only ingress: SSH and the monitor, each from allowed_cidr.
resource "aws_vpc_security_group_ingress_rule" "vm" {
  for_each          = { ssh = { port = 22, what = "SSH" }, monitor = { port = 8080, what = "gan monitor" } }
  security_group_id = aws_security_group.vm.id
  description       = "${each.value.what} from allowed_cidr"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = var.allowed_cidr
}

# The two rules were two resources before: the same rules, at their new addresses.
moved {
  from = aws_vpc_security_group_ingress_rule.ssh
  to   = aws_vpc_security_group_ingress_rule.vm["ssh"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.monitor
  to   = aws_vpc_security_group_ingress_rule.vm["monitor"]
}

# Outbound stays open: apt, git and the S3 endpoint.
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.vm.id
  description       = "apt, git clone and S3"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
