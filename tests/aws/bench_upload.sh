#!/usr/bin/env bash
# Times a 256 MiB upload to the local S3 server: gan's client vs `aws s3 cp` (Debian awscli).
# Usage: tests/aws/bench_upload.sh   (or: make bench-s3). Needs aws/ci-deps' fixtures.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
[[ -x $BUILD/test_aws ]] || make CUDA=0 "$BUILD/test_aws"
exec "$BUILD/test_aws" --gtest_also_run_disabled_tests --gtest_filter='S3IntegrationBench.DISABLED_Throughput*'
