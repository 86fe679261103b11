// Test fixtures for the S3 tests: temporary folders, child processes, and the local S3 stack
// (s3rver behind tests/fixtures/s3/sigproxy.py, which re-checks every signature with botocore).
// The stack starts once per test binary, on first use, and stops at exit. When node, s3rver or
// botocore is missing, the functions say why and the tests skip.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace gan_test {

// Sets (or unsets, with nullptr) environment variables for one test and restores them after.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
      if (value) setenv(name, value, 1);
      else unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) setenv(name.c_str(), value->c_str(), 1);
      else unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A child process; killed (SIGTERM, then SIGKILL) when destroyed unless it has exited.
class Child {
 public:
  // Starts argv[0] with argv; when ready_line is set, waits up to timeout_s for that line on
  // its stdout and throws (with the output so far) if it does not come.
  Child(const std::vector<std::string>& argv, const std::string& ready_line = "", double timeout_s = 20,
        const std::string& log_path = "", bool stdin_null = false);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  void kill_now(int sig);
  // Waits for a launcher that exits by itself (leaving daemons running) and forgets it, so the
  // destructor does not signal its process group.
  void wait_and_forget();
  // What the child printed up to and including the ready line.
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  std::string output_;
};

// A TCP server on 127.0.0.1 that accepts every connection, reads what is sent and never answers:
// a stalled network or a hung server, as a client sees it.
class HangingServer {
 public:
  HangingServer();
  ~HangingServer();
  HangingServer(const HangingServer&) = delete;
  HangingServer& operator=(const HangingServer&) = delete;
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }

 private:
  void serve();
  int listen_fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

std::string fixture_path(const std::string& name);  // tests/fixtures/s3/<name>
int free_port();
std::string write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
std::string random_bytes(size_t n, uint64_t seed);
// Lowercase hex MD5: the S3 ETag of a single-part upload.
std::string md5_hex(const std::string& bytes);

bool have_botocore(std::string* why);
bool have_s3rver(std::string* why);
bool have_awscli(std::string* why);

// The local S3: s3rver with buckets "gan-test" and "gan.dotted" behind the signature-checking
// proxy. Credentials S3RVER / S3RVER.
struct S3Stack {
  int s3rver_port = 0, proxy_port = 0;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(proxy_port); }
  std::string direct_endpoint() const { return "http://127.0.0.1:" + std::to_string(s3rver_port); }
  // POST /__proxy/<cmd> with a JSON body; returns the response body.
  std::string proxy(const std::string& cmd, const std::string& json = "") const;
};
// nullptr (with *why) when the stack cannot run here.
const S3Stack* s3_stack(std::string* why);

// A real S3 implementation: Ceph's RADOS Gateway on a throwaway one-node cluster
// (tests/fixtures/s3/start_radosgw.sh; Debian's ceph-mon, ceph-osd, radosgw). Started once per
// test binary, stopped at exit; nullptr (with *why) when Ceph is not installed or does not start.
struct RgwStack {
  int port = 0;
  std::string access_key, secret_key;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }
};
const RgwStack* rgw_stack(std::string* why);

}  // namespace gan_test
