// S3Storage and the UploadQueue against the local S3 behind the signature-checking proxy: the
// Storage contract, uploads under injected faults (every artifact exactly once, right bytes), and
// a queue killed while non-empty whose successor uploads the rest. Then, without the local S3: a
// hung server cut short by the queue's deadline, and CURL_CA_BUNDLE against an HTTPS server.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <cstdlib>
#include <set>
#include <thread>

#include "common/json.h"
#include "storage/open.h"
#include "storage/s3_storage.h"
#include "storage/upload_queue.h"
#include "tests/aws/fake_server.h"
#include "tests/aws/fixture.h"

namespace {

constexpr int64_t MiB = 1 << 20;

// Options for a local test server: us-east-1, both keys `key`, files above 6 MiB in 5 MiB parts.
gan::S3Options server_options(const std::string& endpoint, const std::string& key = "S3RVER") {
  gan::S3Options o;
  o.endpoint = endpoint;
  o.region = "us-east-1";
  aws::Credentials c;
  c.access_key_id = c.secret_access_key = key;
  o.credentials = aws::static_credentials(c);
  o.multipart_threshold = 6 * MiB;
  o.part_size = 5 * MiB;
  return o;
}

class S3IntegrationStorage : public ::testing::Test {
 public:
  static gan::UploadQueueOptions queue_options() {
    gan::UploadQueueOptions q;
    q.retry_min_s = 0.05;
    q.retry_max_s = 0.5;
    q.log = [](const std::string&) {};
    return q;
  }

 protected:
  void SetUp() override {
    std::string why;
    stack_ = gan_test::s3_stack(&why);
    if (!stack_) GTEST_SKIP() << why;
    stack_->proxy("reset");
  }
  gan::S3Options options() const {
    gan::S3Options o = server_options(stack_->endpoint());
    o.retry.base_delay_s = 0.02;
    o.retry.max_delay_s = 0.3;
    o.retry.max_attempts = 4;
    o.concurrency = 2;
    return o;
  }
  std::map<std::string, int64_t> puts() {
    // {"puts": {"/bucket/key": n}}
    const gan::Json stats = gan::Json::parse(stack_->proxy("stats"));
    std::map<std::string, int64_t> out;
    if (const gan::Json* puts = stats.find("puts"))
      for (const auto& [k, v] : puts->members()) out[k] = v.as_int();
    return out;
  }
  const gan_test::S3Stack* stack_ = nullptr;
  gan_test::TempDir dir_;
};

}  // namespace

TEST_F(S3IntegrationStorage, StorageContractOverS3) {
  gan::StorageOptions so;
  so.s3 = options();
  std::unique_ptr<gan::Storage> s = gan::open_storage("s3://gan-test/contract/runs/", so);
  ASSERT_EQ(s->url(), "s3://gan-test/contract/runs/");
  s->put("20240101T000000Z/hyperparameters.json", "{}");
  s->put_file("20240101T000000Z/epoch/10/generated.png",
              gan_test::write_file(dir_.path() + "/g.png", gan_test::random_bytes(5000, 1)));
  s->put("20240101T000000Z/epoch/2/summary.json", "{\"Epoch\": 2}");
  s->put("20240102T000000Z/target.png", "png");
  EXPECT_EQ(s->get("20240101T000000Z/hyperparameters.json").value(), "{}");
  EXPECT_FALSE(s->get("20240101T000000Z/nothing.json"));
  auto info = s->stat("20240101T000000Z/epoch/10/generated.png");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 5000);
  EXPECT_GT(info->mtime, 1700000000);
  EXPECT_EQ(s->list_dirs(""), (std::vector<std::string>{"20240101T000000Z", "20240102T000000Z"}));
  EXPECT_EQ(s->list_dirs("20240101T000000Z/epoch"), (std::vector<std::string>{"10", "2"}));
  auto all = s->list("20240101T000000Z/");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key, "20240101T000000Z/epoch/10/generated.png");
  std::string url = s->presign("20240102T000000Z/target.png", 300);
  EXPECT_NE(url.find("/gan-test/contract/runs/20240102T000000Z/target.png?"), std::string::npos) << url;
  // What ./gan --presign prints: a URL anyone can fetch (the proxy checks its signature).
  std::string shared = gan::presign_s3_url("s3://gan-test/contract/runs/20240102T000000Z/target.png", options(), 120);
  cloud::HttpRequest get;
  get.url = shared;
  cloud::HttpResponse got = cloud::HttpTransport().perform(get);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "png");
  EXPECT_THROW(gan::presign_s3_url("s3://gan-test", options(), 120), std::invalid_argument);
  EXPECT_THROW(gan::presign_s3_url("s3://gan-test/k", options(), 0), std::invalid_argument);
  s->remove("20240102T000000Z/target.png");
  EXPECT_FALSE(s->stat("20240102T000000Z/target.png"));
  EXPECT_THROW(s->put("../escape", "x"), std::invalid_argument);
  EXPECT_THROW(gan::open_storage("s3://ab/x"), std::invalid_argument);
  try {
    gan::S3Options o = options();
    o.retry.max_attempts = 1;
    gan::S3Storage nb("s3://no-such-bucket-here/x", o);
    nb.put("k", "v");
    FAIL();
  } catch (const gan::RemoteStorageError& e) {
    EXPECT_FALSE(e.transient());
    EXPECT_NE(std::string(e.what()).find("NoSuchBucket"), std::string::npos) << e.what();
  }
}

TEST_F(S3IntegrationStorage, QueueUnderFaultsDeliversEveryArtifactOnceWithItsBytes) {
  auto remote = std::make_shared<gan::S3Storage>("s3://gan-test/faults-run", options());
  stack_->proxy("skew", R"({"seconds": 1800})");
  stack_->proxy("faults", R"([{"kind":"500","count":3,"method":"PUT"},{"kind":"503","count":3,"method":"PUT"},
      {"kind":"reset","count":3,"method":"PUT"},{"kind":"stall","seconds":3,"count":1,"method":"PUT"},
      {"kind":"500","count":1,"method":"POST","match":"uploads"},{"kind":"reset","count":1,"method":"PUT","match":"partNumber=2"}])");
  std::map<std::string, std::string> expected;
  {
    gan::UploadQueue q(remote, dir_.path() + "/journal", queue_options());
    for (int e = 0; e <= 30; e += 10) {
      for (const char* name : {"generated.png", "summary.json", "metrics.csv"}) {
        std::string key = "epoch/" + std::to_string(e) + "/" + name;
        std::string bytes = gan_test::random_bytes(1000 + static_cast<size_t>(e) * 97, static_cast<uint64_t>(e + name[0]));
        expected[key] = bytes;
        q.on_artifact(key, gan_test::write_file(dir_.path() + "/" + std::to_string(e) + name, bytes));
      }
    }
    std::string big = gan_test::random_bytes(11 * MiB, 9);
    expected["epoch/30/generator.safetensors"] = big;
    q.on_artifact("epoch/30/generator.safetensors", gan_test::write_file(dir_.path() + "/gen.safetensors", big));
    auto r = q.drain(120);
    ASSERT_TRUE(r.complete()) << r.failed.size() << " not uploaded; first: " << r.failed[0].key << ": " << r.failed[0].last_error;
  }
  auto listed = remote->list("epoch/");
  ASSERT_EQ(listed.size(), expected.size());
  for (const auto& o : listed) {
    ASSERT_TRUE(expected.count(o.key)) << "unexpected object " << o.key;
    EXPECT_EQ(gan_test::md5_hex(remote->get(o.key).value()), gan_test::md5_hex(expected[o.key])) << o.key;
  }
  // Faults were injected before the server saw the request, so each key was written exactly once
  // (a multipart upload counts once, for its Complete).
  const auto stored = puts();
  ASSERT_EQ(stored.size(), expected.size()) << "the proxy saw PUTs for other keys, or missed some";
  for (const auto& [key, bytes] : expected) {
    auto it = stored.find("/gan-test/faults-run/" + key);
    ASSERT_NE(it, stored.end()) << key << " was never stored";
    EXPECT_EQ(it->second, 1) << key;
  }
  EXPECT_GE(std::atoll(gan::Json::parse(stack_->proxy("stats")).field("faults").c_str()), 12);
}

TEST_F(S3IntegrationStorage, QueueKilledWhileNonEmptyIsResumedAndUploadsTheRest) {
  const std::string journal = dir_.path() + "/journal";
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 8; i++) {
    std::string key = "epoch/" + std::to_string(i) + "/summary.json";
    expected[key] = "{\"Epoch\": " + std::to_string(i) + "}";
    gan_test::write_file(dir_.path() + "/s" + std::to_string(i), expected[key]);
  }
  // The first two uploads go through; then the network stalls every request.
  stack_->proxy("faults", R"([{"kind":"stall","seconds":30,"count":1000,"method":"PUT","match":"epoch/2/"},
                             {"kind":"stall","seconds":30,"count":1000,"method":"PUT","match":"epoch/3/"}])");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto remote = std::make_shared<gan::S3Storage>("s3://gan-test/killed-run", options());
    gan::UploadQueue q(remote, journal, S3IntegrationStorage::queue_options());
    for (int i = 0; i < 8; i++) q.on_artifact("epoch/" + std::to_string(i) + "/summary.json", dir_.path() + "/s" + std::to_string(i));
    while (q.uploaded_count() < 2) usleep(10000);
    if (write(ready[1], "x", 1) != 1) _exit(2);
    for (;;) pause();
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  stack_->proxy("reset");

  auto remote = std::make_shared<gan::S3Storage>("s3://gan-test/killed-run", options());
  EXPECT_LT(remote->list("epoch/").size(), expected.size()) << "the first process should not have finished";
  gan::UploadQueue q(remote, journal, S3IntegrationStorage::queue_options());
  EXPECT_GE(q.pending_count(), 6u);
  ASSERT_TRUE(q.drain(60).complete());
  auto listed = remote->list("epoch/");
  ASSERT_EQ(listed.size(), expected.size());
  for (const auto& o : listed) EXPECT_EQ(remote->get(o.key).value(), expected[o.key]) << o.key;
}

// ./gan's exit after --upload-timeout: the queue's deadline must cut an upload to a server that
// accepts connections and never answers short, not wait out every retry (8 attempts of a 30 s
// stall limit each, plus backoff, with the defaults used here).
TEST(UploadQueueOverS3, ShutdownIsBoundedByTheDrainTimeoutAgainstAHungServer) {
  gan_test::HangingServer hung;
  gan_test::TempDir dir;
  gan::S3Options o = server_options(hung.endpoint());
  auto remote = std::make_shared<gan::S3Storage>("s3://gan-test/hung", o);
  const std::string journal = dir.path() + "/journal";
  auto t0 = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  {
    gan::UploadQueue q(remote, journal, S3IntegrationStorage::queue_options());
    q.on_artifact("epoch/1/generator.safetensors",
                  gan_test::write_file(dir.path() + "/g.safetensors", gan_test::random_bytes(11 * MiB, 1)));
    q.on_artifact("epoch/1/summary.json", gan_test::write_file(dir.path() + "/s.json", "{}"));
    auto r = q.drain(2);
    EXPECT_GE(since(), 2.0);
    ASSERT_EQ(r.failed.size(), 2u);
    EXPECT_TRUE(r.failed[0].in_flight);
    EXPECT_FALSE(r.failed[1].in_flight);
    EXPECT_EQ(r.failed[1].attempts, 0);
  }
  EXPECT_LT(since(), 2.0 + 3.0) << "the queue waited for the hung upload's retries";
  EXPECT_GE(hung.connections(), 1);
  EXPECT_FALSE(remote->client().cancelled()) << "the storage stays usable after the queue";
  // Both are still journaled, and a queue destroyed mid-upload (no drain) is just as quick.
  auto t1 = std::chrono::steady_clock::now();
  {
    gan::UploadQueue q(remote, journal, S3IntegrationStorage::queue_options());
    EXPECT_EQ(q.pending_count(), 2u);
    while (hung.connections() < 2 && std::chrono::steady_clock::now() - t1 < std::chrono::seconds(5))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count(), 5.0 + 2.0);
}

// CURL_CA_BUNDLE is read by the transport every remote shares, so s3:// honours it as az:// and
// gs:// do. Against an HTTPS server whose certificate only that file trusts (openssl s_server
// with a certificate made here), a GetObject fails certificate verification without it and is
// answered with it; a file that cannot be read is an error naming the variable when the storage
// is opened, not a TLS failure on every upload later.
TEST(S3StorageTls, CurlCaBundleIsTheCaFileTrustedForTheEndpoint) {
  gan_test::TempDir dir;
  const std::string d = dir.path();
  const std::string make_cert = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                                "-addext subjectAltName=IP:127.0.0.1 -keyout " + d + "/key.pem -out " + d +
                                "/cert.pem >" + d + "/openssl.log 2>&1";
  if (std::system(make_cert.c_str()) != 0)
    GTEST_SKIP() << "openssl could not make a test certificate (apt-get install openssl): "
                 << gan_test::read_file(d + "/openssl.log");
  const int port = gan_test::free_port();
  // -www answers every GET with a status page: all a GetObject needs to get through.
  gan_test::Child server({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                          d + "/cert.pem", "-key", d + "/key.pem", "-www"},
                         "ACCEPT", 20, "", true);
  gan::S3Options o = server_options("https://127.0.0.1:" + std::to_string(port));
  o.retry.max_attempts = 1;
  unsetenv("CURL_CA_BUNDLE");
  try {
    gan::S3Storage("s3://gan-test/tls", o).get("k");
    ADD_FAILURE() << "a certificate no trusted CA signed was accepted";
  } catch (const gan::RemoteStorageError& e) {
    EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
  }
  setenv("CURL_CA_BUNDLE", (d + "/cert.pem").c_str(), 1);
  try {
    auto page = gan::S3Storage("s3://gan-test/tls", o).get("k");
    ASSERT_TRUE(page.has_value());
    EXPECT_NE(page->find("s_server"), std::string::npos) << *page;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "with CURL_CA_BUNDLE naming the server's certificate: " << e.what();
  }
  setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem", 1);
  try {
    gan::S3Storage bad("s3://gan-test/tls", o);
    ADD_FAILURE() << "an unreadable CURL_CA_BUNDLE was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("CURL_CA_BUNDLE=/nonexistent/ca.pem"), std::string::npos) << e.what();
  }
  unsetenv("CURL_CA_BUNDLE");
}

// A multipart upload reopens the file for every part. state.safetensors is renamed over at every
// epoch, so a checkpoint replaced between two parts gave one object assembled from two versions
// (S3 accepts it). The queue uploads a snapshot taken when the artifact was queued, so every part
// is the same version. Here the fake S3 endpoint writes the next version while it receives part 1.
TEST(UploadQueueOverS3, EveryPartOfAMultipartUploadIsTheVersionQueued) {
  gan_test::TempDir dir;
  const std::string v1 = gan_test::random_bytes(11 * MiB, 1), v2 = gan_test::random_bytes(11 * MiB, 2);
  const std::string path = gan_test::write_file(dir.path() + "/state.safetensors", v1);
  std::mutex mu;
  std::map<int, std::string> parts;
  std::string object;
  std::atomic<bool> replaced{false};
  gan_test::FakeServer server([&](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST" && req.has_param("uploads")) {
      res.set_content("<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>",
                      "application/xml");
    } else if (req.method == "PUT" && req.has_param("partNumber")) {
      const int n = std::atoi(req.get_param_value("partNumber").c_str());
      {
        std::lock_guard<std::mutex> lock(mu);
        parts[n] = req.body;
      }
      if (n == 1 && !replaced.exchange(true)) {  // the trainer writes the next epoch's checkpoint
        gan_test::write_file(path + ".tmp", v2);
        std::rename((path + ".tmp").c_str(), path.c_str());
      }
      res.set_header("ETag", "\"etag" + std::to_string(n) + "\"");
    } else if (req.method == "POST" && req.has_param("uploadId")) {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& [n, bytes] : parts) object += bytes;
      res.set_content("<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>",
                      "application/xml");
    } else {
      res.status = 400;
    }
  });
  gan::S3Options o = server_options(server.endpoint(), "KEY");
  o.concurrency = 1;  // part 2 is read after part 1 is answered
  auto remote = std::make_shared<gan::S3Storage>("s3://bucket/runs", o);
  gan::UploadQueue q(remote, dir.path() + "/journal", S3IntegrationStorage::queue_options());
  q.on_artifact("run/checkpoint/state.safetensors", path);
  ASSERT_TRUE(q.drain(60).complete());
  ASSERT_TRUE(replaced.load());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(parts.size(), 3u);
  ASSERT_EQ(object.size(), v1.size());
  EXPECT_TRUE(object == v1) << "the uploaded object is not the version queued (v2 from byte "
                            << std::mismatch(object.begin(), object.end(), v1.begin()).first - object.begin() << ")";
}
