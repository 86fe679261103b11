# What every cloud's deployment shares (infra/aws, infra/azure and infra/gcp call it as
# module "deployment"): the checks on the inputs they have in common, the run id fixed for the
# deployment's life, each VM's cloud-init user data from the shared template, and the addresses
# infra/run prints. It makes no cloud resource, so it needs no provider: `terraform validate` and
# `terraform apply` run on it anywhere (tests/infra/check.sh does both).
terraform {
  required_version = ">= 1.5"
}
