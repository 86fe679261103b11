// Throughput: a 256 MiB upload to the local S3 server (s3rver, directly: the Python signature
// proxy would be the bottleneck) by our client and by `aws s3 cp` (Debian awscli), alternated,
// three runs each, medians compared. Disabled in `make test` (it moves 1.5 GiB through a Node
// server); tests/aws/bench_upload.sh runs it. The bar: ours <= 1.25x the CLI's time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "aws/s3_client.h"
#include "tests/aws/fixture.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST(S3IntegrationBench, DISABLED_Throughput256MiBUploadVersusAwsCli) {
  std::string why;
  const gan_test::S3Stack* stack = gan_test::s3_stack(&why);
  if (!stack) GTEST_SKIP() << why;
  if (!gan_test::have_awscli(&why)) GTEST_SKIP() << why;
  gan_test::TempDir dir;
  const size_t size = 256u << 20;
  const std::string path = gan_test::write_file(dir.path() + "/upload.bin", gan_test::random_bytes(size, 42));

  aws::S3ClientConfig cfg;
  cfg.endpoint = stack->direct_endpoint();
  aws::Credentials c;
  c.access_key_id = c.secret_access_key = "S3RVER";
  cfg.credentials = aws::static_credentials(c);
  // The CLI's defaults, for a like-for-like comparison: 8 MiB threshold and parts, 10 in flight.
  cfg.multipart_threshold = 8 << 20;
  cfg.part_size = 8 << 20;
  cfg.concurrency = 10;
  aws::S3Client s3(cfg);
  const std::string cli = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true "
                          "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null /usr/bin/aws --region us-east-1 "
                          "--endpoint-url " + stack->direct_endpoint() + " s3 cp --only-show-errors " + path +
                          " s3://gan-test/bench/cli.bin";
  std::vector<double> ours, theirs;
  for (int run = 0; run < 3; run++) {
    auto t0 = std::chrono::steady_clock::now();
    s3.put_file("gan-test", "bench/ours.bin", path);
    ours.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(std::system(cli.c_str()), 0) << cli;
    theirs.push_back(seconds_since(t0));
  }
  auto head = s3.head("gan-test", "bench/ours.bin");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, static_cast<int64_t>(size));
  const double a = median(ours), b = median(theirs);
  std::printf("{\"bench\":\"s3_upload_256MiB\",\"ours_s\":%.3f,\"aws_cli_s\":%.3f,\"ratio\":%.3f,"
              "\"ours_MiBps\":%.1f,\"aws_cli_MiBps\":%.1f}\n", a, b, a / b, 256 / a, 256 / b);
  std::printf("256 MiB upload to s3rver, median of 3: gan %.2f s (%.0f MiB/s), aws s3 cp %.2f s (%.0f MiB/s), ratio %.2f\n",
              a, 256 / a, b, 256 / b, a / b);
  EXPECT_LE(a / b, 1.25) << "our upload should take at most 1.25x the AWS CLI's time";
}
