// Azure managed identity against a fake instance metadata service: the Metadata header, the
// resource and client_id, expiry and refresh through the shared token cache, transient failures
// retried, and the errors a user sees off Azure or without an identity.
#include <gtest/gtest.h>

#include "aws/json_fields.h"
#include "azure/blob_client.h"
#include "azure/managed_identity.h"
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
  azure::TokenCache cache(src);
  const int64_t t0 = time(nullptr);
  azure::AccessToken a = cache.get(t0);
  EXPECT_EQ(a.token.rfind("tok-", 0), 0u);
  EXPECT_NEAR(static_cast<double>(a.expires_at), static_cast<double>(t0 + 120), 2);  // from expires_on
  auto stats = aws::json_fields(md->call("GET", "/__fake/stats"));
  EXPECT_NE(stats["last_query"].find("resource=https%3A%2F%2Fstorage.azure.com%2F"), std::string::npos) << stats["last_query"];
  EXPECT_NE(stats["last_query"].find("client_id=11111111-2222"), std::string::npos);
  EXPECT_NE(stats["last_query"].find("api-version=2018-02-01"), std::string::npos);
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
  try {
    none.fetch(t0);
    FAIL() << "no error with nothing listening";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("AZURE_STORAGE_KEY"), std::string::npos) << e.what();
  }
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
  cfg.credential.tokens = std::make_shared<azure::TokenCache>(std::make_shared<azure::ManagedIdentitySource>(md->url()));
  cfg.credential.source = cfg.credential.tokens->name();
  azure::BlobClient c(cfg);
  st->proxy("reset");
  st->proxy("faults", R"([{"kind":"401","count":1}])");  // the first token "expired early"
  try {
    c.get_blob("calls", "x");
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

}  // namespace
