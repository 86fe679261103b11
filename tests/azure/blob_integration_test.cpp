// Every Blob call against Azurite, which checks each request's Shared Key (or SAS) signature
// itself: a signing mistake is a 403 here. Skips when node or Azurite is absent. Last, without
// Azurite: the cancellation of a stalled upload, against a local socket that never answers, and a
// listing page as Azure's own service writes it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cloud/http.h"
#include "common/json.h"
#include "azure/shared_key.h"
#include "storage/azure_storage.h"
#include "storage/upload_queue.h"
#include "tests/aws/fake_server.h"
#include "tests/aws/fixture.h"
#include "tests/azure/azurite.h"

namespace {

using gan_test::azurite_config;

#define NEED_AZURITE(stack)                          \
  std::string why_;                                   \
  const gan_test::AzuriteStack* stack = gan_test::azurite_stack(&why_); \
  if (!stack) GTEST_SKIP() << why_

TEST(AzureBlob, PutGetRangePropertiesDelete) {
  NEED_AZURITE(st);
  azure::BlobClient c(azurite_config(st->direct_endpoint()));
  c.create_container("calls");
  c.create_container("calls");  // already there is fine
  const std::string name = "run 1/épöch+%/a=b&c.bin";
  const std::string bytes = gan_test::random_bytes(100000, 1);
  EXPECT_FALSE(c.put("calls", name, bytes, "application/octet-stream").empty());
  EXPECT_EQ(c.get("calls", name), bytes);
  EXPECT_EQ(c.get("calls", name, std::make_pair<int64_t, int64_t>(10, 19)), bytes.substr(10, 10));
  auto p = c.head("calls", name);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size, 100000);
  EXPECT_EQ(p->content_type, "application/octet-stream");
  EXPECT_GT(p->last_modified, 1700000000);
  c.put("calls", "empty", "");
  EXPECT_EQ(c.get("calls", "empty"), std::string());
  c.remove("calls", name);
  c.remove("calls", name);  // absent is fine
  EXPECT_FALSE(c.get("calls", name));
  EXPECT_FALSE(c.head("calls", name));
  gan_test::TempDir d;
  EXPECT_TRUE(c.get_to_file("calls", "empty", d.path() + "/e"));
  EXPECT_FALSE(c.get_to_file("calls", "nothing", d.path() + "/n"));
}

TEST(AzureBlob, BlocksInParallelAboveTheThreshold) {
  NEED_AZURITE(st);
  auto cfg = azurite_config(st->endpoint());
  cfg.multipart_threshold = 1 << 20;
  cfg.part_size = 256 << 10;
  cfg.concurrency = 4;
  azure::BlobClient c(cfg);
  c.create_container("blocks");
  gan_test::TempDir d;
  const std::string bytes = gan_test::random_bytes((2 << 20) + 12345, 2);
  std::string path = gan_test::write_file(d.path() + "/big", bytes);
  st->proxy("reset");
  // Each Put Block is held 0.3 s at the proxy: blocks sent in parallel overlap there.
  st->proxy("faults", R"([{"kind":"delay","seconds":0.3,"count":100,"match":"comp=block&"}])");
  c.put_file("blocks", "big file.safetensors", path, "application/octet-stream");
  std::string stats = st->proxy("stats");
  EXPECT_NE(stats.find("comp=block&"), std::string::npos) << stats;      // Put Block
  EXPECT_NE(stats.find("comp=blocklist"), std::string::npos) << stats;  // Put Block List
  const int in_flight = std::atoi(gan::Json::parse(stats).field("max_in_flight").c_str());
  EXPECT_GE(in_flight, 2) << "blocks were not sent in parallel: " << stats;
  EXPECT_LE(in_flight, 4) << "more blocks in flight than cfg.concurrency: " << stats;
  st->proxy("reset");
  EXPECT_EQ(c.get("blocks", "big file.safetensors"), bytes);
  EXPECT_EQ(c.head("blocks", "big file.safetensors")->content_type, "application/octet-stream");
  EXPECT_EQ(cloud::choose_part_size(int64_t(1) << 40, 8 << 20, 1, azure::BlobClient::kMaxBlocks), 21ll << 20);  // ceil(2^40 / 50,000 bytes) in whole MiB
}

TEST(AzureBlob, ListWithMarkersAndDelimiter) {
  NEED_AZURITE(st);
  azure::BlobClient c(azurite_config(st->direct_endpoint()));
  c.create_container("listing");
  std::vector<std::string> names;
  for (int i = 0; i < 7; i++) names.push_back("runs/r" + std::to_string(i % 3) + "/f" + std::to_string(i));
  for (auto& n : names) c.put("listing", n, n);
  c.put("listing", "other", "x");
  auto l = c.list("listing", "runs/", "", 2);  // four pages
  ASSERT_EQ(l.objects.size(), 7u);
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); i++) EXPECT_EQ(l.objects[i].key, names[i]);
  EXPECT_EQ(l.objects[0].size, static_cast<int64_t>(names[0].size()));
  auto dirs = c.list("listing", "runs/", "/", 1);
  EXPECT_EQ(dirs.common_prefixes, (std::vector<std::string>{"runs/r0/", "runs/r1/", "runs/r2/"}));
  EXPECT_TRUE(dirs.objects.empty());
}

TEST(AzureBlob, ServiceSasLinkDownloadsTheSameBytes) {
  NEED_AZURITE(st);
  azure::BlobClient c(azurite_config(st->direct_endpoint()));
  c.create_container("shared");
  const std::string bytes = gan_test::random_bytes(4096, 3);
  c.put("shared", "run/epoch/10/generator.safetensors", bytes);
  std::string url = c.sas_url("shared", "run/epoch/10/generator.safetensors", 600);
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.url = url;  // no credentials at all
  cloud::HttpResponse resp = t.perform(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.body, bytes);
  // A tampered signature is refused (Azurite checks it).
  r.url = url.substr(0, url.find("sp=r")) + "sp=rw" + url.substr(url.find("sp=r") + 4);
  EXPECT_EQ(t.perform(r).status, 403);
}

azure::BlobClientConfig sas_config(const gan_test::AzuriteStack* st, const std::string& permissions) {
  gan_test::AccountSas sas;
  sas.account = azure::kDevAccount;
  sas.permissions = permissions;
  sas.expiry = time(nullptr) + 3600;
  sas.start = time(nullptr) - 300;
  auto cfg = azurite_config(st->direct_endpoint());
  cfg.credential.kind = azure::AzureCredential::Kind::Sas;
  cfg.credential.sas = gan_test::account_sas_query(sas, azure::kDevKey);
  cfg.credential.source = "AZURE_STORAGE_SAS_TOKEN";
  return cfg;
}

TEST(AzureBlob, AccountSasAsTheCredential) {
  NEED_AZURITE(st);
  azure::BlobClient c(sas_config(st, "rwdlac"));
  c.create_container("viasas");
  c.put("viasas", "a b", "hello");
  EXPECT_EQ(c.get("viasas", "a b"), "hello");
  EXPECT_EQ(c.list("viasas", "").objects.size(), 1u);
  // A link carrying this SAS would let whoever gets it write and delete: refused, saying why.
  try {
    std::string url = c.sas_url("viasas", "a b", 60);
    FAIL() << "a read-write SAS was handed out in a link: " << url;
  } catch (const azure::NoSasLink& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("sp=rwdlac"), std::string::npos) << m;
    EXPECT_NE(m.find("AZURE_STORAGE_SAS_TOKEN"), std::string::npos) << m;
    EXPECT_NE(m.find("AZURE_STORAGE_KEY"), std::string::npos) << m;
    EXPECT_NE(m.find("az storage blob generate-sas"), std::string::npos) << m;
    EXPECT_EQ(m.find("sig="), std::string::npos) << "the message leaks the SAS: " << m;
  }
  // A SAS that can only read (and list) still covers the whole account: it stays out of links too
  // (the monitor serves the bytes itself). It reads, and it cannot write.
  azure::BlobClient reader(sas_config(st, "rl"));
  EXPECT_THROW(reader.sas_url("viasas", "a b", 60), azure::NoSasLink);
  EXPECT_EQ(reader.get("viasas", "a b"), "hello");
  EXPECT_THROW(reader.put("viasas", "a b", "overwritten"), azure::BlobError);
  EXPECT_EQ(c.get("viasas", "a b"), "hello");
}

// A connection string holding SharedAccessSignature= (and BlobEndpoint=) is the whole
// configuration: storage works with it, and a link is made only from a read-only SAS.
TEST(AzureBlob, ConnectionStringWithSharedAccessSignature) {
  NEED_AZURITE(st);
  for (const char* v : {"AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_BLOB_ENDPOINT"})
    unsetenv(v);
  const std::string container = "cs-sas-" + std::to_string(time(nullptr));
  const std::string writable = sas_config(st, "rwdlac").credential.sas;
  setenv("AZURE_STORAGE_CONNECTION_STRING",
         ("BlobEndpoint=" + st->direct_endpoint() + ";SharedAccessSignature=?" + writable).c_str(), 1);
  gan::AzureStorage s("az://devstoreaccount1/" + container + "/runs", gan::AzureOptions{});
  EXPECT_EQ(s.client().config().credential.kind, azure::AzureCredential::Kind::Sas);
  EXPECT_EQ(s.client().endpoint_url(), st->direct_endpoint());
  s.put("r1/epoch/1/generated.png", "png bytes");  // creates the container through the SAS
  EXPECT_EQ(s.get("r1/epoch/1/generated.png"), "png bytes");
  EXPECT_EQ(s.list_dirs(""), (std::vector<std::string>{"r1"}));
  try {
    s.presign("r1/epoch/1/generated.png", 60);
    FAIL() << "a link was made from a read-write SAS";
  } catch (const gan::PresignUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("AZURE_STORAGE_CONNECTION_STRING (SAS)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("sp=rwdlac"), std::string::npos) << e.what();
  }
  setenv("AZURE_STORAGE_CONNECTION_STRING",
         ("BlobEndpoint=" + st->direct_endpoint() + ";SharedAccessSignature=" + sas_config(st, "rl").credential.sas).c_str(), 1);
  gan::AzureStorage reader("az://devstoreaccount1/" + container + "/runs", gan::AzureOptions{});
  EXPECT_EQ(reader.get("r1/epoch/1/generated.png"), "png bytes");
  EXPECT_THROW(reader.presign("r1/epoch/1/generated.png", 60), gan::PresignUnavailable);  // an account SAS
  try {
    reader.put("r1/x", "y");
    FAIL() << "a read-only SAS wrote";
  } catch (const gan::RemoteStorageError& e) {
    EXPECT_NE(std::string(e.what()).find("403"), std::string::npos) << e.what();
    EXPECT_FALSE(e.transient());
  }
  unsetenv("AZURE_STORAGE_CONNECTION_STRING");
}

TEST(AzureBlob, ErrorsSayWhatToDo) {
  NEED_AZURITE(st);
  auto cfg = azurite_config(st->direct_endpoint());
  cfg.credential.key = "d3Jvbmcga2V5";  // "wrong key"
  cfg.credential.source = "AZURE_STORAGE_KEY";
  azure::BlobClient bad(cfg);
  try {
    bad.put("calls", "x", "y");
    FAIL() << "a wrong key was accepted";
  } catch (const azure::BlobError& e) {
    EXPECT_EQ(e.status(), 403);
    EXPECT_FALSE(e.transient());
    EXPECT_NE(std::string(e.what()).find("AZURE_STORAGE_KEY"), std::string::npos) << e.what();
  }
  azure::BlobClient c(azurite_config(st->direct_endpoint()));
  try {
    c.list("no-such-container", "");
    FAIL() << "listing a missing container succeeded";
  } catch (const azure::BlobError& e) {
    EXPECT_EQ(e.code(), "ContainerNotFound");
    EXPECT_NE(std::string(e.what()).find("az storage container create"), std::string::npos) << e.what();
  }
}

TEST(AzureBlob, RetriesServerBusyInternalErrorAndResets) {
  NEED_AZURITE(st);
  azure::BlobClient c(azurite_config(st->endpoint()));
  c.create_container("faults");
  st->proxy("reset");
  st->proxy("faults", R"([{"kind":"503","count":2,"method":"PUT"},{"kind":"500","count":1,"method":"GET"},
                          {"kind":"reset","count":1,"method":"GET"},{"kind":"drop_response","count":1,"method":"PUT"}])");
  c.put("faults", "k", "v1");
  EXPECT_EQ(c.get("faults", "k"), "v1");
  std::string stats = st->proxy("stats");
  EXPECT_NE(stats.find("\"faults\": 5"), std::string::npos) << stats;
  st->proxy("reset");
  auto cfg = azurite_config(st->endpoint());
  cfg.retry.max_attempts = 2;
  azure::BlobClient few(cfg);
  st->proxy("faults", R"([{"kind":"503","count":5}])");
  try {
    few.get("faults", "k");
    FAIL() << "no error after the retries ran out";
  } catch (const azure::BlobError& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_EQ(e.code(), "ServerBusy");
  }
  st->proxy("reset");
}

// The Storage adapter: az:// URLs, the container created on first write, listing under a prefix.
TEST(AzureBlob, StorageAdapter) {
  NEED_AZURITE(st);
  gan::AzureOptions o;
  o.endpoint = st->direct_endpoint();
  gan::AzureStorage s("az://devstoreaccount1/adapter-" + std::to_string(time(nullptr)) + "/runs", o);
  s.put("r1/hyperparameters.json", "{}");
  s.put("r1/epoch/10/summary.json", "{\"Epoch\":10}");
  s.put("r2/epoch/0/generated.png", "png");
  EXPECT_EQ(s.get("r1/epoch/10/summary.json"), "{\"Epoch\":10}");
  EXPECT_EQ(s.list_dirs(""), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(s.list_dirs("r1/epoch"), (std::vector<std::string>{"10"}));
  auto all = s.list("r1/");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "r1/epoch/10/summary.json");
  EXPECT_EQ(s.stat("r2/epoch/0/generated.png")->size, 3);
  EXPECT_FALSE(s.get("r9/none"));
  s.remove("r2/epoch/0/generated.png");
  EXPECT_FALSE(s.stat("r2/epoch/0/generated.png"));
  EXPECT_NE(s.presign("r1/hyperparameters.json", 60).find("sr=b"), std::string::npos);
  EXPECT_THROW(gan::AzureStorage("az://devstoreaccount1/Bad_Name", o), std::invalid_argument);
  EXPECT_THROW(gan::AzureStorage("az://devstoreaccount1", o), std::invalid_argument);
}

// The upload queue over Azure with faults: every artifact arrives exactly once.
TEST(AzureBlob, UploadQueueDeliversEveryArtifactOnceThroughFaults) {
  NEED_AZURITE(st);
  gan::AzureOptions o;
  o.endpoint = st->endpoint();
  o.retry.base_delay_s = 0.01;
  o.retry.max_delay_s = 0.05;
  o.retry.max_attempts = 2;  // let some failures reach the queue, which retries them itself
  const std::string container = "queue-" + std::to_string(time(nullptr));
  auto remote = std::make_shared<gan::AzureStorage>("az://devstoreaccount1/" + container + "/runs", o);
  remote->put("marker", "m");  // creates the container before the faults start
  gan_test::TempDir d;
  st->proxy("reset");
  st->proxy("faults", R"([{"kind":"503","count":6,"method":"PUT"},{"kind":"500","count":3,"method":"PUT"},
                          {"kind":"reset","count":3,"method":"PUT"}])");
  gan::UploadQueueOptions qo;
  qo.retry_min_s = 0.02;
  qo.retry_max_s = 0.1;
  qo.log = [](const std::string&) {};
  std::map<std::string, std::string> files;
  {
    gan::UploadQueue q(remote, d.path() + "/journal", qo);
    for (int i = 0; i < 12; i++) {
      std::string key = "run/epoch/" + std::to_string(i) + "/summary.json";
      files[key] = gan_test::random_bytes(1000 + i, 10 + i);
      q.on_artifact(key, gan_test::write_file(d.path() + "/f" + std::to_string(i), files[key]));
    }
    auto res = q.drain(60);
    EXPECT_TRUE(res.complete());
  }
  std::string stats = st->proxy("stats");
  for (auto& [key, bytes] : files) {
    EXPECT_EQ(remote->get(key), bytes) << key;
    std::string path = "/devstoreaccount1/" + container + "/runs/" + key;
    EXPECT_NE(stats.find("\"" + path + "\": 1"), std::string::npos) << key << " not stored exactly once: " << stats;
  }
  st->proxy("reset");
}

}  // namespace

namespace {

// The service's clock is 40 minutes ahead: the first request is refused (x-ms-date too far off),
// the client learns the offset from the answer's Date header, and every request after that is
// signed with the service's time.
TEST(AzureBlob, ClockSkewLearntFromTheServiceDate) {
  NEED_AZURITE(st);
  azure::BlobClient c(azurite_config(st->endpoint()));
  c.create_container("skew");
  st->proxy("reset");
  st->proxy("skew", R"({"seconds": 2400})");
  c.put("skew", "a", "1");
  EXPECT_NEAR(static_cast<double>(c.clock_skew()), 2400, 5);
  EXPECT_EQ(c.get("skew", "a"), "1");
  EXPECT_NE(st->proxy("stats").find("\"faults\": 1"), std::string::npos) << st->proxy("stats");  // only the first
  st->proxy("reset");
}

}  // namespace

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ./gan's exit after --upload-timeout over az://: against a server that accepts connections and
// never answers, the queue's drain deadline cuts the upload in flight short — here a block upload,
// its blocks in flight together — instead of waiting out every retry (8 attempts of a 30 s stall
// limit each, with the defaults used here), and what was not uploaded stays in the journal.
TEST(AzureCancel, UploadQueueShutdownIsBoundedByTheDrainTimeoutAgainstAHungServer) {
  gan_test::HangingServer hung;
  gan_test::TempDir dir;
  gan::AzureOptions o;
  o.endpoint = hung.endpoint() + "/devstoreaccount1";
  o.credential = azurite_config(o.endpoint).credential;
  o.multipart_threshold = 1 << 20;
  o.part_size = 256 << 10;
  auto remote = std::make_shared<gan::AzureStorage>("az://devstoreaccount1/hung/runs", o);
  const std::string journal = dir.path() + "/journal";
  gan::UploadQueueOptions qo;
  qo.log = [](const std::string&) {};
  auto t0 = std::chrono::steady_clock::now();
  {
    gan::UploadQueue q(remote, journal, qo);
    q.on_artifact("epoch/1/generator.safetensors",
                  gan_test::write_file(dir.path() + "/g.safetensors", gan_test::random_bytes(3 << 20, 1)));  // 12 blocks
    q.on_artifact("epoch/1/summary.json", gan_test::write_file(dir.path() + "/s.json", "{}"));
    auto r = q.drain(2);
    EXPECT_GE(seconds_since(t0), 2.0);
    ASSERT_EQ(r.failed.size(), 2u);
    EXPECT_TRUE(r.failed[0].in_flight);
    EXPECT_FALSE(r.failed[1].in_flight);
    EXPECT_EQ(r.failed[1].attempts, 0);
  }
  EXPECT_LT(seconds_since(t0), 2.0 + 3.0) << "the queue waited for the hung upload's retries";
  EXPECT_GE(hung.connections(), 2) << "the blocks were not in flight together";
  EXPECT_FALSE(remote->client().cancelled()) << "the storage stays usable after the queue";
  // Both are still journaled, the storage sends again, and a queue destroyed mid-upload (no
  // drain) is just as quick.
  const int before = hung.connections();
  auto t1 = std::chrono::steady_clock::now();
  {
    gan::UploadQueue q(remote, journal, qo);
    EXPECT_EQ(q.pending_count(), 2u);
    while (hung.connections() == before && seconds_since(t1) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GT(hung.connections(), before) << "the second queue's upload was never sent";
  }
  EXPECT_LT(seconds_since(t1), 5.0 + 2.0);
}

// Azure starts a listing with a UTF-8 byte order mark and puts a blob's size, ETag, type and time
// (an HTTP date) in <Properties>: the one listing loop reads Azure's names, without Azurite.
TEST(AzureBlob, ListingReadsAzuresElementNamesAfterAByteOrderMark) {
  std::string query;
  gan_test::FakeServer server([&](const httplib::Request& req, httplib::Response& res) {
    query = req.target.substr(req.target.find('?') + 1);
    res.set_content("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs><Blob>"
                    "<Name>run/a.png</Name><Properties><Last-Modified>Tue, 02 Jan 2024 03:04:05 GMT</Last-Modified>"
                    "<Etag>0x8D1</Etag><Content-Length>42</Content-Length><Content-Type>image/png</Content-Type>"
                    "</Properties></Blob><BlobPrefix><Name>run/epoch/</Name></BlobPrefix></Blobs><NextMarker/>"
                    "</EnumerationResults>",
                    "application/xml");
  });
  azure::BlobClient c(azurite_config(server.endpoint() + "/" + azure::kDevAccount));
  cloud::Listing l = c.list("gan", "run/", "/", 2);
  EXPECT_EQ(query, "restype=container&comp=list&prefix=run%2F&delimiter=%2F&maxresults=2");
  ASSERT_EQ(l.objects.size(), 1u);
  EXPECT_EQ(l.objects[0].key, "run/a.png");
  EXPECT_EQ(l.objects[0].size, 42);
  EXPECT_EQ(l.objects[0].etag, "0x8D1");
  EXPECT_EQ(l.objects[0].content_type, "image/png");
  EXPECT_EQ(l.objects[0].last_modified, 1704164645);  // 2024-01-02T03:04:05Z
  EXPECT_EQ(l.common_prefixes, std::vector<std::string>{"run/epoch/"});
  EXPECT_EQ(server.requests(), 1);
}

}  // namespace
