// Every route of the monitor, against runs written into a temporary folder.
#include <rapidjson/document.h>

#include <atomic>
#include <functional>

#include "monitor_fixture.h"
#include "storage/azure_storage.h"
#include "storage/gcs_storage.h"

namespace gan::http::testing {
namespace {

rapidjson::Document json(const httplib::Result& r) {
  rapidjson::Document d;
  EXPECT_TRUE(r) << "no response";
  if (!r) return d;
  d.Parse(r->body.c_str());
  EXPECT_FALSE(d.HasParseError()) << r->body.substr(0, 200);
  return d;
}

class MonitorRoutes : public MonitorTest {
 protected:
  void SetUp() override {
    MonitorTest::SetUp();
    write_run(*storage_, "20260101T000000Z", 2, 5);
    write_run(*storage_, "20260301T000000Z", 3, 10);
    write_run(*storage_, "20260201T000000Z", 1, 5);
  }
};

TEST_F(MonitorRoutes, Healthz) {
  start();
  auto r = get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
}

TEST_F(MonitorRoutes, RunsNewestFirst) {
  start();
  auto d = json(get("/api/runs"));
  ASSERT_TRUE(d.IsObject());
  const auto& runs = d["runs"];
  ASSERT_EQ(runs.Size(), 3u);
  EXPECT_STREQ(runs[0]["id"].GetString(), "20260301T000000Z");
  EXPECT_STREQ(runs[1]["id"].GetString(), "20260201T000000Z");
  EXPECT_STREQ(runs[2]["id"].GetString(), "20260101T000000Z");
  EXPECT_FALSE(runs[0]["live"].GetBool());
  EXPECT_TRUE(d["live"].IsNull());
}

TEST_F(MonitorRoutes, RunDocument) {
  start();
  auto d = json(get("/api/runs/20260301T000000Z"));
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["id"].GetString(), "20260301T000000Z");
  EXPECT_EQ(d["hyperparameters"]["epochs"].GetInt(), 100);
  const auto& ep = d["epochs"];
  ASSERT_EQ(ep.Size(), 4u);  // 3, 2, 1, 0: newest first, as the reference's dropdown
  EXPECT_EQ(ep[0].GetInt(), 3);
  EXPECT_EQ(ep[3].GetInt(), 0);
  EXPECT_TRUE(d["target"].GetBool());
  EXPECT_EQ(d["total_rows"].GetInt(), 30);
  EXPECT_EQ(d["first_step"].GetInt(), 1);
  EXPECT_EQ(d["last_step"].GetInt(), 30);
  EXPECT_TRUE(d["progress"].IsNull());
  EXPECT_EQ(d["files"].Size(), 2u);
  EXPECT_EQ(d["errors"].Size(), 0u);
  EXPECT_EQ(get("/api/runs/20991231T000000Z")->status, 404);
}

TEST_F(MonitorRoutes, SeriesRawWhenItFits) {
  start();
  auto d = json(get("/api/runs/20260301T000000Z/series?width=1000"));
  EXPECT_EQ(d["total"].GetInt(), 30);
  EXPECT_EQ(d["bucket_size"].GetInt(), 1);
  ASSERT_EQ(d["x"].Size(), 30u);
  EXPECT_EQ(d["x"][0].GetInt(), 1);
  EXPECT_EQ(d["x"][29].GetInt(), 30);
  const auto& dl = d["series"]["d_loss_real"];
  EXPECT_FALSE(dl.HasMember("min"));  // raw points need no band
  EXPECT_NEAR(dl["mean"][1].GetDouble(), 0.5, 1e-6);
  EXPECT_NEAR(d["series"]["class_acc"]["mean"][0].GetDouble(), 0.75, 1e-6);
}

TEST_F(MonitorRoutes, SeriesGzippedOnceForEveryClient) {
  write_run(*storage_, "20260401T000000Z", 4, 500);
  start();
  const std::string path = "/api/runs/20260401T000000Z/series?width=700";
  auto plain = get(path);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
  auto raw_client = client();
  raw_client.set_decompress(false);
  auto gz = raw_client.Get(path, {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(gz->body.size(), plain->body.size() / 2);
  EXPECT_EQ(gz->body.substr(0, 2), std::string("\x1f\x8b", 2));  // gzip magic: compressed exactly once
  auto decoded = client().Get(path, {{"Accept-Encoding", "gzip"}});  // httplib's client inflates it
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->body, plain->body);
  EXPECT_EQ(get(path, {{"Accept-Encoding", "gzip;q=0"}})->body, plain->body);
}

TEST_F(MonitorRoutes, EpochDocument) {
  start();
  auto d = json(get("/api/runs/20260301T000000Z/epochs/2"));
  EXPECT_EQ(d["epoch"].GetInt(), 2);
  EXPECT_EQ(d["summary"]["Epoch"].GetInt(), 2);
  EXPECT_TRUE(d["generated"].GetBool());
  EXPECT_EQ(d["rows"].GetInt(), 10);
  std::vector<std::string> names;
  for (const auto& f : d["files"].GetArray()) names.push_back(f["name"].GetString());
  EXPECT_EQ(names, (std::vector<std::string>{"generated.png", "generator.safetensors", "metrics.csv", "summary.json"}));
  EXPECT_STREQ(d["files"][0]["url"].GetString(), "/files/20260301T000000Z/epoch/2/generated.png");
  EXPECT_EQ(get("/api/runs/20260301T000000Z/epochs/7")->status, 404);
  EXPECT_EQ(get("/api/runs/20260301T000000Z/epochs/x")->status, 404);
  auto e0 = json(get("/api/runs/20260301T000000Z/epochs/0"));  // before training: an image only
  EXPECT_TRUE(e0["summary"].IsNull());
  EXPECT_EQ(e0["rows"].GetInt(), 0);
}

TEST_F(MonitorRoutes, RowsPaginated) {
  start();
  auto d = json(get("/api/runs/20260301T000000Z/epochs/3/rows?page=1&per_page=4"));
  EXPECT_EQ(d["total"].GetInt(), 10);
  EXPECT_EQ(d["pages"].GetInt(), 3);
  EXPECT_EQ(d["page"].GetInt(), 1);
  ASSERT_EQ(d["rows"].Size(), 4u);
  EXPECT_EQ(d["rows"][0][0].GetInt(), 25);  // step of epoch 3's fifth row
  EXPECT_STREQ(d["columns"][0].GetString(), "step");
  auto last = json(get("/api/runs/20260301T000000Z/epochs/3/rows?page=99&per_page=4"));
  EXPECT_EQ(last["page"].GetInt(), 2);  // clamped, not an error
  EXPECT_EQ(last["rows"].Size(), 2u);
}

TEST_F(MonitorRoutes, PagesAndNotFound) {
  start();
  for (const char* p : {"/", "/20260301T000000Z", "/20260301T000000Z/", "/20260301T000000Z/2", "/20260301T000000Z/0"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 200) << p;
    EXPECT_NE(r->body.find("<canvas id=\"chart-dloss\""), std::string::npos) << p;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  }
  for (const char* p : {"/20991231T000000Z", "/20260301T000000Z/99", "/20260301T000000Z/latest", "/a/b/c", "/api/nothing"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 404) << p;
  }
  EXPECT_NE(get("/20991231T000000Z")->body.find("No run named"), std::string::npos);
}

TEST_F(MonitorRoutes, Assets) {
  start();
  auto js = get("/assets/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "application/javascript");
  EXPECT_NE(js->body.find("EventSource"), std::string::npos);
  EXPECT_EQ(get("/assets/chart.js")->status, 200);
  EXPECT_EQ(get("/assets/app.css")->get_header_value("Content-Type"), "text/css");
  EXPECT_EQ(get("/assets/nothing.js")->status, 404);
  // No external resources: the page works offline.
  auto html = get("/")->body;
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST_F(MonitorRoutes, FilesWithContentTypes) {
  start();
  const std::string base = "/files/20260301T000000Z/epoch/1/";
  auto png = get(base + "generated.png");
  ASSERT_TRUE(png);
  EXPECT_EQ(png->status, 200);
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(png->body, *storage_->get("20260301T000000Z/epoch/1/generated.png"));
  EXPECT_FALSE(png->has_header("Content-Disposition"));
  EXPECT_EQ(png->get_header_value("Content-Security-Policy").rfind("sandbox;", 0), 0u);
  auto csv = get(base + "metrics.csv");
  EXPECT_EQ(csv->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv->get_header_value("Content-Disposition"), "attachment; filename=\"metrics.csv\"");
  EXPECT_EQ(csv->body.substr(0, 6), "Epoch,");
  EXPECT_EQ(get(base + "summary.json")->get_header_value("Content-Type"), "application/json");
  auto st = get(base + "generator.safetensors");
  EXPECT_EQ(st->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(st->body.size(), 16u);
  EXPECT_EQ(get("/files/20260301T000000Z/target.png")->status, 200);
  EXPECT_EQ(get(base + "nothing.png")->status, 404);
  EXPECT_EQ(get("/files/20260301T000000Z")->status, 400);  // a run is not a file
}

// A storage that has presigned URLs (as S3 does, or MinIO over plain http), under `base`.
class PresigningStorage : public LocalStorage {
 public:
  PresigningStorage(std::string root, std::string base) : LocalStorage(std::move(root)), base_(std::move(base)) {}
  std::string presign(const std::string& key, int64_t expires) override {
    return base_ + key + "?X-Amz-Expires=" + std::to_string(expires);
  }

 private:
  std::string base_;
};

// Presigned https URLs: the monitor redirects instead of proxying.
TEST_F(MonitorRoutes, FilesRedirectToPresignedUrl) {
  storage_ = std::make_unique<PresigningStorage>(dir_, "https://bucket.example/");
  start();
  auto r = get("/files/20260301T000000Z/epoch/1/generator.safetensors");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->get_header_value("Location"), "https://bucket.example/20260301T000000Z/epoch/1/generator.safetensors?X-Amz-Expires=3600");
  EXPECT_EQ(get("/files/20260301T000000Z/epoch/1/missing.bin")->status, 404);  // no redirect to nothing
}

// MinIO or Ceph over plain http: the page's policy allows images from https: only, so an http
// presigned URL would leave the page without images. The monitor serves those bytes itself.
TEST_F(MonitorRoutes, FilesFromPlainHttpPresignerAreServedHere) {
  storage_ = std::make_unique<PresigningStorage>(dir_, "http://minio.lan:9000/bucket/");
  start();
  const std::string key = "20260301T000000Z/epoch/1/generated.png";
  auto r = get("/files/" + key);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->has_header("Location"));
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(r->body, *storage_->get(key));
  // The page's policy indeed would not have let the browser load the http URL.
  const std::string policy = get("/")->get_header_value("Content-Security-Policy");
  const std::string img = policy.substr(policy.find("img-src"), policy.find(';', policy.find("img-src")) - policy.find("img-src"));
  EXPECT_EQ(img.find("http:"), std::string::npos) << img;
  EXPECT_NE(img.find("https:"), std::string::npos) << img;
}

// The runs are read from the local folder, but links come from a cloud backend opened with the
// credentials of a monitor VM (no network is needed: presign decides from the credential alone).
class CloudLinkStorage : public LocalStorage {
 public:
  CloudLinkStorage(const std::string& dir, std::unique_ptr<Storage> cloud) : LocalStorage(dir), cloud_(std::move(cloud)) {}
  std::string presign(const std::string& key, int64_t expires) override { return cloud_->presign(key, expires); }

 private:
  std::unique_ptr<Storage> cloud_;
};

class NeverAskedTokens : public cloud::TokenSource {
 public:
  std::string name() const override { return "test metadata server"; }
  cloud::AccessToken fetch(int64_t) override { throw std::runtime_error("no token needed to decide about links"); }
};

// A monitor VM on GCP or Azure has only the VM's identity (infra/ gives it no keys), and an Azure
// SAS that may write must not be handed to viewers: no link, so the monitor serves the bytes.
TEST_F(MonitorRoutes, FilesServedHereWhenTheCredentialsMakeNoLinks) {
  auto tokens = std::make_shared<cloud::TokenCache>(std::make_shared<NeverAskedTokens>());
  std::vector<std::pair<std::string, std::function<std::unique_ptr<Storage>()>>> clouds;
  clouds.emplace_back("GCS with a metadata-server token", [&] {
    GcsOptions o;
    o.tokens = tokens;
    return std::make_unique<GcsStorage>("gs://gan-bucket/runs", o);
  });
  clouds.emplace_back("Azure with a managed identity", [&] {
    AzureOptions o;
    o.endpoint = "https://ganacct.blob.core.windows.net";
    azure::AzureCredential c;
    c.kind = azure::AzureCredential::Kind::Bearer;
    c.tokens = tokens;
    c.source = tokens->name();
    o.credential = c;
    return std::make_unique<AzureStorage>("az://ganacct/gan-training-storage/runs", o);
  });
  clouds.emplace_back("Azure with a read-write SAS", [&] {
    AzureOptions o;
    o.endpoint = "https://ganacct.blob.core.windows.net";
    azure::AzureCredential c;
    c.kind = azure::AzureCredential::Kind::Sas;
    c.sas = "sv=2019-12-12&ss=b&srt=sco&sp=racwdl&se=2030-01-01T00:00:00Z&sig=abc";
    c.source = "AZURE_STORAGE_SAS_TOKEN";
    o.credential = c;
    return std::make_unique<AzureStorage>("az://ganacct/gan-training-storage/runs", o);
  });
  const std::string key = "20260301T000000Z/epoch/1/generated.png";
  const std::string bytes = *storage_->get(key);
  for (auto& [what, open] : clouds) {
    auto cloud = open();
    EXPECT_THROW(cloud->presign(key, 60), PresignUnavailable) << what;
    storage_ = std::make_unique<CloudLinkStorage>(dir_, std::move(cloud));
    start();
    auto r = get("/files/" + key);
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->status, 200) << what << ": " << r->body.substr(0, 300);
    EXPECT_FALSE(r->has_header("Location")) << what;
    EXPECT_EQ(r->body, bytes) << what;
    EXPECT_EQ(r->body.find("sp=racwdl"), std::string::npos) << what;
    server_.reset();
  }
}

TEST_F(MonitorRoutes, Favicon) {
  start();
  auto r = get("/favicon.ico");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_EQ(r->body, get("/assets/favicon.svg")->body);
  EXPECT_NE(r->body.find("<svg"), std::string::npos);
}

// A bucket that is down: every read throws, as the S3/Azure/GCS clients do on network errors.
class DownStorage : public LocalStorage {
 public:
  using LocalStorage::LocalStorage;
  std::atomic<bool> down{false};
  std::optional<std::string> get(const std::string& key) override { fail(); return LocalStorage::get(key); }
  std::optional<ObjectInfo> stat(const std::string& key) override { fail(); return LocalStorage::stat(key); }
  std::vector<ObjectInfo> list(const std::string& prefix) override { fail(); return LocalStorage::list(prefix); }
  std::vector<std::string> list_dirs(const std::string& prefix) override { fail(); return LocalStorage::list_dirs(prefix); }

 private:
  void fail() const {
    if (down) throw std::runtime_error("s3://bucket: connection refused");
  }
};

TEST_F(MonitorRoutes, StorageOutageAnswers503) {
  auto owned = std::make_unique<DownStorage>(dir_);
  DownStorage* st = owned.get();
  storage_ = std::move(owned);
  start();
  EXPECT_EQ(get("/api/runs")->status, 200);
  st->down = true;
  for (const char* p : {"/api/runs", "/api/runs/20260301T000000Z", "/api/runs/20260301T000000Z/series",
                        "/api/runs/20260301T000000Z/epochs/2", "/api/runs/20260301T000000Z/epochs/2/rows"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 503) << p;
    auto d = json(r);
    ASSERT_TRUE(d.IsObject() && d.HasMember("error")) << p << ": " << r->body;
    EXPECT_NE(std::string(d["error"].GetString()).find("storage unavailable"), std::string::npos) << r->body;
  }
  for (const char* p : {"/20260301T000000Z", "/20260301T000000Z/2", "/files/20260301T000000Z/target.png"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 503) << p;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8") << p;
    EXPECT_NE(r->body.find("Storage unavailable"), std::string::npos) << p;
  }
  EXPECT_EQ(get("/healthz")->status, 200);  // the process itself is fine
  st->down = false;
  EXPECT_EQ(get("/api/runs/20260301T000000Z")->status, 200);  // and recovers with the bucket
}

// The live run's newest quality metrics and best epoch, once its summaries and best.json hold them.
TEST_F(MonitorRoutes, MetricsIncludeQualityAndBestEpoch) {
  RunState& live = live_;
  const std::string run = "20260402T000000Z";
  live.begin(run, "{}");
  Progress p;
  p.epoch = 2, p.epochs = 10, p.batch = 5, p.batches = 5, p.live = true;
  live.add_batches({make_row(2, 5, 5, 0.5f)}, p);
  storage_->put(run + "/epoch/1/summary.json", "{\"Epoch\": 1, \"Frechet Distance\": 80.5, \"Class Agreement\": 0.25}");
  storage_->put(run + "/epoch/2/summary.json",
                "{\"Epoch\": 2, \"Frechet Distance\": 12.5, \"Class Agreement\": 0.75, \"Precision\": 0.5, "
                "\"Recall\": 0.125, \"Evaluator Accuracy\": 0.96875}");
  storage_->put(run + "/best.json", "{\"epoch\": 2}");
  start(&live);
  auto r = get("/metrics");
  ASSERT_TRUE(r);
  const std::string& b = r->body;
  const std::string l = "{run=\"" + run + "\"} ";
  for (const std::string& want : {"gan_quality_epoch" + l + "2\n", "gan_frechet_distance" + l + "12.5\n",
                                  "gan_class_agreement" + l + "0.75\n", "gan_precision" + l + "0.5\n",
                                  "gan_recall" + l + "0.125\n", "gan_evaluator_accuracy" + l + "0.96875\n",
                                  "# TYPE gan_best_epoch gauge\ngan_best_epoch" + l + "2\n"})
    EXPECT_NE(b.find(want), std::string::npos) << want << "\n" << b;
}

TEST_F(MonitorRoutes, MetricsPrometheusText) {
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin("20260401T000000Z", "{}");
  Progress p;
  p.epoch = 3, p.epochs = 10, p.batch = 4, p.batches = 5, p.images_per_sec = 1234.5, p.live = true;
  live.add_batches({make_row(3, 4, 5, 0.25f)}, p);
  live.set_upload_queue(7);
  start(&live);
  auto r = get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& b = r->body;
  EXPECT_NE(b.find("# TYPE gan_epoch gauge\ngan_epoch{run=\"20260401T000000Z\"} 3\n"), std::string::npos) << b;
  EXPECT_NE(b.find("gan_images_per_second{run=\"20260401T000000Z\"} 1234.5\n"), std::string::npos);
  EXPECT_NE(b.find("gan_upload_queue_length{run=\"20260401T000000Z\"} 7\n"), std::string::npos);
  EXPECT_NE(b.find("gan_d_loss_real{run=\"20260401T000000Z\"} 0.25\n"), std::string::npos);
  EXPECT_NE(b.find("gan_d_accuracy_fake{run=\"20260401T000000Z\"} 0.25\n"), std::string::npos);
  EXPECT_NE(b.find("gan_minibatches_total{run=\"20260401T000000Z\"} 1\n"), std::string::npos);
}

TEST_F(MonitorRoutes, LiveEndpoint) {
  start();
  EXPECT_EQ(get("/api/live")->status, 404);  // standalone: nothing trains here
}

TEST_F(MonitorRoutes, PortInUseIsAClearError) {
  start();
  MonitorOptions o;
  o.bind = "127.0.0.1";
  o.port = server_->port();
  o.quiet = true;
  MonitorServer second(o, *storage_, nullptr);
  try {
    second.start();
    FAIL() << "a second server on the same port started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(o.port)), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--monitor-port"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gan::http::testing
