// Path traversal in every spelling, the access token (bearer and login cookie), and the token an
// open address gets when none is given.
#include <fstream>

#include "cli.h"
#include "http/auth.h"
#include "http/paths.h"
#include "monitor_fixture.h"

namespace gan::http::testing {
namespace {

class MonitorSecurity : public MonitorTest {
 protected:
  void SetUp() override {
    MonitorTest::SetUp();
    // The storage root is a sub-folder; a secret sits beside it, where ".." would lead.
    root_ = dir_ + "/store";
    std::filesystem::create_directories(root_);
    std::ofstream(dir_ + "/secret.txt") << "TOP-SECRET-CONTENT";
    storage_ = std::make_unique<LocalStorage>(root_);
    write_run(*storage_, "20260301T000000Z", 1, 5);
  }
  std::string root_;
};

TEST_F(MonitorSecurity, PathTraversalRejectedInEverySpelling) {
  start();
  const std::vector<std::string> attacks = {
      "/files/../secret.txt",
      "/files/20260301T000000Z/../../secret.txt",
      "/files/20260301T000000Z/%2e%2e/%2e%2e/secret.txt",
      "/files/20260301T000000Z/%2E%2E/%2E%2E/secret.txt",
      "/files/%2e%2e/secret.txt",
      "/files/..%2fsecret.txt",
      "/files/20260301T000000Z/..%2f..%2fsecret.txt",
      "/files/20260301T000000Z/%252e%252e/%252e%252e/secret.txt",
      "/files/20260301T000000Z/..%5c..%5csecret.txt",
      "/files/20260301T000000Z\\..\\..\\secret.txt",
      "/files//etc/passwd",
      "/files/%2fetc%2fpasswd",
      "/files/" + std::string("%2f") + "tmp/secret.txt",
      "/files/20260301T000000Z/./target.png",
      "/files/20260301T000000Z/target.png%00.txt",
      "/api/runs/..%2f..%2fsecret.txt",
      "/api/runs/%2e%2e",
      "/api/runs/20260301T000000Z/epochs/..%2f..",
      "/..%2fsecret.txt",
      "/%2e%2e/secret.txt",
      "/events?run=..%2f..",
  };
  for (const std::string& a : attacks) {
    auto r = get(a);
    ASSERT_TRUE(r) << a;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << a << " → " << r->status;
    EXPECT_EQ(r->body.find("TOP-SECRET"), std::string::npos) << a;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << a;
  }
  // The legitimate file still works.
  EXPECT_EQ(get("/files/20260301T000000Z/target.png")->status, 200);
}

TEST_F(MonitorSecurity, SafeSegmentRules) {
  EXPECT_TRUE(is_safe_segment("20260301T000000Z"));
  EXPECT_TRUE(is_safe_segment("generator.safetensors"));
  for (const char* bad : {"", ".", "..", "a/b", "a\\b", "%2e", "a b", "a\nb"}) EXPECT_FALSE(is_safe_segment(bad)) << bad;
  EXPECT_FALSE(is_safe_segment(std::string("a\0b", 3)));
  EXPECT_TRUE(split_safe_path("run/epoch/1/generated.png").has_value());
  for (const char* bad : {"/run/x", "run//x", "run/../x", "run/x/", "run/./x", ""}) EXPECT_FALSE(split_safe_path(bad)) << bad;
}

TEST_F(MonitorSecurity, TokenRequiredAsBearer) {
  start(nullptr, "s3cret-token-0123456789abcdefghij");
  for (const char* p : {"/api/runs", "/api/runs/20260301T000000Z", "/files/20260301T000000Z/target.png", "/metrics", "/events"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 401) << p;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"gan monitor\"") << p;
    EXPECT_EQ(r->body.find("s3cret"), std::string::npos);
  }
  auto ok = get("/api/runs", {{"Authorization", "Bearer s3cret-token-0123456789abcdefghij"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(get("/api/runs", {{"Authorization", "Bearer s3cret-token-0123456789abcdefghiX"}})->status, 401);
  EXPECT_EQ(get("/api/runs", {{"Authorization", "Bearer s3cret-token-0123456789abcdefghij-longer"}})->status, 401);
  EXPECT_EQ(get("/api/runs", {{"Authorization", "s3cret-token-0123456789abcdefghij"}})->status, 401);
  // Health checks and the login page's own assets stay open.
  EXPECT_EQ(get("/healthz")->status, 200);
  EXPECT_EQ(get("/assets/app.css")->status, 200);
  EXPECT_EQ(get("/login")->status, 200);
  // A page sends the browser to the login form, remembering where it was going.
  auto page = get("/20260301T000000Z/1");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/login?next=/20260301T000000Z/1");
}

TEST_F(MonitorSecurity, LoginFormSetsCookie) {
  start(nullptr, "s3cret-token-0123456789abcdefghij");
  auto c = client();
  auto bad = c.Post("/login", "token=wrong&next=%2F20260301T000000Z", "application/x-www-form-urlencoded");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 303);
  EXPECT_EQ(bad->get_header_value("Location").rfind("/login?failed=1", 0), 0u);
  EXPECT_FALSE(bad->has_header("Set-Cookie"));

  auto good = c.Post("/login", "token=s3cret-token-0123456789abcdefghij&next=%2F20260301T000000Z", "application/x-www-form-urlencoded");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 303);
  EXPECT_EQ(good->get_header_value("Location"), "/20260301T000000Z");
  const std::string cookie = good->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie.rfind(std::string(kTokenCookie) + "=s3cret-token-0123456789abcdefghij;", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const std::string sent = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(get("/api/runs", {{"Cookie", "other=1; " + sent}})->status, 200);
  EXPECT_EQ(get("/20260301T000000Z", {{"Cookie", sent}})->status, 200);
  EXPECT_EQ(get("/api/runs", {{"Cookie", std::string(kTokenCookie) + "=nope"}})->status, 401);

  // No open redirect: "next" must be a path on this server.
  auto evil = c.Post("/login", "token=s3cret-token-0123456789abcdefghij&next=%2F%2Fevil.example%2F", "application/x-www-form-urlencoded");
  EXPECT_EQ(evil->get_header_value("Location"), "/");
}

TEST(MonitorAuth, Helpers) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_EQ(cookie_value("a=1; gan_monitor_token=xyz; b=2", "gan_monitor_token"), "xyz");
  EXPECT_EQ(cookie_value("xgan_monitor_token=1", "gan_monitor_token"), "");
  EXPECT_EQ(safe_next("/run/3"), "/run/3");
  EXPECT_EQ(safe_next("//evil"), "/");
  EXPECT_EQ(safe_next("/\\evil"), "/");
  EXPECT_EQ(safe_next("https://evil"), "/");
  EXPECT_EQ(html_escape("<a href=\"x\">'&"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
  EXPECT_TRUE(token_ok("", "", ""));
  EXPECT_TRUE(token_ok("t", "Bearer t", ""));
  EXPECT_FALSE(token_ok("t", "Bearer u", "gan_monitor_token=u"));
}

// The login cookie carries the token as is: ';', ',' or a space would cut it short in the
// browser, and the login would fail without a word. Such tokens are refused where they enter.
TEST(MonitorToken, CharactersChecked) {
  EXPECT_EQ(token_problem(""), "");
  EXPECT_EQ(token_problem("abcXYZ019-_abcXYZ019-_abcXYZ019-_"), "");
  for (const std::string bad : {"a;b", "a b", "a,b", "a=b", "tok\"en", "caf\xc3\xa9", "a\tb"}) {
    const std::string p = token_problem(bad);
    EXPECT_NE(p, "") << bad;
    EXPECT_NE(p.find("letters, digits, '-' and '_'"), std::string::npos) << p;
  }
  EXPECT_NE(token_problem("ab;c").find("';' at position 3"), std::string::npos) << token_problem("ab;c");
  EXPECT_NE(token_problem("a b").find("space"), std::string::npos) << token_problem("a b");
}

TEST(MonitorToken, CommandLineChecksFlagAndEnvironment) {
  unsetenv("GAN_MONITOR_TOKEN");
  std::string e = cli_error({"--train", "--monitor-token", "a b"});
  EXPECT_EQ(e.rfind("--monitor-token: ", 0), 0u) << e;
  EXPECT_NE(e.find("letters, digits, '-' and '_'"), std::string::npos) << e;
  EXPECT_NE(cli_error({"--monitor", "--monitor-token=x,y"}).find("','"), std::string::npos);
  EXPECT_EQ(parse_cli({"--train", "--monitor-token", "0123abcd-_0123abcd-_0123abcd-_0123"}).monitor_token,
            "0123abcd-_0123abcd-_0123abcd-_0123");

  // The environment's token is the default; the flag wins over it.
  const std::string env_token = "from-env-0123456789abcdefghijklmnop", flag_token = "from-flag-0123456789abcdefghijklmnop";
  setenv("GAN_MONITOR_TOKEN", env_token.c_str(), 1);
  EXPECT_EQ(parse_cli({"--monitor", "--storage", "eval"}).monitor_token, env_token);
  EXPECT_EQ(parse_cli({"--train", "--monitor-token", flag_token}).monitor_token, flag_token);
  setenv("GAN_MONITOR_TOKEN", "has space", 1);
  e = cli_error({"--train"});
  EXPECT_EQ(e.rfind("GAN_MONITOR_TOKEN: ", 0), 0u) << e;
  EXPECT_NE(cli_error({"--monitor", "--storage", "eval"}).find("GAN_MONITOR_TOKEN"), std::string::npos);
  // Not used, not checked: no monitor, or the flag wins.
  EXPECT_EQ(cli_error({"--train", "--no-monitor"}), "");
  EXPECT_EQ(cli_error({"--train", "--monitor-token", flag_token}), "");
  unsetenv("GAN_MONITOR_TOKEN");
}

TEST_F(MonitorSecurity, ServerRefusesBadToken) {
  MonitorOptions o;
  o.bind = "127.0.0.1";
  o.port = 0;
  o.quiet = true;
  o.token = "a;b";
  MonitorServer s(o, *storage_, nullptr);
  EXPECT_THROW(s.start(), std::invalid_argument);
}

TEST_F(MonitorSecurity, OpenAddressNeverWithoutToken) {
  auto run_with = [&](const std::string& bind, const std::string& token) {
    MonitorOptions o;
    o.bind = bind;
    o.port = 0;
    o.token = token;
    MonitorServer s(o, *storage_, nullptr);
    ::testing::internal::CaptureStderr();
    s.start();
    s.stop();
    return ::testing::internal::GetCapturedStderr();
  };
  EXPECT_NE(run_with("0.0.0.0", "").find("?token="), std::string::npos);
  EXPECT_EQ(run_with("0.0.0.0", "tok-0123456789abcdefghijklmnopqrstu").find("?token="), std::string::npos);
  EXPECT_EQ(run_with("127.0.0.1", "").find("?token="), std::string::npos);
}

}  // namespace
}  // namespace gan::http::testing
