# aws/: the S3 dialect (SigV4, the credential chain, the S3 client) over cloud/ (the neutral
# libcurl transport, retries, crypto, expat XML, token cache). Included by the
# Makefile. Their sources are in APP_SRCS (cloud/*.cpp aws/*.cpp; -lexpat in APP_LIBS); the tests
# of both are build/test_aws (tests/aws/*.cpp).
# The integration tests need the fixtures that aws/ci-deps installs (s3rver from npm, botocore and
# awscli from Debian); without them they skip and say why.
#
#   tests/aws/train_s3.sh       ./gan --train --storage s3://... against the local S3 (a TEST_SCRIPT)
#   tests/aws/bench_upload.sh   256 MiB upload: our client vs `aws s3 cp` (not part of make test)

TEST_SCRIPTS += tests/aws/train_s3.sh

.PHONY: bench-s3
bench-s3: $(BUILD)/test_aws
	BUILD=$(BUILD) tests/aws/bench_upload.sh
