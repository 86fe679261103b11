// GCS: SigV4 with the XML API's interoperability conventions (host storage.googleapis.com,
// region "auto", service "s3") checked against botocore; gs:// through the S3-compatible path
// against the local S3 server (s3rver behind the signature-checking proxy, set to accept only
// region "auto"); bearer tokens from a fake GCE metadata server through a front that accepts only
// current tokens; and the token flows themselves (header, expiry, refresh, retries).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "cloud/crypto.h"
#include "cloud/http.h"
#include "common/json.h"
#include "aws/sigv4.h"
#include "gcs/gce_metadata.h"
#include "aws/s3_client.h"
#include "storage/gcs_storage.h"
#include "storage/upload_queue.h"
#include "tests/aws/fake_server.h"
#include "tests/aws/fixture.h"
#include "tests/azure/azurite.h"

namespace {

std::string fixture(const std::string& name) {
  std::string here = __FILE__;
  return here.substr(0, here.rfind("tests/gcs/")) + "tests/fixtures/gcs/" + name;
}

aws::Credentials hmac() {
  aws::Credentials c;
  c.access_key_id = "GOOG1EXAMPLEHMACKEY";
  c.secret_access_key = "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ";
  c.source = "test HMAC key";
  return c;
}

// botocore signs the same GCS requests (time fixed): canonical request, string to sign and
// signature must agree, with the scope <date>/auto/s3/aws4_request and host storage.googleapis.com.
TEST(GcsSigning, XmlApiConventionsMatchBotocore) {
  std::string why;
  if (!gan_test::have_botocore(&why)) GTEST_SKIP() << why;
  struct Case {
    std::string method, key;
    aws::KeyValues query, headers;
    std::string body;
    int64_t expires;
  };
  std::vector<Case> cases = {
      {"PUT", "gan-bucket/runs/20261126T100000Z/epoch/10/generated.png", {}, {{"content-type", "image/png"}}, "png", 0},
      {"GET", "gan-bucket/runs/a b+c/metrics.csv", {}, {{"range", "bytes=0-99"}}, "", 0},
      {"GET", "gan-bucket", {{"list-type", "2"}, {"prefix", "runs/"}, {"delimiter", "/"}}, {}, "", 0},
      {"POST", "gan-bucket/big.safetensors", {{"uploads", ""}}, {}, "", 0},
      {"GET", "gan-bucket/runs/r/epoch/10/generator.safetensors", {}, {}, "", 3600},
  };
  const int64_t t = 1795687200;  // 2026-11-26T10:00:00Z
  std::string input;
  auto js = [](const std::string& s) {
    std::string o = "\"";
    for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return o + "\"";
  };
  auto pairs = [&](const aws::KeyValues& kv) {
    std::string o = "[";
    for (size_t i = 0; i < kv.size(); i++) o += (i ? "," : "") + std::string("[") + js(kv[i].first) + "," + js(kv[i].second) + "]";
    return o + "]";
  };
  for (const auto& c : cases)
    input += "{\"method\":" + js(c.method) + ",\"host\":\"storage.googleapis.com\",\"key\":" + js(c.key) +
             ",\"query\":" + pairs(c.query) + ",\"headers\":" + pairs(c.headers) + ",\"body\":" + js(c.body) +
             ",\"access\":" + js(hmac().access_key_id) + ",\"secret\":" + js(hmac().secret_access_key) +
             ",\"token\":\"\",\"region\":\"auto\",\"time\":" + std::to_string(t) +
             ",\"presign_expires\":" + std::to_string(c.expires) + "}\n";
  gan_test::TempDir d;
  std::ofstream(d.path() + "/in") << input;
  std::string cmd = "PYTHONIOENCODING=utf-8 /usr/bin/python3 " + gan_test::fixture_path("botocore_sign.py") + " < " +
                    d.path() + "/in > " + d.path() + "/out";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream out(d.path() + "/out");
  std::string line;
  size_t n = 0;
  while (std::getline(out, line) && n < cases.size()) {
    const Case& c = cases[n++];
    const gan::Json want = gan::Json::parse(line);
    aws::SignableRequest r;
    r.method = c.method;
    r.path = "/" + c.key;
    r.query = c.query;
    r.headers = {{"host", "storage.googleapis.com"}};
    for (auto& h : c.headers) r.headers.push_back(h);
    aws::SigningStages got;
    if (c.expires) {
      std::string q;
      got = aws::presign(r, hmac(), "auto", "s3", t, c.expires, &q);
      EXPECT_NE(q.find("X-Amz-Credential=GOOG1EXAMPLEHMACKEY%2F20261126%2Fauto%2Fs3%2Faws4_request"), std::string::npos) << q;
    } else {
      r.payload_hash = cloud::sha256_hex(c.body);
      got = aws::sign_request(r, hmac(), "auto", "s3", t);
      EXPECT_NE(got.authorization.find("Credential=GOOG1EXAMPLEHMACKEY/20261126/auto/s3/aws4_request"), std::string::npos);
    }
    EXPECT_NE(got.canonical_request.find("\nhost:storage.googleapis.com\n"), std::string::npos);
    EXPECT_NE(got.string_to_sign.find("\n20261126/auto/s3/aws4_request\n"), std::string::npos);
    EXPECT_EQ(got.canonical_request, want.field("creq")) << c.method << " " << c.key;
    EXPECT_EQ(got.string_to_sign, want.field("sts"));
    EXPECT_EQ(got.signature, want.field("signature"));
  }
  EXPECT_EQ(n, cases.size());
}

// A signed URL from GcsStorage in HMAC mode: storage.googleapis.com, path style, region auto.
TEST(GcsSigning, SignedUrlForAnObject) {
  gan::GcsOptions o;
  o.hmac = hmac();
  gan::GcsStorage s("gs://gan-bucket/runs", o);
  EXPECT_TRUE(s.uses_hmac());
  std::string url = s.presign("r1/epoch/10/generator.safetensors", 600);
  EXPECT_EQ(url.rfind("https://storage.googleapis.com/gan-bucket/runs/r1/epoch/10/generator.safetensors?", 0), 0u) << url;
  EXPECT_NE(url.find("%2Fauto%2Fs3%2Faws4_request"), std::string::npos) << url;
  EXPECT_NE(url.find("X-Amz-Expires=600"), std::string::npos) << url;
}

TEST(GcsStorageUrl, BadUrlsNameTheProblem) {
  gan::GcsOptions o;
  o.hmac = hmac();
  EXPECT_THROW(gan::GcsStorage("gs://ab", o), std::invalid_argument);
  EXPECT_THROW(gan::GcsStorage("gs://bucket/../x", o), std::invalid_argument);
}

// gs:// with HMAC keys through the S3-compatible path, against the local S3 server; the proxy
// verifies every SigV4 signature with botocore and refuses any region but "auto".
TEST(GcsHmac, EveryCallThroughTheS3CompatiblePath) {
  std::string why;
  const gan_test::S3Stack* st = gan_test::s3_stack(&why);
  if (!st) GTEST_SKIP() << why;
  st->proxy("reset");
  st->proxy("region", R"({"name":"auto"})");
  gan::GcsOptions o;
  o.endpoint = st->endpoint();
  aws::Credentials c;
  c.access_key_id = c.secret_access_key = "S3RVER";
  o.hmac = c;
  o.multipart_threshold = 5 << 20;
  o.part_size = 5 << 20;
  gan::GcsStorage s("gs://gan-test/gcs-" + std::to_string(time(nullptr)), o);
  s.put("r1/hyperparameters.json", "{}");
  gan_test::TempDir d;
  const std::string big = gan_test::random_bytes((11 << 20) + 7, 5);
  s.put_file("r1/checkpoint/state.safetensors", gan_test::write_file(d.path() + "/big", big));  // multipart
  EXPECT_EQ(s.get("r1/checkpoint/state.safetensors"), big);
  EXPECT_EQ(s.get("r1/hyperparameters.json"), "{}");
  EXPECT_EQ(s.list_dirs(""), (std::vector<std::string>{"r1"}));
  EXPECT_EQ(s.list("r1/").size(), 2u);
  EXPECT_EQ(s.stat("r1/hyperparameters.json")->size, 2);
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.url = s.presign("r1/hyperparameters.json", 60);
  EXPECT_EQ(t.perform(r).body, "{}");
  s.remove("r1/hyperparameters.json");
  EXPECT_FALSE(s.get("r1/hyperparameters.json"));
  std::string stats = st->proxy("stats");
  EXPECT_EQ(stats.find("\"rejected\": 0") != std::string::npos, true) << stats;
  st->proxy("reset");
}

// What a user reads when something is wrong must be about GCS: gs:// URLs, gcloud and IAM roles,
// the HMAC key variables — never AWS's advice (aws s3 mb, s3:PutObject on arn:aws:s3:::...).
void expect_gcs_advice(const std::string& m, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) EXPECT_NE(m.find(w), std::string::npos) << "no '" << w << "' in: " << m;
  for (const char* aws : {"s3://", "aws s3", "arn:aws", "s3:PutObject", "s3:GetObject", "AWS_PROFILE", "--s3-endpoint"})
    EXPECT_EQ(m.find(aws), std::string::npos) << "AWS advice '" << aws << "' in: " << m;
}

template <class F>
std::string storage_error(F&& f) {
  try {
    f();
  } catch (const gan::RemoteStorageError& e) {
    EXPECT_FALSE(e.transient()) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no RemoteStorageError";
  return "";
}

// HMAC mode goes through aws::S3Client, whose errors carry AWS's advice; GcsStorage rebuilds them
// from their code and status. The bucket, key and signature errors come from the S3 server and
// the signature-checking proxy; AccessDenied from a proxy in front of them.
TEST(GcsHmac, ErrorsGiveGcsAdvice) {
  std::string why;
  const gan_test::S3Stack* st = gan_test::s3_stack(&why);
  if (!st) GTEST_SKIP() << why;
  st->proxy("reset");
  st->proxy("region", R"({"name":"auto"})");
  auto options = [&](const std::string& id, const std::string& secret) {
    gan::GcsOptions o;
    o.endpoint = st->endpoint();
    aws::Credentials c;
    c.access_key_id = id;
    c.secret_access_key = secret;
    c.source = "GCS_HMAC_ACCESS_ID / GCS_HMAC_SECRET";
    o.hmac = c;
    o.retry.max_attempts = 2;
    o.retry.base_delay_s = 0.01;
    return o;
  };
  gan::GcsStorage missing("gs://gan-no-such-bucket/runs", options("S3RVER", "S3RVER"));
  expect_gcs_advice(storage_error([&] { missing.put("r/a.json", "{}"); }),
                    {"PUT gs://gan-no-such-bucket/runs/r/a.json", "NoSuchBucket", "gcloud storage buckets create gs://gan-no-such-bucket"});
  expect_gcs_advice(storage_error([&] { missing.get("r/a.json"); }),
                    {"GET gs://gan-no-such-bucket/runs/r/a.json", "gcloud storage buckets create"});
  gan::GcsStorage unknown("gs://gan-test/runs", options("GOOG1UNKNOWNKEY", "S3RVER"));
  expect_gcs_advice(storage_error([&] { unknown.put("r/a.json", "{}"); }),
                    {"InvalidAccessKeyId", "HMAC access ID", "Interoperability"});
  gan::GcsStorage wrong_secret("gs://gan-test/runs", options("S3RVER", "not-the-secret"));
  expect_gcs_advice(storage_error([&] { wrong_secret.put("r/a.json", "{}"); }), {"SignatureDoesNotMatch", "GCS_HMAC_SECRET"});
  st->proxy("reset");

  auto fp = gan_test::start_faultproxy(st->proxy_port, &why);
  if (!fp) GTEST_SKIP() << why;
  gan::GcsOptions o = options("S3RVER", "S3RVER");
  o.endpoint = fp->endpoint();
  gan::GcsStorage denied("gs://gan-test/runs", o);
  fp->proxy("faults", R"([{"kind":"403","code":"AccessDenied","count":2}])");
  expect_gcs_advice(storage_error([&] { denied.put("r/a.json", "{}"); }),
                    {"PUT gs://gan-test/runs/r/a.json", "HTTP 403 AccessDenied", "roles/storage.objectAdmin on gs://gan-test",
                     "GCS_HMAC_ACCESS_ID"});
  expect_gcs_advice(storage_error([&] { denied.list_dirs(""); }), {"LIST gs://gan-test/runs/", "roles/storage.objectAdmin"});
  // Nothing listening: the URL in the message is gs://, the endpoint is named.
  o.endpoint = "http://127.0.0.1:" + std::to_string(gan_test::free_port());
  gan::GcsStorage down("gs://gan-test/runs", o);
  try {
    down.get("r/a.json");
    FAIL() << "no error with nothing listening";
  } catch (const gan::RemoteStorageError& e) {
    EXPECT_TRUE(e.transient());
    expect_gcs_advice(e.what(), {"gs://gan-test/runs/r/a.json", "failed after 2 attempts", o.endpoint});
  }
}

// gs:// with no GCS_HMAC_* keys reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY as HMAC keys
// (what `gsutil`-style setups export); GCS_HMAC_* win when both are set.
TEST(GcsHmac, AwsKeysAreHmacKeysWhenNoGcsKeysAreSet) {
  std::string why;
  const gan_test::S3Stack* st = gan_test::s3_stack(&why);
  if (!st) GTEST_SKIP() << why;
  st->proxy("reset");
  st->proxy("region", R"({"name":"auto"})");
  unsetenv("GCS_HMAC_ACCESS_ID");
  unsetenv("GCS_HMAC_SECRET");
  setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  gan::GcsOptions o;
  o.endpoint = st->endpoint();
  const std::string prefix = "gs://gan-test/awskeys-" + std::to_string(time(nullptr));
  {
    gan::GcsStorage s(prefix, o);
    EXPECT_TRUE(s.uses_hmac());
    EXPECT_NE(s.credential_source().find("AWS_ACCESS_KEY_ID"), std::string::npos) << s.credential_source();
    s.put("r/a.json", "[2]");
    EXPECT_EQ(s.get("r/a.json"), "[2]");
  }
  // GCS's own variables come first: with a wrong AWS key beside them, the GCS key is used.
  setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG", 1);
  setenv("GCS_HMAC_ACCESS_ID", "S3RVER", 1);
  setenv("GCS_HMAC_SECRET", "S3RVER", 1);
  {
    gan::GcsStorage s(prefix, o);
    EXPECT_NE(s.credential_source().find("GCS_HMAC_ACCESS_ID"), std::string::npos) << s.credential_source();
    EXPECT_EQ(s.get("r/a.json"), "[2]");
  }
  std::string stats = st->proxy("stats");
  EXPECT_NE(stats.find("\"rejected\": 0"), std::string::npos) << stats;
  for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GCS_HMAC_ACCESS_ID", "GCS_HMAC_SECRET"}) unsetenv(v);
  st->proxy("reset");
}

struct BearerFront {
  int port = 0;
  std::unique_ptr<gan_test::Child> child;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

const BearerFront* bearer_front(std::string* why) {
  static BearerFront* f = [] {
    auto* b = new BearerFront;
    std::string reason;
    const gan_test::S3Stack* st = gan_test::s3_stack(&reason);
    if (!st) return b;
    b->port = gan_test::free_port();
    b->child = std::make_unique<gan_test::Child>(
        std::vector<std::string>{"/usr/bin/python3", fixture("bearer_front.py"), std::to_string(b->port),
                                 std::to_string(st->s3rver_port)},
        "ready", 20);
    static BearerFront* cleanup = b;
    std::atexit([] { cleanup->child.reset(); });
    return b;
  }();
  if (!f->child) {
    gan_test::s3_stack(why);
    return nullptr;
  }
  return f;
}

std::string post(const std::string& url, const std::string& body) {
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.body = body;
  return t.perform(r).body;
}

// No HMAC keys: the VM's service-account token from the (fake) metadata server, sent as a bearer
// token; a revoked token is refreshed and the request retried.
TEST(GcsBearer, EveryCallWithMetadataServerTokens) {
  std::string why;
  const BearerFront* front = bearer_front(&why);
  if (!front) GTEST_SKIP() << why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":3600,"fail":0})");
  setenv("GCE_METADATA_HOST", ("127.0.0.1:" + std::to_string(md->port)).c_str(), 1);
  gan::GcsOptions o;
  o.endpoint = front->url();
  o.multipart_threshold = 5 << 20;
  o.part_size = 5 << 20;
  unsetenv("GCS_HMAC_ACCESS_ID");
  unsetenv("AWS_ACCESS_KEY_ID");
  gan::GcsStorage s("gs://gan-test/bearer-" + std::to_string(time(nullptr)), o);
  EXPECT_FALSE(s.uses_hmac());
  EXPECT_NE(s.credential_source().find("GCE metadata server"), std::string::npos);
  s.put("r/a.json", "[1]");
  gan_test::TempDir d;
  const std::string big = gan_test::random_bytes((10 << 20) + 3, 6);
  s.put_file("r/checkpoint/big.safetensors", gan_test::write_file(d.path() + "/big", big));
  EXPECT_EQ(s.get("r/checkpoint/big.safetensors"), big);
  EXPECT_EQ(s.list("r/").size(), 2u);
  EXPECT_EQ(s.list_dirs("r"), (std::vector<std::string>{"checkpoint"}));
  EXPECT_EQ(s.stat("r/a.json")->size, 3);
  // Every token issued so far is revoked: the client must fetch one new token and carry on.
  const gan::Json ms = gan::Json::parse(md->call("GET", "/__fake/stats"));
  int next = std::atoi(ms.field("gce").c_str()) + 1;
  post(front->url() + "/__front/revoke", "{\"below\": " + std::to_string(next) + "}");
  EXPECT_EQ(s.get("r/a.json"), "[1]");
  const gan::Json after = gan::Json::parse(md->call("GET", "/__fake/stats"));
  EXPECT_EQ(std::atoi(after.field("gce").c_str()), next);  // exactly one new token
  s.remove("r/a.json");
  EXPECT_FALSE(s.get("r/a.json"));
  EXPECT_THROW(s.presign("r/x", 60), gan::PresignUnavailable);
  unsetenv("GCE_METADATA_HOST");
}

std::shared_ptr<cloud::TokenCache> metadata_tokens(const gan_test::FakeMetadata* md) {
  return std::make_shared<cloud::TokenCache>(
      std::make_shared<gcs::GceMetadataSource>("127.0.0.1:" + std::to_string(md->port)));
}

// Bearer mode's errors: the bucket, the token refused even after a refresh, and AccessDenied
// (from a proxy in front of the token-checking front), each with GCS advice naming the token's
// source.
TEST(GcsBearer, ErrorsGiveGcsAdvice) {
  std::string why;
  const BearerFront* front = bearer_front(&why);
  if (!front) GTEST_SKIP() << why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":3600,"fail":0})");
  gan::GcsOptions o;
  o.endpoint = front->url();
  o.tokens = metadata_tokens(md);
  o.retry.max_attempts = 2;
  o.retry.base_delay_s = 0.01;
  gan::GcsStorage missing("gs://gan-no-such-bucket/runs", o);
  expect_gcs_advice(storage_error([&] { missing.put("r/a.json", "{}"); }),
                    {"PUT gs://gan-no-such-bucket/runs/r/a.json", "NoSuchBucket", "gcloud storage buckets create"});

  auto fp = gan_test::start_faultproxy(front->port, &why);
  if (!fp) GTEST_SKIP() << why;
  o.endpoint = fp->endpoint();
  gan::GcsStorage s("gs://gan-test/runs", o);
  fp->proxy("faults", R"([{"kind":"403","code":"AccessDenied","count":1}])");
  expect_gcs_advice(storage_error([&] { s.put("r/a.json", "{}"); }),
                    {"PUT gs://gan-test/runs/r/a.json", "HTTP 403 AccessDenied", "GCE metadata server",
                     "roles/storage.objectAdmin on gs://gan-test", "cloud-platform scope"});
  // Every token, present and future, refused: one refresh, then a message about the identity.
  post(front->url() + "/__front/revoke", R"({"below": 1000000})");
  expect_gcs_advice(storage_error([&] { s.get("r/a.json"); }),
                    {"GET gs://gan-test/runs/r/a.json", "HTTP 401", "refused even after a refresh", "GCE metadata server"});
  post(front->url() + "/__front/revoke", R"({"below": 0})");
}

// Large files go as XML multipart uploads with the parts in parallel (they overlap at a proxy
// that holds each one), and a Complete whose answer is lost — GCS assembled the object, the
// connection dropped — is recognised as done instead of failing the upload.
TEST(GcsBearer, PartsInParallelAndALostCompleteAnswer) {
  std::string why;
  const BearerFront* front = bearer_front(&why);
  if (!front) GTEST_SKIP() << why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  auto fp = gan_test::start_faultproxy(front->port, &why);
  if (!fp) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":3600,"fail":0})");
  aws::S3ClientConfig cfg;  // GCS's XML API with a bearer token
  cfg.scheme = "gs";
  cfg.endpoint = fp->endpoint();
  cfg.bearer = metadata_tokens(md);
  cfg.retry.base_delay_s = 0.01;
  cfg.multipart_threshold = 5 << 20;
  cfg.part_size = 5 << 20;
  cfg.concurrency = 3;
  aws::S3Client c(cfg);
  gan_test::TempDir d;
  const std::string big = gan_test::random_bytes((20 << 20) + 11, 8);  // 5 parts
  const std::string path = gan_test::write_file(d.path() + "/big", big);
  const std::string key = "lost-complete-" + std::to_string(time(nullptr)) + "/state.safetensors";
  fp->proxy("faults", R"([{"kind":"delay","seconds":0.3,"count":100,"method":"PUT","match":"uploadId="},
                          {"kind":"drop_response","count":1,"method":"POST","match":"uploadId="}])");
  EXPECT_NO_THROW(c.put_file("gan-test", key, path, "application/octet-stream"));
  const gan::Json stats = gan::Json::parse(fp->proxy("stats"));
  EXPECT_EQ(stats.field("faults"), "6") << "5 held parts and the dropped Complete answer";
  const int in_flight = std::atoi(stats.field("max_in_flight").c_str());
  EXPECT_GE(in_flight, 2) << "parts were not sent in parallel";
  EXPECT_LE(in_flight, 3) << "more parts in flight than cfg.concurrency";
  EXPECT_EQ(c.get("gan-test", key), big);
  c.remove("gan-test", key);
}

// The GCE metadata flow itself: the header, expiry and refresh, transient failures retried.
// A server that keeps answering "truncated" with the same continuation token: before, the bearer
// client asked for the same page forever (here the server gives up after 50 pages).
TEST(GcsBearer, ListingStopsWhenTheServerRepeatsItsContinuationToken) {
  struct FixedToken : cloud::TokenSource {
    std::string name() const override { return "a test token"; }
    cloud::AccessToken fetch(int64_t now) override { return {"token", now + 3600, name()}; }
  };
  std::atomic<int> pages{0};
  gan_test::FakeServer server([&](const httplib::Request&, httplib::Response& res) {
    const bool more = ++pages < 50;
    res.set_content(std::string("<ListBucketResult><IsTruncated>") + (more ? "true" : "false") +
                        "</IsTruncated><NextContinuationToken>same</NextContinuationToken>"
                        "<Contents><Key>run/a</Key><Size>1</Size></Contents></ListBucketResult>",
                    "application/xml");
  });
  aws::S3ClientConfig cfg;  // GCS's XML API with a bearer token
  cfg.scheme = "gs";
  cfg.endpoint = server.endpoint();
  cfg.bearer = std::make_shared<cloud::TokenCache>(std::make_shared<FixedToken>());
  aws::S3Client c(cfg);
  try {
    cloud::Listing l = c.list("bucket", "run/");
    FAIL() << "listed " << l.objects.size() << " objects from a server repeating its token";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("LIST gs://bucket/run/"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("already given"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.requests(), 2);
}

TEST(GcsMetadata, TokenExpiryRefreshAndFailures) {
  std::string why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":120,"fail":0})");
  auto src = std::make_shared<gcs::GceMetadataSource>("127.0.0.1:" + std::to_string(md->port));
  cloud::TokenCache cache(src);
  const int64_t t0 = time(nullptr);
  cloud::AccessToken a = cache.get(t0);
  EXPECT_EQ(a.token.rfind("tok-", 0), 0u);
  EXPECT_NEAR(static_cast<double>(a.expires_at), static_cast<double>(t0 + 120), 2);
  EXPECT_EQ(cache.get(t0 + 30).token, a.token);  // still fresh
  EXPECT_EQ(cache.fetches(), 1);
  cloud::AccessToken b = cache.get(t0 + 61);  // within half its 120 s life of expiry: refreshed
  EXPECT_NE(b.token, a.token);
  EXPECT_EQ(cache.fetches(), 2);
  cache.invalidate();
  EXPECT_NE(cache.get(t0 + 62).token, b.token);
  md->call("POST", "/__fake/config", R"({"fail":2})");  // two 503s, then a token
  EXPECT_NO_THROW(src->fetch(t0));
  // A long-lived token is refreshed five minutes before it expires.
  md->call("POST", "/__fake/config", R"({"lifetime":3600})");
  cloud::TokenCache hour(src);
  cloud::AccessToken h = hour.get(t0);
  EXPECT_EQ(hour.get(t0 + 3600 - 301).token, h.token);
  EXPECT_NE(hour.get(t0 + 3600 - 299).token, h.token);
  // Nothing listening: an error that says what to set instead.
  gcs::GceMetadataSource none("127.0.0.1:" + std::to_string(gan_test::free_port()));
  try {
    none.fetch(t0);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("GCS_HMAC_ACCESS_ID"), std::string::npos) << e.what();
  }
}

// A server that answers the token request without echoing "Metadata-Flavor: Google" is not GCE's
// metadata server (a captive portal, a proxy): its answer is not used.
TEST(GcsMetadata, AnAnswerWithoutTheFlavorHeaderIsRefused) {
  gan_test::FakeServer portal([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"access_token":"tok-1","expires_in":3600})", "application/json");
  });
  gcs::GceMetadataSource src(portal.endpoint().substr(std::string("http://").size()));
  std::string error;
  try {
    src.fetch(0);
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("answered without 'Metadata-Flavor: Google': that is not a GCE metadata server"),
            std::string::npos) << error;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One token that lasts: numbered high enough for the bearer front, which accepts "tok-<n>".
class FixedToken : public cloud::TokenSource {
 public:
  std::string name() const override { return "a fixed test token"; }
  cloud::AccessToken fetch(int64_t now) override { return {"tok-1000000", now + 3600, name()}; }
};

// ./gan's exit after --upload-timeout over gs://, in both modes: against a server that accepts
// connections and never answers, the queue's drain deadline cuts the upload in flight short
// instead of waiting out every retry (8 attempts of a 30 s stall limit each, with the defaults
// used here), and what was not uploaded stays in the journal.
TEST(GcsCancel, UploadQueueShutdownIsBoundedByTheDrainTimeoutAgainstAHungServer) {
  for (const bool use_hmac : {true, false}) {
    SCOPED_TRACE(use_hmac ? "HMAC keys (aws::S3Client)" : "bearer token (aws::S3Client)");
    gan_test::HangingServer hung;
    gan_test::TempDir dir;
    gan::GcsOptions o;
    o.endpoint = hung.endpoint();
    if (use_hmac) o.hmac = hmac();
    else o.tokens = std::make_shared<cloud::TokenCache>(std::make_shared<FixedToken>());
    o.multipart_threshold = 6 << 20;
    o.part_size = 5 << 20;
    auto remote = std::make_shared<gan::GcsStorage>("gs://gan-test/hung", o);
    ASSERT_EQ(remote->uses_hmac(), use_hmac);
    const std::string journal = dir.path() + "/journal";
    gan::UploadQueueOptions qo;
    qo.log = [](const std::string&) {};
    auto t0 = std::chrono::steady_clock::now();
    {
      gan::UploadQueue q(remote, journal, qo);
      q.on_artifact("epoch/1/generator.safetensors",
                    gan_test::write_file(dir.path() + "/g.safetensors", gan_test::random_bytes(11 << 20, 1)));
      q.on_artifact("epoch/1/summary.json", gan_test::write_file(dir.path() + "/s.json", "{}"));
      auto r = q.drain(2);
      EXPECT_GE(seconds_since(t0), 2.0);
      ASSERT_EQ(r.failed.size(), 2u);
      EXPECT_TRUE(r.failed[0].in_flight);
      EXPECT_FALSE(r.failed[1].in_flight);
      EXPECT_EQ(r.failed[1].attempts, 0);
    }
    EXPECT_LT(seconds_since(t0), 2.0 + 3.0) << "the queue waited for the hung upload's retries";
    EXPECT_GE(hung.connections(), 1);
    // Both are still journaled, the storage sends again, and a queue destroyed mid-upload (no
    // drain) is just as quick.
    const int before = hung.connections();
    auto t1 = std::chrono::steady_clock::now();
    {
      gan::UploadQueue q(remote, journal, qo);
      EXPECT_EQ(q.pending_count(), 2u);
      while (hung.connections() == before && seconds_since(t1) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      EXPECT_GT(hung.connections(), before) << "the storage stayed cancelled after the first queue";
    }
    EXPECT_LT(seconds_since(t1), 5.0 + 2.0);
    // While cancelled, a call fails at once, sends nothing, and names the gs:// object.
    remote->set_cancelled(true);
    const int sent = hung.connections();
    auto t2 = std::chrono::steady_clock::now();
    try {
      remote->put("r/a.json", "{}");
      ADD_FAILURE() << "a cancelled storage took an upload";
    } catch (const gan::RemoteStorageError& e) {
      EXPECT_TRUE(e.transient()) << e.what();
      EXPECT_NE(std::string(e.what()).find("gs://gan-test/hung/r/a.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
    }
    EXPECT_LT(seconds_since(t2), 0.1);
    EXPECT_EQ(hung.connections(), sent);
    remote->set_cancelled(false);
  }
}

// A multipart upload cancelled while its parts are stalled stops within about a second and gets
// exactly one abort attempt (bounded, not retried: here the abort is refused with a 500, which
// the engine would otherwise retry), so a caller on a deadline is not held up by the clean-up.
TEST(GcsCancel, CancelledMultipartUploadGetsOneBoundedAbort) {
  std::string why;
  const BearerFront* front = bearer_front(&why);
  if (!front) GTEST_SKIP() << why;
  auto fp = gan_test::start_faultproxy(front->port, &why);
  if (!fp) GTEST_SKIP() << why;
  aws::S3ClientConfig cfg;  // GCS's XML API with a bearer token
  cfg.scheme = "gs";
  cfg.endpoint = fp->endpoint();
  cfg.bearer = std::make_shared<cloud::TokenCache>(std::make_shared<FixedToken>());
  cfg.multipart_threshold = 5 << 20;
  cfg.part_size = 5 << 20;
  cfg.concurrency = 2;
  aws::S3Client c(cfg);
  gan_test::TempDir d;
  const std::string path = gan_test::write_file(d.path() + "/big", gan_test::random_bytes((15 << 20) + 5, 12));  // 4 parts
  fp->proxy("faults", R"([{"kind":"delay","seconds":20,"count":100,"method":"PUT","match":"uploadId="},
                          {"kind":"500","count":100,"method":"DELETE","match":"uploadId="}])");
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    c.set_cancelled(true);
  });
  auto t0 = std::chrono::steady_clock::now();
  try {
    c.put_file("gan-test", "cancelled-" + std::to_string(time(nullptr)), path);
    ADD_FAILURE() << "parts held for 20 s finished within the test";
  } catch (const aws::S3Error& e) {
    EXPECT_EQ(e.code(), "Cancelled") << e.what();
    EXPECT_TRUE(e.transient());
  }
  canceller.join();
  EXPECT_LT(seconds_since(t0), 1.0 + 1.5 + 3.0) << "the call outlived its cancellation (1 s poll + a 3 s abort)";
  const gan::Json stats = gan::Json::parse(fp->proxy("stats"));
  EXPECT_EQ(stats.field("faults"), "3") << "two parts held, then one abort attempt";
  c.set_cancelled(false);
}

}  // namespace
