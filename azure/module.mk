# azure/ (and gcs/): the Azure Blob dialect, and GCS as a dialect of aws/'s S3 client (its
# advice and its metadata-server tokens). Both include cloud/ and src/common/, never aws/ (GCS's
# client is built in src/storage/gcs_storage.cpp). Included by the Makefile.
#
# Their sources are already in APP_SRCS (azure/*.cpp, gcs/*.cpp); their tests are build/test_azure
# (tests/azure/*.cpp) and build/test_gcs (tests/gcs/*.cpp). The integration tests need the fixtures
# that azure/ci-deps installs (Azurite from npm) and aws/ci-deps installs (s3rver, botocore,
# awscli); without them they skip and say why, which fails CI (.ci/allowed-skips does not list them).
#
#   tests/azure/train_azurite.sh  ./gan --train --storage az://... against Azurite (with faults),
#                                 --resume from Azure alone, the monitor, SAS links, a hung
#                                 endpoint cut short by --upload-timeout, a managed identity
#                                 alone against Azurite with --oauth over HTTPS
#   tests/gcs/train_gcs.sh        ./gan --train --storage gs://... through the S3-compatible path

TEST_SCRIPTS += tests/azure/train_azurite.sh tests/gcs/train_gcs.sh
