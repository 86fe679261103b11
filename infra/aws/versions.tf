# AWS deployment of gan: a private S3 bucket, a GPU training VM and an optional monitor VM.
# Safe by default: nothing listens to the internet (22 and 8080 open only to var.allowed_cidr, which
# has no default), IMDSv2 only, and each VM's role can touch this deployment's bucket and nothing else.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project    = "gan"
      Deployment = var.name
    }
  }
}
