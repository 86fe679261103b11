// Credential providers, the chain and its error, the cache's refresh window, region resolution,
// and IMDSv2 against a local fake metadata server (tests/fixtures/s3/fake_imds.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <map>

#include "aws/credentials.h"
#include "common/json.h"
#include "tests/aws/fixture.h"

namespace {

using gan_test::ScopedEnv;
using testing::AllOf;
using testing::HasSubstr;
using testing::ThrowsMessage;

// Everything that could leak credentials in from the machine running the tests, switched off.
std::initializer_list<std::pair<const char*, const char*>> clean_env = {
    {"AWS_ACCESS_KEY_ID", nullptr}, {"AWS_SECRET_ACCESS_KEY", nullptr}, {"AWS_SESSION_TOKEN", nullptr},
    {"AWS_PROFILE", nullptr}, {"AWS_REGION", nullptr}, {"AWS_DEFAULT_REGION", nullptr},
    {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"}, {"AWS_CONFIG_FILE", "/nonexistent/config"},
    {"AWS_EC2_METADATA_DISABLED", "true"}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", nullptr}};

// The fake IMDSv2 server (tests/fixtures/s3/fake_imds.py) on a free port; control() changes what
// it answers, stats() counts what it handed out.
struct FakeImds {
  int port = gan_test::free_port();
  gan_test::Child child{{"/usr/bin/python3", gan_test::fixture_path("fake_imds.py"), std::to_string(port)}, "ready"};
  std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
  void control(const std::string& json) const {
    cloud::HttpRequest r;
    r.method = "POST";
    r.url = endpoint + "/__control";
    r.body = json;
    ASSERT_EQ(cloud::HttpTransport().perform(r).status, 200);
  }
  gan::Json stats() const {
    cloud::HttpRequest r;
    r.url = endpoint + "/__stats";
    return gan::Json::parse(cloud::HttpTransport().perform(r).body);
  }
};

}  // namespace

TEST(Credentials, EnvironmentVariables) {
  ScopedEnv env(clean_env);
  aws::CredentialSource p = aws::env_source();
  std::string why;
  EXPECT_FALSE(p.load(&why));
  EXPECT_NE(why.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  ScopedEnv keys({{"AWS_ACCESS_KEY_ID", "AKENV"}, {"AWS_SECRET_ACCESS_KEY", "secret"}, {"AWS_SESSION_TOKEN", "tok"}});
  auto c = p.load(&why);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKENV");
  EXPECT_EQ(c->session_token, "tok");
  ScopedEnv half({{"AWS_SECRET_ACCESS_KEY", nullptr}});
  EXPECT_THAT([&] { p.load(&why); }, ThrowsMessage<aws::CredentialsError>(HasSubstr("AWS_SECRET_ACCESS_KEY")));
}

TEST(Credentials, SharedFilesWithProfilesAndRegion) {
  gan_test::TempDir dir;
  const std::string cred = gan_test::write_file(dir.path() + "/credentials",
                                                "# comment\n[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key=sdef\n\n"
                                                "[work]\naws_access_key_id=AKWORK\naws_secret_access_key = swork\naws_session_token = twork\n"
                                                "[broken]\naws_access_key_id=AKBROKEN\n");
  const std::string conf = gan_test::write_file(dir.path() + "/config",
                                                "[default]\nregion = us-west-2\n[profile work]\nregion=eu-west-3\n"
                                                "[profile   cfgonly]\naws_access_key_id=AKCFG\naws_secret_access_key=scfg\nregion = ap-south-1\n");
  ScopedEnv env(clean_env);
  ScopedEnv files({{"AWS_SHARED_CREDENTIALS_FILE", cred.c_str()}, {"AWS_CONFIG_FILE", conf.c_str()}});
  std::string why;
  EXPECT_EQ(aws::shared_file_source().load(&why)->access_key_id, "AKDEFAULT");
  auto work = aws::shared_file_source("work").load(&why);
  EXPECT_EQ(work->access_key_id, "AKWORK");
  EXPECT_EQ(work->session_token, "twork");
  EXPECT_EQ(aws::shared_file_source("cfgonly").load(&why)->access_key_id, "AKCFG");
  EXPECT_FALSE(aws::shared_file_source("nobody").load(&why));
  EXPECT_NE(why.find("nobody"), std::string::npos) << why;
  EXPECT_THROW(aws::shared_file_source("broken").load(&why), aws::CredentialsError);
  {
    ScopedEnv profile({{"AWS_PROFILE", "work"}});
    EXPECT_EQ(aws::shared_file_source().load(&why)->access_key_id, "AKWORK");
    std::string source;
    EXPECT_EQ(aws::resolve_region("", "", &source), "eu-west-3");
    EXPECT_EQ(source, conf);
  }
  std::string source;
  EXPECT_EQ(aws::resolve_region("", "", &source), "us-west-2");
  EXPECT_EQ(aws::resolve_region("", "cfgonly"), "ap-south-1");
  ScopedEnv def({{"AWS_DEFAULT_REGION", "ca-central-1"}});
  EXPECT_EQ(aws::resolve_region("", "", &source), "ca-central-1");
  ScopedEnv reg({{"AWS_REGION", "sa-east-1"}});
  EXPECT_EQ(aws::resolve_region("", "", &source), "sa-east-1");
  EXPECT_EQ(source, "AWS_REGION");
  EXPECT_EQ(aws::resolve_region("me-south-1", "", &source), "me-south-1");
  EXPECT_EQ(source, "--region");
}

TEST(Credentials, ChainTakesTheFirstSourceAndListsEverySourceTriedWhenNoneHasKeys) {
  ScopedEnv env(clean_env);
  auto chain = aws::default_credentials();
  EXPECT_THAT([&] { chain->get(std::time(nullptr)); },
              ThrowsMessage<aws::CredentialsError>(AllOf(HasSubstr("environment"), HasSubstr("/nonexistent/credentials"),
                                                         HasSubstr("AWS_EC2_METADATA_DISABLED"), HasSubstr("aws configure"))));
  ScopedEnv keys({{"AWS_ACCESS_KEY_ID", "AKENV"}, {"AWS_SECRET_ACCESS_KEY", "secret"}});
  EXPECT_EQ(aws::default_credentials()->get(0).source, "environment");
}

TEST(Credentials, CacheRefreshesFiveMinutesBeforeExpiryAndAfterInvalidate) {
  int loads = 0;
  bool fail = false;
  aws::CredentialsCache cache([&](int64_t now) {  // keys that last 10 minutes
    if (fail) throw aws::CredentialsError("source unavailable");
    aws::Credentials c;
    c.access_key_id = "AK" + std::to_string(++loads);
    c.secret_access_key = "s";
    c.expires_at = now + 600;
    return c;
  });
  const int64_t t0 = 1000000;
  EXPECT_EQ(cache.get(t0).access_key_id, "AK1");           // expires t0 + 600
  EXPECT_EQ(cache.get(t0 + 299).access_key_id, "AK1");     // 301 s left: still good
  EXPECT_EQ(cache.get(t0 + 300).access_key_id, "AK2");     // 300 s left: refresh
  cache.invalidate();
  EXPECT_EQ(cache.get(t0 + 301).access_key_id, "AK3");
  fail = true;  // a failed refresh keeps still-valid keys...
  EXPECT_EQ(cache.get(t0 + 301 + 400).access_key_id, "AK3");
  EXPECT_THROW(cache.get(t0 + 301 + 700), aws::CredentialsError);  // ...but not expired ones
}

// Tokens share the cache: one that lives under ten minutes is refreshed at half its life, and a
// refresh that fails while the old token is still valid keeps it.
TEST(Credentials, TokenCacheRefreshesShortTokensAtHalfLifeAndKeepsAValidOneWhenARefreshFails) {
  struct Tokens : cloud::TokenSource {
    int fetched = 0;
    bool fail = false;
    std::string name() const override { return "test tokens"; }
    cloud::AccessToken fetch(int64_t now) override {
      if (fail) throw std::runtime_error("metadata service down");
      return {"tok-" + std::to_string(++fetched), now + 120, name()};
    }
  };
  auto src = std::make_shared<Tokens>();
  cloud::TokenCache cache(src);
  const int64_t t0 = 1000000;
  EXPECT_EQ(cache.get(t0).token, "tok-1");       // expires t0 + 120
  EXPECT_EQ(cache.get(t0 + 59).token, "tok-1");  // 61 s left: still good
  EXPECT_EQ(cache.get(t0 + 60).token, "tok-2");  // half its life left: refresh (expires t0 + 180)
  src->fail = true;
  EXPECT_EQ(cache.get(t0 + 170).token, "tok-2");  // the refresh failed; the token is still valid
  EXPECT_THROW(cache.get(t0 + 180), std::runtime_error);
  EXPECT_EQ(cache.fetches(), 2);
}

TEST(Credentials, ImdsV2TokenRoleCredentialsExpiryAndRefresh) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 is needed for the fake metadata server";
  FakeImds imds;
  const std::string& endpoint = imds.endpoint;
  cloud::HttpTransport t;
  // v2 only: a request without a session token is refused.
  cloud::HttpRequest plain;
  plain.url = endpoint + "/latest/meta-data/iam/security-credentials/";
  EXPECT_EQ(t.perform(plain).status, 401);

  ScopedEnv env(clean_env);
  ScopedEnv on({{"AWS_EC2_METADATA_DISABLED", nullptr}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.c_str()}});
  aws::CredentialSource role = aws::imds_source();
  std::string why;
  auto c = role.load(&why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->access_key_id, "AKIDIMDS1");
  EXPECT_EQ(c->session_token, "session-token-1");
  EXPECT_NEAR(static_cast<double>(c->expires_at - std::time(nullptr)), 6 * 3600.0, 60.0);
  EXPECT_NE(c->source.find("gan-training-storage-access"), std::string::npos);
  EXPECT_EQ(imds.stats().field("tokens"), "1");

  // Keys that expire within 5 minutes are fetched again on every use; longer ones are cached.
  imds.control(R"({"expiry": 200})");
  aws::CredentialsCache cache(std::vector<aws::CredentialSource>{role});
  EXPECT_EQ(cache.get(std::time(nullptr)).access_key_id, "AKIDIMDS2");
  imds.control(R"({"expiry": 21600})");
  EXPECT_EQ(cache.get(std::time(nullptr)).access_key_id, "AKIDIMDS3");
  EXPECT_EQ(cache.get(std::time(nullptr)).access_key_id, "AKIDIMDS3");
  EXPECT_EQ(imds.stats().field("tokens"), "1") << "the IMDSv2 session token should be reused";
  EXPECT_EQ(imds.stats().field("credentials"), "3");

  // The default chain finds the role when nothing else is configured, and the region comes from IMDS.
  EXPECT_EQ(aws::default_credentials()->get(std::time(nullptr)).access_key_id, "AKIDIMDS4");
  std::string source;
  EXPECT_EQ(aws::resolve_region("", "", &source), "eu-central-1");
  EXPECT_EQ(source, "instance metadata");

  imds.control(R"({"role": ""})");
  EXPECT_FALSE(role.load(&why));
  EXPECT_NE(why.find("no IAM role"), std::string::npos) << why;

  ScopedEnv off({{"AWS_EC2_METADATA_DISABLED", "true"}});
  EXPECT_FALSE(role.load(&why));
  EXPECT_NE(why.find("AWS_EC2_METADATA_DISABLED"), std::string::npos) << why;
}

TEST(Credentials, ImdsUnreachableIsNotAnError) {
  ScopedEnv env(clean_env);
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(gan_test::free_port());
  ScopedEnv on({{"AWS_EC2_METADATA_DISABLED", nullptr}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.c_str()}});
  std::string why;
  EXPECT_FALSE(aws::imds_source().load(&why));
  EXPECT_NE(why.find("not on EC2"), std::string::npos) << why;
}

TEST(Credentials, ImdsRefusingTheSessionTokenIsAReasonInTheChainsList) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 is needed for the fake metadata server";
  FakeImds imds;
  const std::string& endpoint = imds.endpoint;
  imds.control(R"({"token_status": 403})");

  ScopedEnv env(clean_env);
  ScopedEnv on({{"AWS_EC2_METADATA_DISABLED", nullptr}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.c_str()}});
  std::string why;
  EXPECT_FALSE(aws::imds_source().load(&why));
  EXPECT_NE(why.find("refused a session token (HTTP 403)"), std::string::npos) << why;
  // The chain goes on and, with nothing anywhere, lists every source with its reason.
  EXPECT_THAT([] { aws::default_credentials()->get(std::time(nullptr)); },
              ThrowsMessage<aws::CredentialsError>(AllOf(
                  HasSubstr("Tried, in order"), HasSubstr("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"),
                  HasSubstr("/nonexistent/credentials"), HasSubstr("refused a session token (HTTP 403)"))));
  // ...and a source later in a chain is still reached.
  ScopedEnv keys({{"AWS_ACCESS_KEY_ID", "AKENV"}, {"AWS_SECRET_ACCESS_KEY", "secret"}});
  aws::CredentialsCache imds_first({aws::imds_source(), aws::env_source()});
  EXPECT_EQ(imds_first.get(std::time(nullptr)).access_key_id, "AKENV");
}
