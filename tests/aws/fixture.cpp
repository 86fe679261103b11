// Test fixtures; see fixture.h.
#include "tests/aws/fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "cloud/crypto.h"
#include "cloud/http.h"

namespace gan_test {

TempDir::TempDir() {
  char tmpl[] = "/tmp/gan-aws-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::string cmd = "rm -rf '" + path_ + "'";
  if (std::system(cmd.c_str()) != 0) {
  }
}

Child::Child(const std::vector<std::string>& argv, const std::string& ready_line, double timeout_s,
             const std::string& log_path, bool stdin_null) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);
    dup2(fds[1], 1);
    int err = log_path.empty() ? open("/dev/null", O_WRONLY) : open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) dup2(err, 2);
    if (stdin_null) {
      int in = open("/dev/null", O_RDONLY);
      if (in >= 0) dup2(in, 0);
    }
    close(fds[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  if (!ready_line.empty()) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
    while (out.find(ready_line) == std::string::npos) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      pollfd p{fds[0], POLLIN, 0};
      if (left <= 0 || poll(&p, 1, left) <= 0) {
        close(fds[0]);
        kill_now(SIGKILL);
        throw std::runtime_error(argv[0] + " did not print '" + ready_line + "' in time; output: " + out);
      }
      char buf[512];
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) {
        close(fds[0]);
        kill_now(SIGKILL);
        throw std::runtime_error(argv[0] + " exited before it was ready; output: " + out);
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }
  output_ = out;
  // Keep draining stdout so the child never blocks on a full pipe.
  int fd = fds[0];
  if (fork() == 0) {
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    _exit(0);
  }
  close(fd);
}

void Child::kill_now(int sig) {
  if (pid_ <= 0) return;
  ::kill(-pid_, sig);
  ::kill(pid_, sig);
  if (sig == SIGKILL) {
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void Child::wait_and_forget() {
  if (pid_ > 0) waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Child::~Child() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; i++) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    usleep(20000);
  }
  kill_now(SIGKILL);
}

HangingServer::HangingServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("HangingServer: socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error(std::string("HangingServer: cannot listen: ") + std::strerror(errno));
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HangingServer::~HangingServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
}

void HangingServer::serve() {
  std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
  char buf[65536];
  while (!stop_) {
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        fds.push_back({c, POLLIN, 0});
        connections_++;
      }
    }
    for (size_t i = 1; i < fds.size();) {
      // Read (so a client's upload does not block on a full socket buffer), never answer.
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && read(fds[i].fd, buf, sizeof buf) <= 0) {
        close(fds[i].fd);
        fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      i++;
    }
  }
  for (size_t i = 1; i < fds.size(); i++) close(fds[i].fd);
}

std::string fixture_path(const std::string& name) {
  std::string here = __FILE__;  // tests/aws/fixture.cpp, relative to the repository root
  std::string root = here.substr(0, here.rfind("tests/aws/"));
  return (root.empty() ? std::string() : root) + "tests/fixtures/s3/" + name;
}

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

std::string write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
  if (!f) throw std::runtime_error("cannot write " + path);
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&out[i], &v, std::min<size_t>(8, n - i));
  }
  return out;
}

bool have_botocore(std::string* why) {
  if (std::system("/usr/bin/python3 -c 'import botocore' >/dev/null 2>&1") == 0) return true;
  *why = "botocore is not importable by /usr/bin/python3 (apt-get install python3-botocore, or make deps)";
  return false;
}

bool have_s3rver(std::string* why) {
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    *why = "node is not installed (apt-get install nodejs, or make deps)";
    return false;
  }
  if (access(fixture_path("node_modules/s3rver/package.json").c_str(), R_OK) != 0) {
    *why = "s3rver is not installed in tests/fixtures/s3/node_modules (run aws/ci-deps)";
    return false;
  }
  return have_botocore(why);
}

bool have_awscli(std::string* why) {
  if (access("/usr/bin/aws", X_OK) == 0) return true;
  *why = "the AWS CLI is not installed at /usr/bin/aws (apt-get install awscli, or make deps)";
  return false;
}

std::string S3Stack::proxy(const std::string& cmd, const std::string& json) const {
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.method = "POST";
  r.url = endpoint() + "/__proxy/" + cmd;
  r.body = json;
  cloud::HttpResponse resp = t.perform(r);
  if (resp.status != 200) throw std::runtime_error("proxy command " + cmd + " failed: " + resp.body);
  return resp.body;
}

const S3Stack* s3_stack(std::string* why) {
  struct Holder {
    std::unique_ptr<TempDir> dir;
    std::unique_ptr<Child> s3rver, proxy;
    S3Stack stack;
    std::string error;
    bool ok = false;
  };
  static Holder* h = [] {
    auto* holder = new Holder;
    std::string reason;
    if (!have_s3rver(&reason)) {
      holder->error = reason;
      return holder;
    }
    try {
      holder->dir = std::make_unique<TempDir>();
      holder->stack.s3rver_port = free_port();
      holder->s3rver = std::make_unique<Child>(
          std::vector<std::string>{"node", "--openssl-legacy-provider", fixture_path("run_s3rver.js"), std::to_string(holder->stack.s3rver_port),
                                   holder->dir->path() + "/data", "gan-test", "gan.dotted", "gan-other"},
          "ready", 30, holder->dir->path() + "/s3rver.log");
      holder->stack.proxy_port = free_port();
      holder->proxy = std::make_unique<Child>(
          std::vector<std::string>{"/usr/bin/python3", fixture_path("sigproxy.py"), std::to_string(holder->stack.proxy_port),
                                   std::to_string(holder->stack.s3rver_port), "S3RVER", "S3RVER", "TEMPKEY", "TEMPSECRET"},
          "ready", 30, "/tmp/gan-sigproxy.log");
      holder->ok = true;
    } catch (const std::exception& e) {
      holder->error = std::string("could not start the local S3 stack: ") + e.what();
    }
    // Stop the servers when the test binary exits.
    static Holder* cleanup = holder;
    std::atexit([] {
      cleanup->proxy.reset();
      cleanup->s3rver.reset();
      cleanup->dir.reset();
    });
    return holder;
  }();
  if (!h->ok) {
    *why = h->error;
    return nullptr;
  }
  return &h->stack;
}

const RgwStack* rgw_stack(std::string* why) {
  struct Holder {
    std::unique_ptr<TempDir> dir;
    RgwStack stack;
    std::string error;
    bool ok = false;
  };
  static Holder* h = [] {
    auto* holder = new Holder;
    for (const char* tool : {"/usr/bin/ceph-mon", "/usr/bin/ceph-osd", "/usr/bin/radosgw", "/usr/bin/radosgw-admin"}) {
      if (access(tool, X_OK) != 0) {
        holder->error = std::string(tool) + " is not installed (apt-get install ceph-mon ceph-osd radosgw ceph-common)";
        return holder;
      }
    }
    try {
      holder->dir = std::make_unique<TempDir>();
      const std::string dir = holder->dir->path() + "/ceph";
      Child start({"bash", fixture_path("start_radosgw.sh"), dir}, "ready", 90, holder->dir->path() + "/start.log",
                  /*stdin_null=*/true);
      start.wait_and_forget();
      std::istringstream line(start.output().substr(start.output().find("ready")));
      std::string word;
      line >> word >> holder->stack.port >> holder->stack.access_key >> holder->stack.secret_key;
      holder->ok = holder->stack.port > 0;
      if (!holder->ok) holder->error = "start_radosgw.sh printed no port: " + start.output();
    } catch (const std::exception& e) {
      holder->error = std::string("could not start Ceph's RADOS Gateway: ") + e.what() +
                      " (logs kept in /tmp/gan-rgw-failed)";
      std::string keep = "rm -rf /tmp/gan-rgw-failed; cp -r '" + holder->dir->path() + "' /tmp/gan-rgw-failed";
      if (std::system(keep.c_str()) != 0) {
      }
    }
    static Holder* cleanup = holder;
    std::atexit([] {
      if (!cleanup->dir) return;
      std::string cmd = "bash '" + fixture_path("start_radosgw.sh") + "' --stop '" + cleanup->dir->path() + "/ceph'";
      if (std::system(cmd.c_str()) != 0) {
      }
      cleanup->dir.reset();
    });
    return holder;
  }();
  if (!h->ok) {
    *why = h->error;
    return nullptr;
  }
  return &h->stack;
}

std::string md5_hex(const std::string& bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &n, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("OpenSSL EVP_Digest failed");
  return gan::hex(std::string(reinterpret_cast<char*>(out), n));
}

}  // namespace gan_test
