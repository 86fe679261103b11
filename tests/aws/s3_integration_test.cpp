// The S3 client against a local S3 server (s3rver) behind sigproxy.py, which recomputes every
// request's signature with botocore and rejects mismatches, and injects the faults each test asks
// for. Interop with the AWS CLI (Debian awscli) checks that what one side writes the other reads
// byte for byte.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <ctime>

#include "cloud/crypto.h"
#include "common/json.h"
#include "aws/s3_client.h"
#include "aws/sigv4.h"
#include "tests/aws/fixture.h"

namespace {

constexpr int64_t MiB = 1 << 20;

class S3Integration : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    stack_ = gan_test::s3_stack(&why);
    if (!stack_) GTEST_SKIP() << why;
    stack_->proxy("reset");
  }

  aws::S3ClientConfig config(const std::string& key = "S3RVER", const std::string& secret = "S3RVER") {
    aws::Credentials c;
    c.access_key_id = key;
    c.secret_access_key = secret;
    aws::S3ClientConfig cfg;
    cfg.endpoint = stack_->endpoint();
    cfg.credentials = std::make_shared<aws::CredentialsCache>([this, c](int64_t) {
      loads_++;  // counted, so tests can see a refresh happen
      return c;
    });
    cfg.retry.base_delay_s = 0.01;
    cfg.retry.max_delay_s = 0.2;
    cfg.transport.low_speed_seconds = 2;
    cfg.multipart_threshold = 6 * MiB;
    cfg.part_size = 5 * MiB;
    cfg.concurrency = 3;
    return cfg;
  }

  void faults(const std::string& json) { stack_->proxy("faults", json); }
  int64_t stat(const std::string& name) {
    return std::atoll(gan::Json::parse(stack_->proxy("stats")).field(name).c_str());
  }

  const gan_test::S3Stack* stack_ = nullptr;
  std::atomic<int> loads_{0};
  gan_test::TempDir dir_;
};

}  // namespace

TEST_F(S3Integration, PutGetRangeHeadListDelete) {
  aws::S3Client s3(config());
  const std::string key = "run/a b+c=d@e?f%g~h/\xc3\xa9\xf0\x9f\x98\x80.txt";
  const std::string body = "Welcome to Amazon S3. " + gan_test::random_bytes(1000, 1);
  s3.put("gan-test", key, body, "text/plain");
  EXPECT_EQ(s3.get("gan-test", key).value(), body);
  EXPECT_EQ(s3.get("gan-test", key, std::make_pair<int64_t, int64_t>(0, 9)).value(), "Welcome to");
  auto head = s3.head("gan-test", key);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, static_cast<int64_t>(body.size()));
  EXPECT_EQ(head->etag, "\"" + gan_test::md5_hex(body) + "\"");
  EXPECT_FALSE(s3.get("gan-test", "run/missing"));
  EXPECT_FALSE(s3.head("gan-test", "run/missing"));

  for (int i = 0; i < 7; i++) s3.put("gan-test", "list/p/" + std::to_string(i), std::to_string(i));
  s3.put("gan-test", "list/q/x", "x");
  cloud::Listing all = s3.list("gan-test", "list/", "", 2);  // 4 pages of 2
  ASSERT_EQ(all.objects.size(), 8u);
  EXPECT_EQ(all.objects[0].key, "list/p/0");
  EXPECT_EQ(all.objects[7].key, "list/q/x");
  cloud::Listing dirs = s3.list("gan-test", "list/", "/");
  EXPECT_EQ(dirs.common_prefixes, (std::vector<std::string>{"list/p/", "list/q/"}));

  s3.remove("gan-test", key);
  EXPECT_FALSE(s3.head("gan-test", key));
  s3.remove("gan-test", key);  // deleting what is gone is fine
  EXPECT_EQ(stat("rejected"), 0) << "the proxy rejected a signature";
  EXPECT_GT(stat("verified"), 20);
}

TEST_F(S3Integration, ConnectionsAreReusedWithinAThread) {
  aws::S3Client s3(config());
  s3.put("gan-test", "reuse/a", "a");
  stack_->proxy("reset");  // the control request itself used a connection of its own
  for (int i = 0; i < 20; i++) s3.put("gan-test", "reuse/" + std::to_string(i), "x");
  EXPECT_EQ(stat("requests"), 20);
  EXPECT_LE(stat("connections"), 2) << "each request opened a new connection";
}

TEST_F(S3Integration, MultipartUploadInParallelPartsAndDottedBucket) {
  aws::S3Client s3(config());
  const std::string data = gan_test::random_bytes(13 * MiB + 12345, 2);  // 3 parts of 5 MiB
  const std::string path = gan_test::write_file(dir_.path() + "/big.bin", data);
  // Each part is held 1 s at the proxy: sent one after another they could never overlap.
  faults(R"([{"kind":"delay","seconds":1,"count":3,"method":"PUT","match":"partNumber="}])");
  s3.put_file("gan.dotted", "ckpt/generator.safetensors", path);
  EXPECT_EQ(stat("parts"), 3);
  EXPECT_EQ(stat("parts_in_flight_max"), 3) << "the parts were not uploaded in parallel (concurrency 3)";
  const std::string out = dir_.path() + "/down.bin";
  ASSERT_TRUE(s3.get_to_file("gan.dotted", "ckpt/generator.safetensors", out));
  EXPECT_TRUE(gan_test::read_file(out) == data);
  EXPECT_FALSE(s3.get_to_file("gan.dotted", "ckpt/none", out));
  EXPECT_EQ(stat("rejected"), 0);
}

TEST_F(S3Integration, PresignedGetDownloadsTheObject) {
  aws::S3Client s3(config());
  s3.put("gan-test", "share/generator x.bin", "weights");
  std::string url = s3.presign_get("gan-test", "share/generator x.bin", 600);
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.url = url;
  cloud::HttpResponse resp = t.perform(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.body, "weights");
  // A tampered signature is refused by the proxy (botocore recomputes it).
  r.url = url.substr(0, url.size() - 4) + "0000";
  EXPECT_EQ(t.perform(r).status, 403);
}

TEST_F(S3Integration, RetriesServerErrorsThrottlingResetsAndStalls) {
  aws::S3Client s3(config());
  faults(R"([{"kind":"500","count":2,"method":"PUT"},{"kind":"503","count":2,"method":"PUT"},
             {"kind":"reset","count":2,"method":"PUT"},{"kind":"stall","seconds":4,"count":1,"method":"PUT"},
             {"kind":"503","count":1,"method":"GET"},{"kind":"reset","count":1,"method":"GET"}])");
  s3.put("gan-test", "faults/one.txt", "payload");
  EXPECT_EQ(s3.get("gan-test", "faults/one.txt").value(), "payload");
  EXPECT_EQ(stat("faults"), 9);
}

TEST_F(S3Integration, GivesUpAfterTheRetryBudgetWithATransientError) {
  aws::S3ClientConfig cfg = config();
  cfg.retry.max_attempts = 3;
  aws::S3Client s3(cfg);
  faults(R"([{"kind":"503","count":100,"method":"PUT"}])");
  try {
    s3.put("gan-test", "faults/never.txt", "x");
    FAIL() << "expected an S3Error";
  } catch (const aws::S3Error& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_EQ(e.code(), "SlowDown");
  }
  EXPECT_EQ(stat("faults"), 3);
}

TEST_F(S3Integration, CorrectsClockSkewFromTheServerDate) {
  aws::S3Client s3(config());
  stack_->proxy("skew", R"({"seconds": 3600})");
  s3.put("gan-test", "skew/a.txt", "a");
  EXPECT_NEAR(static_cast<double>(s3.clock_skew()), 3600.0, 5.0);
  EXPECT_EQ(s3.get("gan-test", "skew/a.txt").value(), "a");
  EXPECT_EQ(stat("rejected"), 1);  // only the first request, before the correction
}

TEST_F(S3Integration, ExpiredTokenRefreshesCredentialsAndRetriesOnce) {
  aws::S3Client s3(config());
  s3.put("gan-test", "token/a.txt", "a");
  int before = loads_.load();
  faults(R"([{"kind":"expired_token","count":1}])");
  s3.put("gan-test", "token/b.txt", "b");
  EXPECT_EQ(loads_.load(), before + 1);
  faults(R"([{"kind":"expired_token","count":2}])");
  try {
    s3.put("gan-test", "token/c.txt", "c");
    FAIL() << "a token that stays expired must fail";
  } catch (const aws::S3Error& e) {
    EXPECT_EQ(e.code(), "ExpiredToken");
    EXPECT_NE(std::string(e.what()).find("session token"), std::string::npos) << e.what();
  }
}

TEST_F(S3Integration, SessionTokenIsSignedAndAccepted) {
  aws::S3ClientConfig cfg = config();
  aws::Credentials c;
  c.access_key_id = "S3RVER";  // s3rver knows only this key; the proxy refuses an unsigned token
  c.secret_access_key = "S3RVER";
  c.session_token = "FwoGZXIvYXdzEJr//////////wEaDOGan+Token=";
  cfg.credentials = aws::static_credentials(c);
  aws::S3Client s3(cfg);
  s3.put("gan-test", "token/session.txt", "s");
  EXPECT_EQ(s3.get("gan-test", "token/session.txt").value(), "s");
  EXPECT_EQ(stat("rejected"), 0);
}

// What the proxy (and S3) refuse: a session token or payload hash sent outside SignedHeaders,
// however right the signature over the rest is.
TEST_F(S3Integration, ProxyRejectsATokenOrPayloadHashThatIsNotSigned) {
  aws::Credentials c;
  c.access_key_id = c.secret_access_key = "S3RVER";
  const std::string host = stack_->endpoint().substr(std::string("http://").size());
  auto send = [&](bool sign_hash, const aws::KeyValues& unsigned_headers) {
    const int64_t now = std::time(nullptr);
    aws::SignableRequest r;
    r.method = "PUT";
    r.path = "/gan-test/token/unsigned.txt";
    r.payload_hash = cloud::sha256_hex("x");
    r.headers = {{"host", host}, {"x-amz-date", aws::amz_date(now)}};
    if (sign_hash) r.headers.emplace_back("x-amz-content-sha256", r.payload_hash);
    std::string signed_headers;
    const std::string creq = aws::canonical_request(r, &signed_headers);
    const std::string day = aws::amz_date(now).substr(0, 8);
    const std::string sts = aws::string_to_sign(aws::amz_date(now), aws::credential_scope(day, "us-east-1", "s3"), creq);
    cloud::HttpRequest req;
    req.method = "PUT";
    req.url = stack_->endpoint() + r.path;
    req.body = "x";
    for (const auto& h : r.headers)
      if (h.first != "host") req.headers.push_back(h);
    for (const auto& h : unsigned_headers) req.headers.push_back(h);
    req.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=S3RVER/" + day +
                                                  "/us-east-1/s3/aws4_request, SignedHeaders=" + signed_headers +
                                                  ", Signature=" + gan::hex(cloud::hmac_sha256(aws::signing_key("S3RVER", day, "us-east-1", "s3"), sts)));
    return cloud::HttpTransport().perform(req);
  };
  cloud::HttpResponse good = send(true, {});
  ASSERT_EQ(good.status, 200) << "the hand-signed request itself is wrong: " << good.body;
  cloud::HttpResponse token = send(true, {{"x-amz-security-token", "FwoGZXIvYXdzEJr//////////wEaDOGan+Token="}});
  EXPECT_EQ(token.status, 403);
  EXPECT_NE(token.body.find("not signed: x-amz-security-token"), std::string::npos) << token.body;
  cloud::HttpResponse hash = send(false, {{"x-amz-content-sha256", cloud::sha256_hex("x")}});
  EXPECT_EQ(hash.status, 403);
  EXPECT_NE(hash.body.find("not signed: x-amz-content-sha256"), std::string::npos) << hash.body;
  EXPECT_EQ(stat("rejected"), 2);
}

TEST_F(S3Integration, WrongRegionIsResignedForTheBucketsRegion) {
  aws::S3Client s3(config());
  stack_->proxy("region", R"({"name": "eu-west-1"})");
  s3.put("gan-test", "region/a.txt", "a");
  EXPECT_EQ(s3.region(), "eu-west-1");
  EXPECT_EQ(s3.get("gan-test", "region/a.txt").value(), "a");
}

TEST_F(S3Integration, CompleteMultipartErrorInA200IsRetried) {
  aws::S3Client s3(config());
  const std::string data = gan_test::random_bytes(11 * MiB, 3);
  const std::string path = gan_test::write_file(dir_.path() + "/mp.bin", data);
  faults(R"([{"kind":"error200","count":1,"method":"POST","match":"uploadId="},
             {"kind":"500","count":2,"method":"PUT","match":"partNumber=2"},
             {"kind":"reset","count":1,"method":"PUT","match":"partNumber=1"}])");
  s3.put_file("gan-test", "mp/error200.bin", path);
  EXPECT_TRUE(s3.get("gan-test", "mp/error200.bin").value() == data);
  EXPECT_EQ(stat("faults"), 4);
}

TEST_F(S3Integration, LostCompleteAnswerStillCountsAsUploaded) {
  aws::S3Client s3(config());
  const std::string data = gan_test::random_bytes(11 * MiB, 4);
  const std::string path = gan_test::write_file(dir_.path() + "/mp.bin", data);
  faults(R"([{"kind":"drop_response","count":1,"method":"POST","match":"uploadId="}])");
  s3.put_file("gan-test", "mp/dropped.bin", path);
  EXPECT_TRUE(s3.get("gan-test", "mp/dropped.bin").value() == data);
}

TEST_F(S3Integration, FailedPartAbortsTheUpload) {
  aws::S3ClientConfig cfg = config();
  cfg.retry.max_attempts = 2;
  aws::S3Client s3(cfg);
  const std::string path = gan_test::write_file(dir_.path() + "/mp.bin", gan_test::random_bytes(11 * MiB, 5));
  faults(R"([{"kind":"500","count":100,"method":"PUT","match":"partNumber=2"}])");
  EXPECT_THROW(s3.put_file("gan-test", "mp/aborted.bin", path), aws::S3Error);
  EXPECT_FALSE(s3.head("gan-test", "mp/aborted.bin"));
  EXPECT_EQ(stat("aborts"), 1) << "one AbortMultipartUpload (DELETE ?uploadId=) was expected";
}

TEST_F(S3Integration, ErrorsNameTheProblem) {
  aws::S3Client bad_secret(config("S3RVER", "not-the-secret"));
  try {
    bad_secret.put("gan-test", "x", "x");
    FAIL();
  } catch (const aws::S3Error& e) {
    EXPECT_EQ(e.code(), "SignatureDoesNotMatch");
    EXPECT_FALSE(e.transient());
    EXPECT_NE(std::string(e.what()).find("S3RVER"), std::string::npos) << e.what();
  }
  aws::S3Client s3(config());
  try {
    s3.put("no-such-bucket", "x", "x");
    FAIL();
  } catch (const aws::S3Error& e) {
    EXPECT_EQ(e.code(), "NoSuchBucket");
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  aws::S3ClientConfig cfg = config();
  cfg.endpoint = "http://127.0.0.1:" + std::to_string(gan_test::free_port());  // nothing listens
  cfg.retry.max_attempts = 2;
  aws::S3Client down(cfg);
  try {
    down.get("gan-test", "x");
    FAIL();
  } catch (const aws::S3Error& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_NE(std::string(e.what()).find("Check the network"), std::string::npos) << e.what();
  }
}

TEST_F(S3Integration, AwsCliReadsWhatWeWriteAndWeReadWhatItWrites) {
  std::string why;
  if (!gan_test::have_awscli(&why)) GTEST_SKIP() << why;
  aws::S3Client s3(config());
  const std::string small = gan_test::random_bytes(3000, 6), big = gan_test::random_bytes(12 * MiB + 7, 7);
  const std::string big_path = gan_test::write_file(dir_.path() + "/big.bin", big);
  s3.put("gan-test", "interop/ours small.bin", small);
  s3.put_file("gan-test", "interop/ours-big.bin", big_path);
  const std::string env = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true "
                          "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null ";
  const std::string aws = env + "/usr/bin/aws --region us-east-1 --endpoint-url " + stack_->endpoint() + " s3 cp --only-show-errors ";
  ASSERT_EQ(std::system((aws + "'s3://gan-test/interop/ours small.bin' " + dir_.path() + "/a.bin").c_str()), 0);
  ASSERT_EQ(std::system((aws + "s3://gan-test/interop/ours-big.bin " + dir_.path() + "/b.bin").c_str()), 0);
  EXPECT_TRUE(gan_test::read_file(dir_.path() + "/a.bin") == small);
  EXPECT_TRUE(gan_test::read_file(dir_.path() + "/b.bin") == big);
  // The reverse: the CLI uploads (multipart above its 8 MiB threshold), we download.
  ASSERT_EQ(std::system((aws + big_path + " 's3://gan-test/interop/theirs big.bin'").c_str()), 0);
  EXPECT_TRUE(s3.get("gan-test", "interop/theirs big.bin").value() == big);
  EXPECT_EQ(stat("rejected"), 0);
}
