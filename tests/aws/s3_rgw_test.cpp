// The S3 client against a real S3 implementation, Ceph's RADOS Gateway, which checks SigV4 itself
// and enforces S3's rules that s3rver does not (the 5 MiB minimum part size, multipart ETags
// "<md5>-<parts>", bucket naming, error XML). Skips when Ceph is not installed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "aws/s3_client.h"
#include "storage/s3_storage.h"
#include "storage/upload_queue.h"
#include "tests/aws/fixture.h"

namespace {

constexpr int64_t MiB = 1 << 20;

// RGW starts with no buckets, and gan never creates one (it writes into existing ones), so the
// S3 client has no call for it: this is it, in RGW's default zone group (no LocationConstraint).
class BucketMaker : public aws::S3Client {
 public:
  using aws::S3Client::S3Client;
  void create(const std::string& bucket) {
    cloud::Call c("CREATE BUCKET", "PUT", bucket);
    c.quiet_statuses = {409};  // the bucket exists: fine if it is ours
    const cloud::HttpResponse r = execute(c);
    const std::string code = r.status == 409 ? aws::parse_s3_error(r).code : "";
    if (r.status == 409 && code != "BucketAlreadyOwnedByYou") throw std::runtime_error("CREATE BUCKET " + bucket + ": " + code);
  }
};

class S3IntegrationRgw : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    rgw_ = gan_test::rgw_stack(&why);
    if (!rgw_) GTEST_SKIP() << why;
    static bool buckets = false;
    if (!buckets) {
      BucketMaker s3(config());
      s3.create("gan-test");
      s3.create("gan.dotted");
      s3.create("gan-test");  // already ours: fine
      buckets = true;
    }
  }
  aws::S3ClientConfig config(const std::string& secret = "") const {
    aws::Credentials c;
    c.access_key_id = rgw_->access_key;
    c.secret_access_key = secret.empty() ? rgw_->secret_key : secret;
    aws::S3ClientConfig cfg;
    cfg.endpoint = rgw_->endpoint();
    cfg.credentials = aws::static_credentials(c);
    cfg.retry.base_delay_s = 0.05;
    cfg.multipart_threshold = 6 * MiB;
    cfg.part_size = 5 * MiB;
    cfg.concurrency = 3;
    return cfg;
  }
  const gan_test::RgwStack* rgw_ = nullptr;
  gan_test::TempDir dir_;
};

}  // namespace

TEST_F(S3IntegrationRgw, ObjectCallsWithAwkwardKeys) {
  aws::S3Client s3(config());
  const std::string key = "run/a b+c=d@e?f%g~h/\xc3\xa9\xf0\x9f\x98\x80.txt";
  const std::string body = "Welcome to Amazon S3. " + gan_test::random_bytes(3000, 11);
  EXPECT_EQ(s3.put("gan-test", key, body, "text/plain"), "\"" + gan_test::md5_hex(body) + "\"");
  EXPECT_EQ(s3.get("gan-test", key).value(), body);
  EXPECT_EQ(s3.get("gan-test", key, std::make_pair<int64_t, int64_t>(0, 9)).value(), "Welcome to");
  EXPECT_EQ(s3.head("gan-test", key)->size, static_cast<int64_t>(body.size()));
  EXPECT_FALSE(s3.get("gan-test", "run/missing"));
  EXPECT_FALSE(s3.head("gan-test", "run/missing"));
  for (int i = 0; i < 5; i++) s3.put("gan-test", "rgwlist/p/" + std::to_string(i), "x");
  s3.put("gan-test", "rgwlist/q/x", "x");
  EXPECT_EQ(s3.list("gan-test", "rgwlist/", "", 2).objects.size(), 6u);  // 3 pages
  EXPECT_EQ(s3.list("gan-test", "rgwlist/", "/").common_prefixes,
            (std::vector<std::string>{"rgwlist/p/", "rgwlist/q/"}));
  s3.remove("gan-test", key);
  EXPECT_FALSE(s3.head("gan-test", key));
}

TEST_F(S3IntegrationRgw, MultipartPartsMeetTheMinimumAndTheEtagCountsThem) {
  aws::S3Client s3(config());
  const std::string data = gan_test::random_bytes(13 * MiB + 999, 12);
  const std::string path = gan_test::write_file(dir_.path() + "/big.bin", data);
  std::string etag = s3.put_file("gan.dotted", "ckpt/state.safetensors", path);
  EXPECT_NE(etag.find("-3"), std::string::npos) << etag;
  const std::string out = dir_.path() + "/down.bin";
  ASSERT_TRUE(s3.get_to_file("gan.dotted", "ckpt/state.safetensors", out));
  EXPECT_TRUE(gan_test::read_file(out) == data);
}

TEST_F(S3IntegrationRgw, PresignedUrlAndErrors) {
  aws::S3Client s3(config());
  s3.put("gan-test", "share/g x.bin", "weights");
  cloud::HttpRequest r;
  r.url = s3.presign_get("gan-test", "share/g x.bin", 300);
  cloud::HttpResponse resp = cloud::HttpTransport().perform(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.body, "weights");

  aws::S3Client bad(config("wrong-secret"));
  try {
    bad.put("gan-test", "x", "x");
    FAIL();
  } catch (const aws::S3Error& e) {
    EXPECT_EQ(e.code(), "SignatureDoesNotMatch") << e.what();
  }
  try {
    s3.put("no-such-bucket", "x", "x");
    FAIL();
  } catch (const aws::S3Error& e) {
    EXPECT_EQ(e.code(), "NoSuchBucket") << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
}

TEST_F(S3IntegrationRgw, UploadQueueAndAwsCliInterop) {
  gan::S3Options o;
  o.endpoint = rgw_->endpoint();
  o.region = "us-east-1";
  aws::Credentials c;
  c.access_key_id = rgw_->access_key;
  c.secret_access_key = rgw_->secret_key;
  o.credentials = aws::static_credentials(c);
  o.multipart_threshold = 6 * MiB;
  o.part_size = 5 * MiB;
  auto remote = std::make_shared<gan::S3Storage>("s3://gan-test/rgw-run", o);
  const std::string big = gan_test::random_bytes(7 * MiB, 13);
  {
    gan::UploadQueueOptions qo;
    qo.log = [](const std::string&) {};
    gan::UploadQueue q(remote, dir_.path() + "/journal", qo);
    q.on_artifact("epoch/1/summary.json", gan_test::write_file(dir_.path() + "/s.json", "{\"Epoch\": 1}"));
    q.on_artifact("epoch/1/generator.safetensors", gan_test::write_file(dir_.path() + "/g.st", big));
    ASSERT_TRUE(q.drain(60).complete());
  }
  std::string why;
  if (!gan_test::have_awscli(&why)) GTEST_SKIP() << why;
  const std::string aws = "AWS_ACCESS_KEY_ID=" + rgw_->access_key + " AWS_SECRET_ACCESS_KEY=" + rgw_->secret_key +
                          " AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
                          "/usr/bin/aws --region us-east-1 --endpoint-url " + rgw_->endpoint() + " s3 cp --only-show-errors ";
  ASSERT_EQ(std::system((aws + "s3://gan-test/rgw-run/epoch/1/generator.safetensors " + dir_.path() + "/back.st").c_str()), 0);
  EXPECT_TRUE(gan_test::read_file(dir_.path() + "/back.st") == big);
  ASSERT_EQ(std::system((aws + dir_.path() + "/g.st 's3://gan-test/rgw-run/theirs x.bin'").c_str()), 0);
  EXPECT_TRUE(remote->get("theirs x.bin").value() == big);
}
