// What the shared libcurl transport refuses: response bodies past their limit, schemes other
// than http(s), bearer tokens over plain http, and metadata requests through a proxy.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "aws/credentials.h"
#include "cloud/crypto.h"
#include "cloud/http.h"
#include "aws/s3_client.h"
#include "azure/managed_identity.h"
#include "gcs/gce_metadata.h"
#include "tests/aws/fake_server.h"
#include "tests/aws/fixture.h"

namespace {

std::shared_ptr<aws::CredentialsCache> static_creds() {
  aws::Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "secret";
  return aws::static_credentials(c);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A handler whose body never ends (chunked, 1 MiB a chunk) and which counts what it sent.
gan_test::FakeServer::Handler endless_body(std::atomic<int64_t>* sent) {
  return [sent](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/xml", [sent](size_t, httplib::DataSink& sink) {
      static const std::string chunk(1 << 20, 'a');
      if (!sink.write(chunk.data(), chunk.size())) return false;
      *sent += static_cast<int64_t>(chunk.size());
      return true;
    });
  };
}

// An HTTP proxy that answers every request 502 and counts the connections it got: where a
// request went through http_proxy, it shows here.
class RecordingProxy {
 public:
  RecordingProxy() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("RecordingProxy: cannot listen");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      pollfd p{fd_, POLLIN, 0};
      while (!stop_) {
        if (poll(&p, 1, 50) <= 0) continue;
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        hits_++;
        char buf[4096];
        pollfd pc{c, POLLIN, 0};
        if (poll(&pc, 1, 1000) > 0) (void)!read(c, buf, sizeof buf);
        const char* answer = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!write(c, answer, std::strlen(answer));
        close(c);
      }
    });
  }
  ~RecordingProxy() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int hits() const { return hits_.load(); }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> hits_{0};
  std::thread thread_;
};

}  // namespace

// Before, a server that kept sending grew the body in memory without end.
TEST(HttpTransport, AnEndlessBodyStopsAtTheLimitWithAnErrorNamingTheUrl) {
  std::atomic<int64_t> sent{0};
  gan_test::FakeServer server(endless_body(&sent));
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.url = server.endpoint() + "/bucket?list-type=2&secret=x";
  auto t0 = std::chrono::steady_clock::now();
  try {
    cloud::HttpResponse resp = t.perform(r);
    FAIL() << "a body that never ends came back whole (" << resp.body.size() << " bytes)";
  } catch (const cloud::ResponseTooLarge& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("GET " + server.endpoint() + "/bucket"), std::string::npos) << m;
    EXPECT_NE(m.find("8 MiB"), std::string::npos) << m;
    EXPECT_EQ(m.find("secret"), std::string::npos) << "the query (a SAS, a signature) stays out of errors: " << m;
  }
  EXPECT_LT(seconds_since(t0), 10.0);
  EXPECT_LE(sent.load(), 32ll << 20) << "the client kept reading";
  // The thread's handle was dropped with the connection: the next request works.
  gan_test::FakeServer ok([](const httplib::Request&, httplib::Response& res) { res.set_content("fine", "text/plain"); });
  r.url = ok.endpoint() + "/x";
  EXPECT_EQ(t.perform(r).body, "fine");
}

TEST(HttpTransport, ObjectDownloadsAreBoundedByTheRangeOrTheDeclaredLength) {
  // A declared length within the object limit is read whole, past the control limit.
  const std::string nine_mib(9 << 20, 'b');
  gan_test::FakeServer sized([&](const httplib::Request&, httplib::Response& res) { res.set_content(nine_mib, "x/y"); });
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.url = sized.endpoint() + "/bucket/key";
  EXPECT_THROW(t.perform(r), cloud::ResponseTooLarge);  // a control call: 8 MiB at most
  r.expect_object(false);
  EXPECT_EQ(t.perform(r).body.size(), nine_mib.size());
  // A range is exactly its length: a server ignoring it does not hand over the whole object.
  r.expect_object(false, {{0, 1023}});
  EXPECT_THROW(t.perform(r), cloud::ResponseTooLarge);
  // A declared length past the object limit is refused before a byte of it is read.
  gan_test::FakeServer huge([](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(
        8ll << 30, "application/octet-stream",
        [](size_t, size_t length, httplib::DataSink& sink) {
          static const std::string chunk(1 << 20, 'c');
          return sink.write(chunk.data(), std::min(length, chunk.size()));
        },
        nullptr);
  });
  r.url = huge.endpoint() + "/bucket/key";
  r.expect_object(false);
  try {
    t.perform(r);
    FAIL() << "an 8 GiB body was accepted into memory";
  } catch (const cloud::ResponseTooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("declares 8589934592 bytes"), std::string::npos) << e.what();
  }
  // HEAD states the object's size with no body: not a body past any limit.
  r.method = "HEAD";
  r.max_body_bytes = 0;
  EXPECT_EQ(t.perform(r).header("content-length"), "8589934592");
}

TEST(HttpTransport, S3CallsStopEndlessBodiesWithoutRetryingAndLeaveNoPartialFile) {
  std::atomic<int64_t> sent{0};
  gan_test::FakeServer server(endless_body(&sent));
  gan_test::TempDir dir;
  aws::S3ClientConfig cfg;
  cfg.endpoint = server.endpoint();
  cfg.credentials = static_creds();
  aws::S3Client s3(cfg);
  try {
    s3.list("bucket", "run/");
    FAIL() << "a listing that never ends was read";
  } catch (const cloud::ResponseTooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("/bucket"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.requests(), 1) << "a body past its limit is no network failure to retry";
  // A whole object with no stated length: 64 MiB at most, in memory or in a file.
  EXPECT_THROW(s3.get("bucket", "run/a"), cloud::ResponseTooLarge);
  const std::string path = dir.path() + "/download.bin";
  EXPECT_THROW(s3.get_to_file("bucket", "run/a", path), cloud::ResponseTooLarge);
  EXPECT_FALSE(std::ifstream(path).good()) << "a partial download was left at " << path;
  EXPECT_LE(sent.load(), 3 * (64ll << 20) + (64ll << 20));
}

TEST(HttpTransport, OnlyHttpAndHttpsUrlsAreFetched) {
  gan_test::TempDir dir;
  const std::string file = gan_test::write_file(dir.path() + "/secret.txt", "local file contents");
  cloud::HttpTransport t;
  for (const std::string& url : {"file://" + file, std::string("ftp://127.0.0.1:1/x"), std::string("dict://127.0.0.1:1/x")}) {
    SCOPED_TRACE(url);
    cloud::HttpRequest r;
    r.url = url;
    EXPECT_THROW(t.perform(r), cloud::InsecureRequest);
  }
  cloud::HttpRequest r;
  r.url = "http://bad host/x";  // not a URL: refused at once, saying so (not retried as a network failure)
  try {
    t.perform(r);
    FAIL() << "a malformed URL was sent";
  } catch (const cloud::InsecureRequest& e) {
    EXPECT_NE(std::string(e.what()).find("not a URL"), std::string::npos) << e.what();
  }
}

// Which hosts are loopback: tests/core/test_common.cpp.
TEST(HttpTransport, BearerTokensTravelOverPlainHttpOnlyToLoopback) {
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  // A name that never resolves: without the check this is a connection failure, not a refusal.
  r.url = "http://storage.example.invalid/bucket/key";
  r.headers = {{"Authorization", "Bearer ya29.token"}};
  try {
    t.perform(r);
    FAIL() << "a bearer token went over plain http";
  } catch (const cloud::InsecureRequest& e) {
    EXPECT_NE(std::string(e.what()).find("storage.example.invalid"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("https://"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("ya29"), std::string::npos) << e.what();
  }
  r.headers = {{"authorization", "bearer ya29.token"}};
  EXPECT_THROW(t.perform(r), cloud::InsecureRequest);
  r.url = "http://user@10.0.0.1:80/x";
  EXPECT_THROW(t.perform(r), cloud::InsecureRequest);
  r.url = "http://127.0.0.1@storage.example.invalid/x";  // the host is after the userinfo
  EXPECT_THROW(t.perform(r), cloud::InsecureRequest);
  r.url = "HTTP://storage.example.invalid/x";  // a scheme in capitals is still plain http
  EXPECT_THROW(t.perform(r), cloud::InsecureRequest);
  // A local server (a test fake, an emulator) still gets it.
  gan_test::FakeServer local([](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_header_value("Authorization"), "text/plain");
  });
  r.url = local.endpoint() + "/x";
  EXPECT_EQ(t.perform(r).body, "bearer ya29.token");
  // Other credentials (a SigV4 or Shared Key signature) say nothing reusable past their minutes.
  r.url = "http://storage.example.invalid/bucket/key";
  r.headers = {{"Authorization", "AWS4-HMAC-SHA256 Credential=x"}};
  EXPECT_THROW(t.perform(r), cloud::TransportError);
}

// With http_proxy set (a corporate proxy, a container's default), the metadata services must
// still be asked directly: a proxy would see the credentials they answer with.
TEST(HttpTransport, MetadataServicesAreNeverAskedThroughAProxy) {
  RecordingProxy proxy;
  gan_test::FakeServer metadata([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Metadata-Flavor", "Google");
    if (req.path == "/latest/api/token") return res.set_content("imds-session", "text/plain");
    if (req.path.rfind("/latest/meta-data/", 0) == 0) return res.set_content("role", "text/plain");
    res.set_content("{\"access_token\":\"tok\",\"expires_in\":\"3600\"}", "application/json");
  });
  gan_test::ScopedEnv env({{"http_proxy", proxy.url().c_str()},
                           {"HTTPS_PROXY", proxy.url().c_str()},
                           {"ALL_PROXY", proxy.url().c_str()},
                           {"no_proxy", nullptr},
                           {"NO_PROXY", nullptr}});
  {
    // The proxy is in force for other requests: it is what they reach.
    cloud::HttpTransport t;
    cloud::HttpRequest r;
    r.url = metadata.endpoint() + "/other";
    EXPECT_EQ(t.perform(r).status, 502);
    EXPECT_EQ(proxy.hits(), 1);
  }
  {
    // IMDSv2: the session token's PUT, then the region's GET.
    gan_test::ScopedEnv imds({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.endpoint().c_str()},
                              {"AWS_EC2_METADATA_DISABLED", nullptr}, {"AWS_REGION", nullptr},
                              {"AWS_DEFAULT_REGION", nullptr}, {"AWS_CONFIG_FILE", "/nonexistent/config"}});
    std::string source;
    EXPECT_EQ(aws::resolve_region("", "", &source), "role");
    EXPECT_EQ(source, "instance metadata");
  }
  azure::ManagedIdentitySource azure_mi(metadata.endpoint());
  EXPECT_EQ(azure_mi.fetch(0).token, "tok");
  gcs::GceMetadataSource gce("127.0.0.1:" + metadata.endpoint().substr(metadata.endpoint().rfind(':') + 1));
  EXPECT_EQ(gce.fetch(0).token, "tok");
  EXPECT_EQ(proxy.hits(), 1) << "a metadata request went through http_proxy";
}

// sha256_file hashes exactly the byte range asked for (a part of a multipart upload), and
// base64_decode drops the bytes that OpenSSL's block decoder counts for '=' padding.
TEST(CloudCrypto, FileRangesAreHashedExactlyAndBase64PaddingIsDropped) {
  gan_test::TempDir dir;
  const std::string path = gan_test::write_file(dir.path() + "/part.bin", "0123456789");
  EXPECT_EQ(cloud::sha256_file(path), cloud::sha256("0123456789"));
  EXPECT_EQ(cloud::sha256_file(path, 3, 4), cloud::sha256("3456"));
  EXPECT_EQ(cloud::sha256_file(path, 3), cloud::sha256("3456789"));
  EXPECT_EQ(cloud::sha256_file(path, 10, 0), cloud::sha256(""));
  EXPECT_THROW(cloud::sha256_file(path, 8, 4), std::runtime_error);  // the file ends first
  for (const std::string s : {"", "a", "ab", "abc", "abcd"}) EXPECT_EQ(cloud::base64_decode(cloud::base64_encode(s)), s);
  EXPECT_THROW(cloud::base64_decode("abc"), std::invalid_argument);
}

// The signers' header-value canonicalisation: trimmed, each run of the given spaces one space.
TEST(HttpTransport, FoldSpacesTrimsAndFoldsEachRun) {
  EXPECT_EQ(cloud::fold_spaces("  a \t b\t\tc  ", " \t"), "a b c");
  EXPECT_EQ(cloud::fold_spaces(" \t ", " \t"), "");
  EXPECT_EQ(cloud::fold_spaces("a\r\n b", " \t\r\n"), "a b");
  EXPECT_EQ(cloud::fold_spaces("a\r\nb", " \t"), "a\r\nb");
}

// A 2xx body goes to response_file, a 0-byte one too (an empty object is still a file); another
// status leaves no file and keeps its body (an error document) in memory.
TEST(HttpTransport, ResponseFilesHoldSuccessfulBodiesEvenEmptyOnes) {
  gan_test::FakeServer server([](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/missing") res.status = 404;
    res.set_content(req.path == "/empty" ? "" : "body of " + req.path, "application/octet-stream");
  });
  gan_test::TempDir dir;
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  auto get = [&](const std::string& path) {
    r.url = server.endpoint() + path;
    r.response_file = dir.path() + path;
    return t.perform(r);
  };
  EXPECT_EQ(get("/full").body, "");
  EXPECT_EQ(gan_test::read_file(dir.path() + "/full"), "body of /full");
  EXPECT_EQ(get("/empty").status, 200);
  EXPECT_TRUE(std::ifstream(dir.path() + "/empty").good()) << "a 0-byte object left no file";
  EXPECT_EQ(get("/missing").body, "body of /missing");
  EXPECT_FALSE(std::ifstream(dir.path() + "/missing").good()) << "an error document was taken for the object";
}
