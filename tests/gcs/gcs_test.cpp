// GCS: SigV4 with the XML API's interoperability conventions (host storage.googleapis.com,
// region "auto", service "s3") checked against botocore; gs:// through the S3-compatible path
// against the local S3 server (s3rver behind the signature-checking proxy, set to accept only
// region "auto"); bearer tokens from a fake GCE metadata server through a front that accepts only
// current tokens; and the token flows themselves (header, expiry, refresh, retries).
#include <gtest/gtest.h>

#include <fstream>

#include "aws/crypto.h"
#include "aws/http_transport.h"
#include "aws/json_fields.h"
#include "aws/sigv4.h"
#include "gcs/gce_metadata.h"
#include "gcs/gcs_client.h"
#include "storage/gcs_storage.h"
#include "storage/upload_queue.h"
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
  if (!gan_test::have_botocore(&why)) GAN_FIXTURE_SKIP(why);
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
    auto want = aws::json_fields(line);
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
      r.payload_hash = aws::sha256_hex(c.body);
      got = aws::sign_request(r, hmac(), "auto", "s3", t);
      EXPECT_NE(got.authorization.find("Credential=GOOG1EXAMPLEHMACKEY/20261126/auto/s3/aws4_request"), std::string::npos);
    }
    EXPECT_NE(got.canonical_request.find("\nhost:storage.googleapis.com\n"), std::string::npos);
    EXPECT_NE(got.string_to_sign.find("\n20261126/auto/s3/aws4_request\n"), std::string::npos);
    EXPECT_EQ(got.canonical_request, want["creq"]) << c.method << " " << c.key;
    EXPECT_EQ(got.string_to_sign, want["sts"]);
    EXPECT_EQ(got.signature, want["signature"]);
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
  if (!st) GAN_FIXTURE_SKIP(why);
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
  aws::HttpTransport t;
  aws::HttpRequest r;
  r.url = s.presign("r1/hyperparameters.json", 60);
  EXPECT_EQ(t.perform(r).body, "{}");
  s.remove("r1/hyperparameters.json");
  EXPECT_FALSE(s.get("r1/hyperparameters.json"));
  std::string stats = st->proxy("stats");
  EXPECT_EQ(stats.find("\"rejected\": 0") != std::string::npos, true) << stats;
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
  aws::HttpTransport t;
  aws::HttpRequest r;
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
  if (!front) GAN_FIXTURE_SKIP(why);
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GAN_FIXTURE_SKIP(why);
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
  auto ms = aws::json_fields(md->call("GET", "/__fake/stats"));
  int next = std::atoi(ms["gce"].c_str()) + 1;
  post(front->url() + "/__front/revoke", "{\"below\": " + std::to_string(next) + "}");
  EXPECT_EQ(s.get("r/a.json"), "[1]");
  auto after = aws::json_fields(md->call("GET", "/__fake/stats"));
  EXPECT_EQ(std::atoi(after["gce"].c_str()), next);  // exactly one new token
  s.remove("r/a.json");
  EXPECT_FALSE(s.get("r/a.json"));
  EXPECT_THROW(s.presign("r/x", 60), gan::PresignUnavailable);
  unsetenv("GCE_METADATA_HOST");
}

// The GCE metadata flow itself: the header, expiry and refresh, transient failures retried.
TEST(GcsMetadata, TokenExpiryRefreshAndFailures) {
  std::string why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GAN_FIXTURE_SKIP(why);
  md->call("POST", "/__fake/config", R"({"lifetime":120,"fail":0})");
  auto src = std::make_shared<gcs::GceMetadataSource>("127.0.0.1:" + std::to_string(md->port));
  azure::TokenCache cache(src);
  const int64_t t0 = time(nullptr);
  azure::AccessToken a = cache.get(t0);
  EXPECT_EQ(a.token.rfind("tok-", 0), 0u);
  EXPECT_NEAR(static_cast<double>(a.expires_at), static_cast<double>(t0 + 120), 2);
  EXPECT_EQ(cache.get(t0 + 30).token, a.token);  // still fresh
  EXPECT_EQ(cache.fetches(), 1);
  azure::AccessToken b = cache.get(t0 + 61);  // within half its 120 s life of expiry: refreshed
  EXPECT_NE(b.token, a.token);
  EXPECT_EQ(cache.fetches(), 2);
  cache.invalidate();
  EXPECT_NE(cache.get(t0 + 62).token, b.token);
  md->call("POST", "/__fake/config", R"({"fail":2})");  // two 503s, then a token
  EXPECT_NO_THROW(src->fetch(t0));
  // A long-lived token is refreshed five minutes before it expires.
  md->call("POST", "/__fake/config", R"({"lifetime":3600})");
  azure::TokenCache hour(src);
  azure::AccessToken h = hour.get(t0);
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

}  // namespace
