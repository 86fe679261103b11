// The libcurl fetcher end to end against a throwaway HTTP server on 127.0.0.1 (no internet
// needed): a served file is saved after its checksum matches; a 404 and a refused connection
// become a DataError carrying curl's reason.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include "data/dataset.h"
#include "data/download.h"
#include "app/digest.h"
#include "data/fetch_curl.h"
#include "test_data_util.h"

using namespace gan_test;

namespace {
// A TCP socket bound to 127.0.0.1 on a free port (listening when `listen` is set); -1 when this
// environment does not allow it. *port receives the port.
int loopback_socket(bool listen, int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, (sockaddr*)&a, sizeof a) != 0 || (listen && ::listen(fd, 8) != 0) ||
      ::getsockname(fd, (sockaddr*)&a, &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

// Serves fixed bodies by path until destroyed (a body "REDIRECT <url>" is a 302 there); anything else
// is a 404. One request per connection.
class TinyHttpServer {
 public:
  explicit TinyHttpServer(std::map<std::string, std::string> files) : files_(std::move(files)) {
    fd_ = loopback_socket(true, &port_);
    if (fd_ < 0) return;
    thread_ = std::thread([this] { run(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[1024];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, n);
      }
      ++requests_;
      const size_t sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
      const std::string path = sp1 == std::string::npos ? "" : req.substr(sp1 + 1, sp2 - sp1 - 1);
      auto it = files_.find(path);
      std::string body = it == files_.end() ? "not found" : it->second;
      std::string status = it == files_.end() ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK";
      if (body.rfind("REDIRECT ", 0) == 0) {  // a body "REDIRECT <url>" answers 302 to that URL
        status = "HTTP/1.1 302 Found\r\nLocation: " + body.substr(9);
        body.clear();
      }
      const std::string head = status + "\r\nContent-Length: " + std::to_string(body.size()) +
                               "\r\nConnection: close\r\n\r\n";
      const std::string all = head + body;
      for (size_t off = 0; off < all.size();) {
        ssize_t n = ::send(c, all.data() + off, all.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += n;
      }
      ::close(c);
    }
  }
  std::map<std::string, std::string> files_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Options that download as ./gan does: libcurl, checked with OpenSSL's SHA-256.
gan::DatasetOptions curl_options() {
  gan::DatasetOptions o;
  o.download = gan::curl_downloader();
  return o;
}

// The DataError ensure_idx_files(rd) gives, downloading as ./gan does ("" when none).
std::string download_error(const gan::data::RemoteDataset& rd, const std::string& dir, const std::string& stem) {
  try {
    gan::data::ensure_idx_files(rd, dir, stem, curl_options());
  } catch (const gan::DataError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Data, CurlFetcherDownloadsFromLocalServer) {
  const Bytes im = gzip(idx_images(2, 28, 28, Bytes(2 * 784, 10)));
  const Bytes lb = gzip(idx_labels(Bytes{4, 5}));
  TinyHttpServer server({{"/d/train-images-idx3-ubyte.gz", std::string(im.begin(), im.end())},
                         {"/d/train-labels-idx1-ubyte.gz", std::string(lb.begin(), lb.end())}});
  if (server.port() == 0) GTEST_SKIP() << "cannot listen on 127.0.0.1 in this environment";
  const std::string si = gan::sha256_hex(std::string(im.begin(), im.end())), sl = gan::sha256_hex(std::string(lb.begin(), lb.end()));
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  const std::string good = base + "d/", missing = base + "missing/";
  gan::data::RemoteDataset rd{"local", {missing.c_str(), good.c_str()},
                              {{"train-images-idx3-ubyte.gz", si.c_str()}, {"train-labels-idx1-ubyte.gz", sl.c_str()}},
                              {}};
  TempDir t;
  std::vector<std::string> logs;
  gan::DatasetOptions o = curl_options();
  o.log = [&](const std::string& m) { logs.push_back(m); };
  gan::data::ensure_idx_files(rd, t.path, "train", o);  // the 404 mirror first, then the good one
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(read_all(t / "train-images-idx3-ubyte.gz"), im);
  o.spec = "idx:" + t.path;
  EXPECT_EQ(gan::load_dataset(o).labels, (std::vector<int32_t>{4, 5}));

  // Only the 404 mirror: the error carries curl's HTTP status.
  gan::data::RemoteDataset bad{"local", {missing.c_str()}, {{"t10k-images-idx3-ubyte.gz", si.c_str()}}, {}};
  const std::string e = download_error(bad, t.path, "t10k");
  EXPECT_NE(e.find("404"), std::string::npos) << e;
  EXPECT_NE(e.find(t.path), std::string::npos) << e;
}

TEST(Data, CurlFetcherConnectionRefused) {
  // Bind a port, then close it: nothing listens there, so the connection is refused at once.
  int port = 0;
  int fd = loopback_socket(false, &port);
  if (fd < 0) GTEST_SKIP() << "cannot bind 127.0.0.1 in this environment";
  ::close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  gan::data::RemoteDataset rd{"local", {url.c_str()}, {{"train-images-idx3-ubyte.gz", "00"}}, {}};
  TempDir t;
  const std::string e = download_error(rd, t.path, "train");
  EXPECT_NE(e.find(url), std::string::npos) << "expected a DataError naming " << url << ": " << e;
}

// A dataset mirror that redirects elsewhere may only send the download to another http(s) URL:
// libcurl would otherwise follow a Location: ftp://... (its default allows FTP and FTPS too).
TEST(Data, CurlFetcherFollowsRedirectsOnlyToHttpAndHttps) {
  // Where the redirect points: counts connections, closes each at once.
  int target_port = 0;
  const int target = loopback_socket(true, &target_port);
  if (target < 0) GTEST_SKIP() << "cannot listen on 127.0.0.1 in this environment";
  std::atomic<bool> stop{false};
  std::atomic<int> hits{0};
  std::thread counter([&] {
    while (!stop) {
      pollfd p{target, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(target, nullptr, nullptr);
      if (c >= 0) {
        ++hits;
        ::close(c);
      }
    }
  });
  const std::string elsewhere = "ftp://127.0.0.1:" + std::to_string(target_port) + "/train-images-idx3-ubyte.gz";
  TinyHttpServer server({{"/d/train-images-idx3-ubyte.gz", "REDIRECT " + elsewhere}});
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/d/";
  gan::data::RemoteDataset rd{"local", {url.c_str()}, {{"train-images-idx3-ubyte.gz", "00"}}, {}};
  TempDir t;
  const std::string e = download_error(rd, t.path, "train");
  EXPECT_NE(e.find(url), std::string::npos) << "expected a DataError naming " << url << ": " << e;
  stop = true;
  counter.join();
  ::close(target);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(hits.load(), 0) << "the download followed a redirect to " << elsewhere;
}
