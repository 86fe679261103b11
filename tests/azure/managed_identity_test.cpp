// Azure managed identity against a fake instance metadata service: the Metadata header, the
// resource and client_id, expiry and refresh through the shared token cache, transient failures
// retried, and the errors a user sees off Azure or without an identity.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "azure/blob_client.h"
#include "azure/managed_identity.h"
#include "storage/azure_storage.h"
#include "storage/upload_queue.h"
#include "tests/aws/fixture.h"
#include "tests/azure/azurite.h"

namespace {

TEST(AzureManagedIdentity, TokenExpiryRefreshAndFailures) {
  std::string why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":120,"fail":0,"no_identity":false})");
  setenv("AZURE_IMDS_ENDPOINT", md->url().c_str(), 1);
  auto src = std::make_shared<azure::ManagedIdentitySource>("", "11111111-2222-3333-4444-555555555555");
  unsetenv("AZURE_IMDS_ENDPOINT");
  EXPECT_NE(src->name().find(md->url()), std::string::npos);
  cloud::TokenCache cache(src);
  const int64_t t0 = time(nullptr);
  cloud::AccessToken a = cache.get(t0);
  EXPECT_EQ(a.token.rfind("tok-", 0), 0u);
  EXPECT_NEAR(static_cast<double>(a.expires_at), static_cast<double>(t0 + 120), 2);  // from expires_on
  const gan::Json stats = gan::Json::parse(md->call("GET", "/__fake/stats"));
  EXPECT_NE(stats.field("last_query").find("resource=https%3A%2F%2Fstorage.azure.com%2F"), std::string::npos) << stats.field("last_query");
  EXPECT_NE(stats.field("last_query").find("client_id=11111111-2222"), std::string::npos);
  EXPECT_NE(stats.field("last_query").find("api-version=2018-02-01"), std::string::npos);
  EXPECT_EQ(cache.get(t0 + 59).token, a.token);
  EXPECT_NE(cache.get(t0 + 61).token, a.token);  // refreshed ahead of expiry
  EXPECT_EQ(cache.fetches(), 2);
  md->call("POST", "/__fake/config", R"({"fail":2})");  // IMDS answers 500 twice, then a token
  EXPECT_NO_THROW(src->fetch(t0));
  md->call("POST", "/__fake/config", R"({"no_identity":true})");
  try {
    src->fetch(t0);
    FAIL() << "no error without an identity";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Identity not found"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Storage Blob Data Contributor"), std::string::npos) << e.what();
  }
  md->call("POST", "/__fake/config", R"({"no_identity":false,"lifetime":3600})");
  azure::ManagedIdentitySource none("http://127.0.0.1:" + std::to_string(gan_test::free_port()));
  EXPECT_THAT([&] { none.fetch(t0); }, testing::ThrowsMessage<std::runtime_error>(testing::HasSubstr("AZURE_STORAGE_KEY")));
}

// A 200 that is not a token answer: not JSON (the parser's reason is in the message), a token that
// is not a string, and a body larger than a metadata answer can be (stopped, not read into memory).
TEST(AzureManagedIdentity, AnswersThatAreNoTokenAreRefused) {
  std::string why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  azure::ManagedIdentitySource src(md->url());
  auto refused = [&](const std::string& answer, const std::string& says) {
    gan::Json config = gan::Json::object();
    config.set("answer", answer);
    md->call("POST", "/__fake/config", config.dump(-1));
    EXPECT_THAT([&] { src.fetch(time(nullptr)); }, testing::ThrowsMessage<std::runtime_error>(testing::HasSubstr(says)))
        << answer.substr(0, 80);
  };
  refused(R"({"access_token":"t"} trailing)", "without an access_token (");
  refused(R"({"access_token":{"nested":"t"},"expires_in":"3599"})", "without an access_token");
  refused(R"({"access_token":")" + std::string(100000, 'x') + R"("})", "65536 bytes");
  md->call("POST", "/__fake/config", R"({"answer":null})");
  EXPECT_EQ(src.fetch(time(nullptr)).token.rfind("tok-", 0), 0u);
}

// The Blob client sends the managed identity's token as a bearer token (with the x-ms-version
// bearer tokens need), and when the service refuses it, fetches a new one and retries once.
// Azurite (without --oauth) refuses every bearer token, which is what this needs.
TEST(AzureManagedIdentity, BlobClientSendsAndRefreshesTheBearerToken) {
  std::string why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  const gan_test::AzuriteStack* st = gan_test::azurite_stack(&why);
  if (!st) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":3600,"fail":0,"no_identity":false})");
  auto cfg = gan_test::azurite_config(st->endpoint());
  cfg.credential.kind = azure::AzureCredential::Kind::Bearer;
  cfg.credential.tokens = std::make_shared<cloud::TokenCache>(std::make_shared<azure::ManagedIdentitySource>(md->url()));
  cfg.credential.source = cfg.credential.tokens->name();
  azure::BlobClient c(cfg);
  st->proxy("reset");
  st->proxy("faults", R"([{"kind":"401","count":1}])");  // the first token "expired early"
  try {
    c.get("calls", "x");
    FAIL() << "Azurite accepted a fake bearer token";
  } catch (const azure::BlobError& e) {
    // The 401 made the client fetch a second token and retry; Azurite (no --oauth) then refused
    // it with a 403, which is final and says where the token came from.
    EXPECT_EQ(e.status(), 403) << e.what();
    EXPECT_FALSE(e.transient());
    EXPECT_NE(std::string(e.what()).find("Azure managed identity"), std::string::npos) << e.what();
    EXPECT_EQ(cfg.credential.tokens->fetches(), 2);
  }
  EXPECT_NE(st->proxy("stats").find("\"faults\": 1"), std::string::npos);
  st->proxy("reset");
}

// Azurite with --oauth basic (HTTPS, certificate made at test time) judges bearer tokens: it
// accepts the fake metadata server's Entra-shaped JWTs and refuses anything else. Every call the
// trainer and the monitor make works with the managed identity's token alone.
TEST(AzureManagedIdentity, AzuriteWithOAuthAcceptsTheToken) {
  std::string why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  const gan_test::AzuriteOAuthStack* az = gan_test::azurite_oauth_stack(&why);
  if (!az) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":3600,"fail":0,"no_identity":false,"jwt":false})");
  azure::BlobClientConfig cfg;
  cfg.account = az->account;
  cfg.endpoint = az->endpoint();
  cfg.transport.ca_file = az->ca_file;
  cfg.retry.base_delay_s = 0.01;
  cfg.credential.kind = azure::AzureCredential::Kind::Bearer;
  cfg.credential.tokens = std::make_shared<cloud::TokenCache>(std::make_shared<azure::ManagedIdentitySource>(md->url()));
  cfg.credential.source = cfg.credential.tokens->name();
  // An opaque token ("tok-1") is not one Azurite accepts: the service really checks.
  {
    azure::BlobClient opaque(cfg);
    try {
      opaque.create_container("refused");
      FAIL() << "Azurite accepted a token that is not a JWT";
    } catch (const azure::BlobError& e) {
      EXPECT_EQ(e.status(), 403) << e.what();
      EXPECT_EQ(e.code(), "AuthenticationFailed") << e.what();
    }
  }
  md->call("POST", "/__fake/config", R"({"jwt":true})");
  cfg.credential.tokens = std::make_shared<cloud::TokenCache>(std::make_shared<azure::ManagedIdentitySource>(md->url()));
  cfg.multipart_threshold = 1 << 20;
  cfg.part_size = 256 << 10;
  azure::BlobClient c(cfg);
  c.create_container("identity");
  c.put("identity", "run/summary.json", "{\"Epoch\":1}", "application/json");
  EXPECT_EQ(c.get("identity", "run/summary.json"), "{\"Epoch\":1}");
  gan_test::TempDir d;
  const std::string big = gan_test::random_bytes((1 << 20) + 777, 9);
  c.put_file("identity", "run/checkpoint/state.safetensors", gan_test::write_file(d.path() + "/big", big));  // blocks
  EXPECT_EQ(c.get("identity", "run/checkpoint/state.safetensors"), big);
  EXPECT_EQ(c.list("identity", "run/").objects.size(), 2u);
  EXPECT_EQ(c.head("identity", "run/summary.json")->size, 11);
  c.remove("identity", "run/summary.json");
  EXPECT_FALSE(c.get("identity", "run/summary.json"));
  EXPECT_EQ(cfg.credential.tokens->fetches(), 1);  // one token served every call
  EXPECT_THROW(c.sas_url("identity", "run/checkpoint/state.safetensors", 60), azure::NoSasLink);
  md->call("POST", "/__fake/config", R"({"jwt":false})");
}

// The Storage a monitor or trainer VM opens with no keys at all: the credential chain ends at the
// managed identity (AZURE_IMDS_ENDPOINT), CURL_CA_BUNDLE trusts the endpoint's certificate, the
// container is created on the first write, and presign says no link (the monitor serves bytes).
TEST(AzureManagedIdentity, StorageWithTheVmIdentityAlone) {
  std::string why;
  const gan_test::FakeMetadata* md = gan_test::fake_metadata(&why);
  if (!md) GTEST_SKIP() << why;
  const gan_test::AzuriteOAuthStack* az = gan_test::azurite_oauth_stack(&why);
  if (!az) GTEST_SKIP() << why;
  md->call("POST", "/__fake/config", R"({"lifetime":3600,"fail":0,"no_identity":false,"jwt":true})");
  for (const char* v : {"AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT",
                        "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_BLOB_ENDPOINT"})
    unsetenv(v);
  setenv("AZURE_IMDS_ENDPOINT", md->url().c_str(), 1);
  gan::AzureOptions o;
  o.endpoint = az->endpoint();
  o.retry.max_attempts = 1;
  const std::string url = "az://" + az->account + "/vm-" + std::to_string(time(nullptr)) + "/runs";
  {
    // Without the test CA the self-signed endpoint is not trusted: the CA file is what makes it work.
    unsetenv("CURL_CA_BUNDLE");
    gan::AzureStorage untrusted(url, o);
    EXPECT_THROW(untrusted.list_dirs(""), gan::RemoteStorageError);
    setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem", 1);
    try {
      gan::AzureStorage bad(url, o);
      FAIL() << "an unreadable CURL_CA_BUNDLE was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("CURL_CA_BUNDLE=/nonexistent/ca.pem"), std::string::npos) << e.what();
    }
  }
  setenv("CURL_CA_BUNDLE", az->ca_file.c_str(), 1);
  gan::AzureStorage s(url, o);
  EXPECT_EQ(s.client().config().credential.kind, azure::AzureCredential::Kind::Bearer);
  s.put("r1/hyperparameters.json", "{}");
  s.put("r1/epoch/1/generated.png", "png");
  EXPECT_EQ(s.get("r1/epoch/1/generated.png"), "png");
  EXPECT_EQ(s.list_dirs(""), (std::vector<std::string>{"r1"}));
  EXPECT_EQ(s.list("r1/").size(), 2u);
  EXPECT_THROW(s.presign("r1/epoch/1/generated.png", 60), gan::PresignUnavailable);
  unsetenv("CURL_CA_BUNDLE");
  unsetenv("AZURE_IMDS_ENDPOINT");
  md->call("POST", "/__fake/config", R"({"jwt":false})");
}

}  // namespace
