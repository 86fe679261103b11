// The monitor on a port open to strangers: ranges, the default address and its token, the Host
// check, the login throttle, bounded connections and requests, generic error bodies, the
// artifact allow-list and symbolic links in the storage folder.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "cli.h"
#include "http/auth.h"
#include "http/paths.h"
#include "monitor_fixture.h"
#include "common/monitor_token.h"

namespace gan::http::testing {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kRun = "20260301T000000Z";
const std::string kToken = "0123456789abcdef0123456789abcdef";  // 32 characters: 128 bits

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// A raw connection to the monitor (the tests need to send half a request, or nothing).
struct Conn {
  int fd = -1;
  explicit Conn(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval send_limit{5, 0};  // a server that stops reading must not hang the test
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_limit, sizeof send_limit);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Conn() {
    if (fd >= 0) ::close(fd);
  }
  bool send_str(const std::string& s) { return fd >= 0 && ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == (ssize_t)s.size(); }
  // Everything the server sends within `ms` (until it closes); *closed says whether it did.
  std::string recv_for(int ms, bool* closed = nullptr) {
    std::string out;
    timeval tv{0, 50 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const auto end = Clock::now() + std::chrono::milliseconds(ms);
    if (closed) *closed = false;
    while (Clock::now() < end) {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) out.append(buf, (size_t)n);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        if (closed) *closed = true;
        break;
      }
    }
    return out;
  }
};

class MonitorHardening : public MonitorTest {
 protected:
  void SetUp() override {
    MonitorTest::SetUp();
    write_run(*storage_, kRun, 2, 5);
  }
  void start_with(MonitorOptions o) {
    o.port = 0;
    o.quiet = true;
    server_ = std::make_unique<MonitorServer>(o, *storage_, nullptr);
    server_->start();
  }
  MonitorOptions loopback() const {
    MonitorOptions o;
    o.bind = "127.0.0.1";
    return o;
  }
  // Loopback with `workers` workers, `queued` connections waiting, headers due in `header_ms`,
  // and no per-client cap (every test client comes from 127.0.0.1).
  MonitorOptions pool(int workers, int queued, int header_ms) const {
    MonitorOptions o = loopback();
    o.workers = workers;
    o.max_queued_connections = queued;
    o.max_connections_per_client = 1000;
    o.header_timeout_ms = header_ms;
    return o;
  }
};

// ---- 1. ranges and streaming ----

TEST_F(MonitorHardening, ManyRangesServeThePlainFile) {
  std::string ckpt(256 * 1024, '\0');
  for (size_t i = 0; i < ckpt.size(); ++i) ckpt[i] = (char)(i * 7);
  storage_->put(kRun + "/checkpoint/state.safetensors", ckpt);
  start();
  std::string ranges = "bytes=0-";
  while (ranges.size() < 8000) ranges += ",0-";
  const long before = rss_kib();
  auto r = get("/files/" + kRun + "/checkpoint/state.safetensors", {{"Range", ranges}});
  const long after = rss_kib();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r->get_header_value("Content-Type").find("multipart"), std::string::npos);
  EXPECT_EQ(r->body.size(), ckpt.size());
  EXPECT_TRUE(r->body == ckpt);
  // ~2,700 copies of the checkpoint would be ~700 MB; the server and this client share the process.
  EXPECT_LT(after - before, 32 * 1024) << "RSS grew from " << before << " to " << after << " KiB";
  // One range is still served as one.
  auto one = get("/files/" + kRun + "/checkpoint/state.safetensors", {{"Range", "bytes=10-19"}});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 206);
  EXPECT_EQ(one->body, ckpt.substr(10, 10));
}

// /files/ reads through open_reader in pieces; get() (the whole object in memory) is not used.
class NoWholeReads : public LocalStorage {
 public:
  using LocalStorage::LocalStorage;
  std::optional<std::string> get(const std::string& key) override {
    if (key.find("state.safetensors") != std::string::npos) throw std::logic_error("whole-object read of " + key);
    return LocalStorage::get(key);
  }
};

TEST_F(MonitorHardening, FilesStreamFromAReader) {
  std::string big(3 * 1024 * 1024 + 17, 'x');
  big[12345] = 'y';
  storage_->put(kRun + "/checkpoint/state.safetensors", big);
  storage_ = std::make_unique<NoWholeReads>(dir_);
  start();
  auto r = get("/files/" + kRun + "/checkpoint/state.safetensors");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Length"), std::to_string(big.size()));
  EXPECT_TRUE(r->body == big);
  auto reader = storage_->open_reader(kRun + "/checkpoint/state.safetensors");
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), (int64_t)big.size());
  char buf[4];
  EXPECT_EQ(reader->read_at(12344, buf, 3), 3u);
  EXPECT_EQ(std::string(buf, 3), "xyx");
  EXPECT_EQ(reader->read_at((int64_t)big.size() - 1, buf, 4), 1u);
  EXPECT_FALSE(storage_->open_reader(kRun + "/nothing.bin"));
}

// ---- 2. safe by default ----

TEST(MonitorDefaults, LoopbackAndTokenRule) {
  EXPECT_EQ(MonitorOptions{}.bind, "127.0.0.1");
  unsetenv("GAN_MONITOR_TOKEN");
  EXPECT_EQ(parse_cli({"--train"}).monitor_bind, "127.0.0.1");
  EXPECT_EQ(token_problem(kToken), "");
  EXPECT_EQ(token_problem(std::string(256, 'a')), "");
  for (const std::string& bad : {std::string("s3cret-token"), std::string(31, 'a'), std::string(257, 'a')}) {
    const std::string p = token_problem(bad);
    EXPECT_NE(p.find("characters; it needs 32 to 256"), std::string::npos) << bad << ": " << p;
  }
  EXPECT_THROW(parse_cli({"--train", "--monitor-token", "short-token"}), CliError);
  const std::string t = generate_monitor_token();
  EXPECT_TRUE(std::regex_match(t, std::regex("[0-9a-f]{32}"))) << t;
  EXPECT_NE(t, generate_monitor_token());
}

TEST(MonitorDefaults, TokenFile) {
  unsetenv("GAN_MONITOR_TOKEN");
  const std::string dir = temp_dir();
  std::ofstream(dir + "/token") << kToken << "\n";
  CliOptions o = parse_cli({"--monitor", "--storage", "eval", "--monitor-token-file", dir + "/token"});
  EXPECT_EQ(o.monitor_token, kToken);
  EXPECT_EQ(o.monitor_token_file, dir + "/token");
  std::ofstream(dir + "/short") << "abc\n";
  std::string e = cli_error({"--train", "--monitor-token-file", dir + "/short"});
  EXPECT_EQ(e.rfind("--monitor-token-file: " + dir + "/short: the token has 3 characters", 0), 0u) << e;
  e = cli_error({"--train", "--monitor-token-file", dir + "/missing"});
  EXPECT_NE(e.find("cannot read " + dir + "/missing"), std::string::npos) << e;
  std::ofstream(dir + "/empty") << "\n";
  EXPECT_NE(cli_error({"--train", "--monitor-token-file", dir + "/empty"}).find("is empty"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_F(MonitorHardening, ServerRefusesShortToken) {
  MonitorOptions o = loopback();
  o.token = "s3cret-token";
  o.port = 0;
  o.quiet = true;
  MonitorServer s(o, *storage_, nullptr);
  try {
    s.start();
    FAIL() << "a 12-character token was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("12 characters"), std::string::npos) << e.what();
  }
}

TEST_F(MonitorHardening, OpenAddressWithoutTokenGetsARandomOne) {
  MonitorOptions o;
  o.bind = "0.0.0.0";
  o.port = 0;
  server_ = std::make_unique<MonitorServer>(o, *storage_, nullptr);
  ::testing::internal::CaptureStderr();
  server_->start();
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::string token = server_->token();
  ASSERT_TRUE(std::regex_match(token, std::regex("[0-9a-f]{32}"))) << token;
  EXPECT_NE(err.find("/?token=" + token), std::string::npos) << err;
  EXPECT_EQ(server_->login_url(), server_->url() + "?token=" + token);
  EXPECT_EQ(get("/api/runs")->status, 401);
  EXPECT_EQ(get("/api/runs", {{"Authorization", "Bearer " + token}})->status, 200);
  EXPECT_EQ(get("/api/runs?token=" + token)->status, 200);
  EXPECT_EQ(get("/api/runs?token=" + std::string(32, '0'))->status, 401);
  // The printed URL logs a browser in: cookie, and the token leaves the address bar.
  auto page = get("/?token=" + token);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/");
  const std::string cookie = page->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie.rfind(std::string(kTokenCookie) + "=" + token + ";", 0), 0u) << cookie;
  EXPECT_EQ(get("/", {{"Cookie", cookie.substr(0, cookie.find(';'))}})->status, 200);
  // Each start makes a new one.
  MonitorServer other(o, *storage_, nullptr);
  ::testing::internal::CaptureStderr();
  other.start();
  ::testing::internal::GetCapturedStderr();
  EXPECT_NE(other.token(), token);
}

TEST_F(MonitorHardening, HostCheckedWithoutToken) {
  start();
  const std::string port = std::to_string(server_->port());
  for (const std::string& h : std::vector<std::string>{"evil.example", "evil.example:" + port, "127.0.0.1.evil.example", "localhost.evil:" + port,
                               "127.0.0.1:80x"}) {
    auto r = get("/api/runs", {{"Host", h}});
    ASSERT_TRUE(r) << h;
    EXPECT_EQ(r->status, 403) << h;
    EXPECT_EQ(r->body.find(kRun), std::string::npos);
  }
  for (const std::string& h : std::vector<std::string>{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LOCALHOST", "127.0.0.1"}) {
    auto r = get("/api/runs", {{"Host", h}});
    ASSERT_TRUE(r) << h;
    EXPECT_EQ(r->status, 200) << h;
  }
  EXPECT_TRUE(host_allowed("10.1.2.3:8080", "10.1.2.3"));
  EXPECT_FALSE(host_allowed("10.1.2.3:8080", "0.0.0.0"));
  EXPECT_TRUE(host_allowed("[fe80::1]:8080", "fe80::1"));
  EXPECT_FALSE(host_allowed("[::1", "127.0.0.1"));
}

TEST_F(MonitorHardening, TokenStillOpensFromAnyHost) {
  start(nullptr, kToken);
  EXPECT_EQ(get("/api/runs", {{"Host", "gan.example.org"}, {"Authorization", "Bearer " + kToken}})->status, 200);
}

TEST_F(MonitorHardening, LoginIsRateLimited) {
  start(nullptr, kToken);
  auto c = client();
  for (int i = 0; i < 5; ++i) {
    auto bad = c.Post("/login", "token=wrong&next=%2F", "application/x-www-form-urlencoded");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 303) << i;
  }
  auto blocked = c.Post("/login", "token=wrong&next=%2F", "application/x-www-form-urlencoded");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 429);
  EXPECT_FALSE(blocked->get_header_value("Retry-After").empty());
  // While blocked, not even the right token is tried (no oracle), nor a ?token= guess.
  auto right = c.Post("/login", "token=" + kToken + "&next=%2F", "application/x-www-form-urlencoded");
  EXPECT_EQ(right->status, 429);
  EXPECT_FALSE(right->has_header("Set-Cookie"));
  EXPECT_EQ(get("/api/runs?token=" + kToken)->status, 401);
  // The bearer header still works for scripts holding the token.
  EXPECT_EQ(get("/api/runs", {{"Authorization", "Bearer " + kToken}})->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto later = c.Post("/login", "token=" + kToken + "&next=%2F", "application/x-www-form-urlencoded");
  EXPECT_EQ(later->status, 303);
  EXPECT_TRUE(later->has_header("Set-Cookie"));
}

// ---- 3. exhaustion ----

TEST_F(MonitorHardening, SlowHeadersAreDroppedAtTheDeadline) {
  MonitorOptions o = loopback();
  o.header_timeout_ms = 1000;
  start_with(o);
  Conn c(server_->port());
  ASSERT_GE(c.fd, 0);
  ASSERT_TRUE(c.send_str("GET /healthz HTTP/1.1\r\n"));
  const auto t0 = Clock::now();
  bool dropped = false;
  // One header line every 300 ms: each read is quick, the request never ends.
  while (Clock::now() - t0 < std::chrono::seconds(6)) {
    bool closed = false;
    c.recv_for(300, &closed);
    if (closed || !c.send_str("X-Slow: 1\r\n")) {
      dropped = true;
      break;
    }
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(dropped) << "still connected after " << s << " s";
  EXPECT_LT(s, 3.0);
  EXPECT_EQ(get("/healthz")->status, 200);
}

TEST_F(MonitorHardening, HugeHeadersAreRefused) {
  start();
  Conn c(server_->port());
  ASSERT_TRUE(c.send_str("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  bool refused = false;
  for (int i = 0; i < 4000 && !refused; ++i) refused = !c.send_str("X-Filler-" + std::to_string(i) + ": " + std::string(100, 'a') + "\r\n");
  bool closed = false;
  const std::string got = c.recv_for(3000, &closed);
  EXPECT_TRUE(refused || closed) << got.substr(0, 200);
  EXPECT_EQ(got.find("200 OK"), std::string::npos);
}

TEST_F(MonitorHardening, ConnectionsPerClientAreCapped) {
  MonitorOptions o = loopback();
  o.max_connections_per_client = 3;
  start_with(o);
  std::vector<std::unique_ptr<Conn>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Conn>(server_->port()));
    ASSERT_TRUE(held.back()->send_str("GET /healthz HTTP/1.1\r\n"));  // half a request: held
  }
  for (int i = 0; i < 100 && server_->open_connections() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Conn extra(server_->port());
  ASSERT_TRUE(extra.send_str("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const std::string got = extra.recv_for(2000);
  EXPECT_EQ(got.rfind("HTTP/1.1 429", 0), 0u) << got;
  held.clear();
  for (int i = 0; i < 200 && server_->open_connections() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(get("/healthz")->status, 200);
}

TEST_F(MonitorHardening, FullQueueAnswers503) {
  start_with(pool(4, 2, 10000));
  // Each holds its worker (half a request) until the deadline: 4 on the workers, 2 in the queue,
  // and every other one is turned away at once, whichever they are.
  // The workers run at a lowered priority: each of the first four is waited for until a worker
  // holds it, so that on a busy machine a job not yet picked up is not counted as queued.
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < 10; ++i) {
    conns.push_back(std::make_unique<Conn>(server_->port()));
    ASSERT_TRUE(conns.back()->send_str("GET /healthz HTTP/1.1\r\n"));
    for (int waited = 0; i < 4 && server_->open_connections() < i + 1 && waited < 5000; waited += 5)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (i < 4) {
      ASSERT_EQ(server_->open_connections(), i + 1) << "no worker took connection " << i + 1;
    }
  }
  int refused = 0;
  for (auto& c : conns) {
    const std::string got = c->recv_for(300);
    if (got.rfind("HTTP/1.1 503", 0) == 0) ++refused;
    else EXPECT_EQ(got, "");
  }
  EXPECT_EQ(refused, 4);
  EXPECT_LE(server_->open_connections(), 4);
}

// Many slow clients must not take the descriptors the trainer opens its files with: the monitor
// holds at most workers + queue connections, whatever arrives. The clients run in a child process
// so their own sockets do not count against this process's limit.
TEST_F(MonitorHardening, SlowClientsLeaveDescriptorsForTheTrainer) {
  start_with(pool(8, 8, 4000));
  const int port = server_->port();
  int fds_now = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) (void)e, ++fds_now;
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = (rlim_t)fds_now + 100;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);

  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    rlimit many = old;
    many.rlim_cur = std::min<rlim_t>(old.rlim_max, 4096);
    setrlimit(RLIMIT_NOFILE, &many);
    std::vector<int> socks;
    for (int i = 0; i < 400; ++i) {
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons((uint16_t)port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) break;
      (void)!::send(s, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
      socks.push_back(s);
    }
    (void)!::write(ready[1], "x", 1);
    ::sleep(3);
    _exit(0);
  }
  ::close(ready[1]);
  char x;
  (void)!::read(ready[0], &x, 1);
  ::close(ready[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // What the trainer does: open its files.
  std::vector<int> files;
  int failed = 0;
  for (int i = 0; i < 60; ++i) {
    int f = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (f < 0) ++failed;
    else files.push_back(f);
  }
  const int held = server_->open_connections();
  for (int f : files) ::close(f);
  setrlimit(RLIMIT_NOFILE, &old);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(failed, 0) << "the monitor holds " << held << " connections";
  EXPECT_LE(held, 8);
}

TEST(MonitorLimits, OpenFileLimitRaisedToTheHardLimit) {
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  if (old.rlim_max == RLIM_INFINITY || old.rlim_max < 64) GTEST_SKIP() << "no finite hard limit to raise to";
  rlimit low = old;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_EQ(raise_open_file_limit(), (long)old.rlim_max);
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  EXPECT_EQ(now.rlim_cur, old.rlim_max);
  setrlimit(RLIMIT_NOFILE, &old);
}

// ---- 4. error bodies and the allow-list ----

class LeakyStorage : public LocalStorage {
 public:
  using LocalStorage::LocalStorage;
  std::atomic<bool> down{false};
  std::optional<ObjectInfo> stat(const std::string& key) override { fail(); return LocalStorage::stat(key); }
  std::vector<ObjectInfo> list(const std::string& prefix) override { fail(); return LocalStorage::list(prefix); }
  std::vector<std::string> list_dirs(const std::string& prefix) override { fail(); return LocalStorage::list_dirs(prefix); }

 private:
  void fail() const {
    if (down)
      throw std::runtime_error("AccessDenied: AKIAIOSFODNN7EXAMPLE assumed role gan-training-role cannot read "
                               "/home/alice/private/eval");
  }
};

TEST_F(MonitorHardening, ErrorBodiesNameNoSecrets) {
  auto owned = std::make_unique<LeakyStorage>(dir_);
  LeakyStorage* st = owned.get();
  storage_ = std::move(owned);
  start();
  st->down = true;
  ::testing::internal::CaptureStderr();
  for (const std::string& p : std::vector<std::string>{"/api/runs", "/api/runs/" + kRun, "/api/runs/" + kRun + "/epochs/1", "/" + kRun,
                              "/files/" + kRun + "/target.png"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 503) << p;
    for (const char* secret : {"AKIA", "gan-training-role", "/home/alice", "AccessDenied"})
      EXPECT_EQ(r->body.find(secret), std::string::npos) << p << ": " << r->body;
    for (const auto& h : r->headers) EXPECT_EQ(h.second.find("AKIA"), std::string::npos) << h.first;
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("AKIAIOSFODNN7EXAMPLE"), std::string::npos) << "the details belong in the server's log";
}

TEST_F(MonitorHardening, OnlyArtifactsAreServed) {
  storage_->put(kRun + "/upload-queue.journal", "JOURNAL-SECRET");
  storage_->put(kRun + "/.upload-queue.journal.snapshots/1", "SNAPSHOT-SECRET");
  storage_->put(kRun + "/.env", "DOTFILE-SECRET");
  storage_->put(kRun + "/notes.txt", "STRAY-SECRET");
  storage_->put(kRun + "/epoch/1/.hidden.png", "HIDDEN-SECRET");
  storage_->put(kRun + "/checkpoint/state.safetensors", "CKPT");
  start();
  for (const std::string& f : std::vector<std::string>{"upload-queue.journal", ".upload-queue.journal.snapshots/1", ".env", "notes.txt",
                              "epoch/1/.hidden.png", "epoch/1/upload-queue.journal"}) {
    auto r = get("/files/" + kRun + "/" + f);
    ASSERT_TRUE(r) << f;
    EXPECT_EQ(r->status, 404) << f;
    EXPECT_EQ(r->body.find("SECRET"), std::string::npos) << f;
  }
  for (const std::string& f : std::vector<std::string>{"target.png", "hyperparameters.json", "epoch/0/generated.png", "epoch/1/metrics.csv",
                              "epoch/1/summary.json", "epoch/1/generator.safetensors", "checkpoint/state.safetensors"})
    EXPECT_EQ(get("/files/" + kRun + "/" + f)->status, 200) << f;
  EXPECT_EQ(get("/api/runs/" + kRun)->body.find("notes.txt"), std::string::npos);
  EXPECT_FALSE(is_served_artifact({kRun, "upload-queue.journal"}));
  EXPECT_FALSE(is_served_artifact({kRun, "epoch", "x", "generated.png"}));
  EXPECT_TRUE(is_served_artifact({kRun, "epoch", "7", "loss_accuracy.svg"}));
}

// ---- 5. symbolic links ----

TEST_F(MonitorHardening, SymbolicLinksAreNotFollowed) {
  // Outside the storage root: files with artifact names, so only the link check can stop them.
  const std::string outside = temp_dir();
  std::ofstream(outside + "/target.png") << "OUTSIDE-SECRET";
  std::ofstream(outside + "/hyperparameters.json") << "{\"OUTSIDE-SECRET\": 1}";
  std::filesystem::create_directories(outside + "/epoch/1");
  std::ofstream(outside + "/epoch/1/summary.json") << "{\"OUTSIDE-SECRET\": 1}";
  ASSERT_EQ(::symlink(outside.c_str(), (dir_ + "/evilrun").c_str()), 0);
  ASSERT_EQ(::symlink("/etc", (dir_ + "/etcrun").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/epoch/1").c_str(), (dir_ + "/" + kRun + "/epoch/9").c_str()), 0);
  std::filesystem::remove(dir_ + "/" + kRun + "/target.png");
  ASSERT_EQ(::symlink((outside + "/target.png").c_str(), (dir_ + "/" + kRun + "/target.png").c_str()), 0);

  // Storage level.
  EXPECT_FALSE(storage_->get("evilrun/target.png"));
  EXPECT_FALSE(storage_->stat("evilrun/target.png"));
  EXPECT_FALSE(storage_->get("etcrun/passwd"));
  EXPECT_FALSE(storage_->get(kRun + "/target.png"));
  EXPECT_FALSE(storage_->stat(kRun + "/target.png"));
  EXPECT_FALSE(storage_->get(kRun + "/epoch/9/summary.json"));
  EXPECT_FALSE(storage_->open_reader(kRun + "/epoch/9/summary.json"));
  for (const ObjectInfo& o : storage_->list("")) {
    EXPECT_EQ(o.key.rfind("evilrun", 0), std::string::npos) << o.key;
    EXPECT_NE(o.key, kRun + "/target.png");
    EXPECT_EQ(o.key.find("epoch/9"), std::string::npos) << o.key;
  }
  EXPECT_TRUE(storage_->list("evilrun/").empty());
  EXPECT_TRUE(storage_->list_dirs("evilrun/").empty());
  for (const std::string& d : storage_->list_dirs("")) EXPECT_TRUE(d != "evilrun" && d != "etcrun") << d;
  for (const std::string& d : storage_->list_dirs(kRun + "/epoch/")) EXPECT_NE(d, "9");

  // Through the monitor.
  start();
  for (const std::string& p : std::vector<std::string>{"/files/evilrun/target.png", "/files/evilrun/hyperparameters.json", "/files/etcrun/passwd",
                              "/files/" + kRun + "/target.png", "/files/" + kRun + "/epoch/9/summary.json",
                              "/api/runs/evilrun", "/api/runs"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->body.find("OUTSIDE-SECRET"), std::string::npos) << p;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << p;
    if (p.rfind("/files/", 0) == 0) {
      EXPECT_EQ(r->status, 404) << p;
    }
  }
  EXPECT_EQ(get("/api/runs")->body.find("evilrun"), std::string::npos);
  EXPECT_EQ(get("/api/runs/evilrun")->status, 404);
  std::filesystem::remove_all(outside);
}

}  // namespace
}  // namespace gan::http::testing
