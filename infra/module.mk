# infra/: Terraform, cloud-init and infra/run have no build step; their tests are one script.
TEST_SCRIPTS += tests/infra/check.sh
