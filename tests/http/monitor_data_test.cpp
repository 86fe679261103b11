// What the monitor shows from incomplete, broken and foreign run folders, and the downsampling.
#include <rapidjson/document.h>

#include <cmath>
#include <limits>
#include <random>

#include "http/api.h"
#include "http/downsample.h"
#include "monitor_fixture.h"

namespace gan::http::testing {
namespace {

rapidjson::Document json_of(const httplib::Result& r, int status = 200) {
  rapidjson::Document d;
  EXPECT_TRUE(r);
  if (!r) return d;
  EXPECT_EQ(r->status, status) << r->body.substr(0, 300);
  d.Parse(r->body.c_str());
  EXPECT_FALSE(d.HasParseError()) << r->body.substr(0, 200);
  return d;
}

using MonitorData = MonitorTest;

// The event stream's and the errors' documents, to the byte (the page parses them; they were
// written by hand before RapidJSON's writer).
TEST(MonitorEvents, DocumentsAreExact) {
  const std::vector<BatchRow> rows = {make_row(1, 2, 3, 0.5f)};
  EXPECT_EQ(batches_event_json("r1", 7, &rows),
            "{\"run\":\"r1\",\"total\":7,\"rows\":[[2,1,100,2,3,0.5,0.6,1.5,0.25,0.5,0.25,0.75,0.01]]}");
  EXPECT_EQ(batches_event_json("r1", 9000, nullptr), "{\"run\":\"r1\",\"total\":9000,\"rows\":null}");
  EXPECT_EQ(run_event_json("r1", "epoch", 4), "{\"run\":\"r1\",\"epoch\":4}");
  EXPECT_EQ(run_event_json("r1"), "{\"run\":\"r1\"}");
  EXPECT_EQ(error_json("no run named \"x\\y\"\n"), "{\"error\":\"no run named \\\"x\\\\y\\\"\\n\"}");
}

TEST_F(MonitorData, PartialEpochsShowWhatExists) {
  const std::string run = "20260301T000000Z";
  write_run(*storage_, run, 2, 5);
  // Epoch 3: only the image has arrived. Epoch 4: summary and metrics cut off mid-write.
  storage_->put(run + "/epoch/3/generated.png", tiny_png(30));
  storage_->put(run + "/epoch/4/summary.json", "{\"Epoch\": 4, \"Real Acc");
  storage_->put(run + "/epoch/4/metrics.csv", metrics_csv_header() + "\n4,100,1,5,0.5,0.5,1.5,0.1,0.5,0.5,0.5,0.01\n4,100,2");
  start();

  auto e3 = json_of(get("/api/runs/" + run + "/epochs/3"));
  EXPECT_TRUE(e3["summary"].IsNull());
  EXPECT_TRUE(e3["generated"].GetBool());
  EXPECT_EQ(e3["rows"].GetInt(), 0);
  EXPECT_EQ(e3["files"].Size(), 1u);
  auto rows3 = json_of(get("/api/runs/" + run + "/epochs/3/rows"));
  EXPECT_EQ(rows3["total"].GetInt(), 0);

  auto e4 = json_of(get("/api/runs/" + run + "/epochs/4"));
  EXPECT_TRUE(e4["summary"].IsNull());
  EXPECT_FALSE(e4["generated"].GetBool());
  EXPECT_GE(e4["errors"].Size(), 1u);
  EXPECT_EQ(get("/files/" + run + "/epoch/4/generated.png")->status, 404);

  // The run and its series still load: the broken file contributes nothing and is named.
  auto r = json_of(get("/api/runs/" + run));
  EXPECT_EQ(r["epochs"][0].GetInt(), 4);
  auto s = json_of(get("/api/runs/" + run + "/series?width=100"));
  EXPECT_EQ(s["total"].GetInt(), 10);
  ASSERT_EQ(s["errors"].Size(), 1u);
  EXPECT_NE(std::string(s["errors"][0].GetString()).find("epoch/4/metrics.csv"), std::string::npos);
  for (const char* p : {"/", "/20260301T000000Z/3", "/20260301T000000Z/4"}) EXPECT_EQ(get(p)->status, 200) << p;
}

// A 2 MB summary.json of "[[[[..." overflowed the stack of RapidJSON's recursive parser (and a
// DOM's Accept would recurse as deep): now it is null plus an error, like any unparsable file.
TEST_F(MonitorData, DeeplyNestedJsonInStorageIsAnErrorNotACrash) {
  const std::string run = "20260301T000000Z";
  write_run(*storage_, run, 2, 5);
  storage_->put(run + "/epoch/2/summary.json", std::string(2 << 20, '['));
  storage_->put(run + "/hyperparameters.json", std::string(100000, '[') + std::string(100000, ']'));
  start();
  auto e = json_of(get("/api/runs/" + run + "/epochs/2"));
  EXPECT_TRUE(e["summary"].IsNull());
  ASSERT_GE(e["errors"].Size(), 1u);
  EXPECT_NE(std::string(e["errors"][0].GetString()).find("summary.json: nested deeper than 64"), std::string::npos)
      << e["errors"][0].GetString();
  auto r = json_of(get("/api/runs/" + run));
  EXPECT_TRUE(r["hyperparameters"].IsNull());
  // Documents within the limit still come through unchanged.
  storage_->put(run + "/epoch/2/summary.json", "{\"Epoch\":2,\"Nested\":{\"a\":[1,[2,{\"b\":null}]]}}");
  auto ok = json_of(get("/api/runs/" + run + "/epochs/2"));
  EXPECT_EQ(ok["summary"]["Epoch"].GetInt(), 2);
  EXPECT_TRUE(ok["summary"]["Nested"]["a"][1][1]["b"].IsNull());
}

TEST_F(MonitorData, RunWithNothingYet) {
  storage_->put("20260301T000000Z/hyperparameters.json", "{\"epochs\": 3}");
  storage_->put("20260302T000000Z/target.png", tiny_png(1));  // no hyperparameters at all
  start();
  auto a = json_of(get("/api/runs/20260301T000000Z"));
  EXPECT_EQ(a["epochs"].Size(), 0u);
  EXPECT_EQ(a["total_rows"].GetInt(), 0);
  EXPECT_FALSE(a["target"].GetBool());
  auto b = json_of(get("/api/runs/20260302T000000Z"));
  EXPECT_TRUE(b["hyperparameters"].IsNull());
  EXPECT_TRUE(b["target"].GetBool());
  auto s = json_of(get("/api/runs/20260302T000000Z/series"));
  EXPECT_EQ(s["total"].GetInt(), 0);
  EXPECT_EQ(s["x"].Size(), 0u);
  EXPECT_EQ(get("/20260302T000000Z")->status, 200);
}

TEST_F(MonitorData, EmptyStorage) {
  start();
  auto d = json_of(get("/api/runs"));
  EXPECT_EQ(d["runs"].Size(), 0u);
  EXPECT_EQ(get("/")->status, 200);
}

// A run folder as the reference (Keras) system wrote it: seven-column metrics.csv, its summary
// keys, loss_accuracy.png and model.h5, no hyperparameters.json.
TEST_F(MonitorData, ReferenceSystemRun) {
  const std::string run = "20230415T101500Z";
  storage_->put(run + "/target.png", tiny_png(128));
  for (int e : {10, 20}) {
    const std::string d = run + "/epoch/" + std::to_string(e) + "/";
    std::string csv = "Epoch,Epochs,Mini-Batch,Mini-Batches,Discriminator Loss: Real,Discriminator Loss: Fake,GAN Loss\n";
    for (int ep = e - 9; ep <= e; ++ep)
      for (int b = 1; b <= 3; ++b) csv += std::to_string(ep) + ",100," + std::to_string(b) + ",3,0.6,0.7,0.9\n";
    storage_->put(d + "metrics.csv", csv);
    storage_->put(d + "summary.json", "{\"Epoch\": " + std::to_string(e) +
                                          ", \"Real Accuracy\": 0.83, \"Fake Accuracy\": 0.91, \"Elapsed Time\": 123.4}");
    storage_->put(d + "generated.png", tiny_png((uint8_t)e));
    storage_->put(d + "loss_accuracy.png", tiny_png(77));
    storage_->put(d + "model.h5", std::string("\x89HDF\r\n\x1a\n", 8) + std::string(100, '\0'));
  }
  start();
  auto r = json_of(get("/api/runs/" + run));
  EXPECT_TRUE(r["hyperparameters"].IsNull());
  ASSERT_EQ(r["epochs"].Size(), 2u);
  EXPECT_EQ(r["epochs"][0].GetInt(), 20);
  EXPECT_EQ(r["total_rows"].GetInt(), 60);
  EXPECT_EQ(r["errors"].Size(), 0u);

  auto s = json_of(get("/api/runs/" + run + "/series?width=1000"));
  EXPECT_EQ(s["total"].GetInt(), 60);
  EXPECT_EQ(s["x"][59].GetInt(), 60);  // steps from (epoch-1)*batches+batch
  EXPECT_NEAR(s["series"]["d_loss_real"]["mean"][0].GetDouble(), 0.6, 1e-6);
  EXPECT_NEAR(s["series"]["g_loss"]["mean"][59].GetDouble(), 0.9, 1e-6);
  EXPECT_TRUE(s["series"]["class_loss"]["mean"][0].IsNull());  // the reference had none: null, not 0
  EXPECT_TRUE(s["series"]["d_acc_real"]["mean"][0].IsNull());

  auto e = json_of(get("/api/runs/" + run + "/epochs/20"));
  EXPECT_NEAR(e["summary"]["Real Accuracy"].GetDouble(), 0.83, 1e-9);
  EXPECT_NEAR(e["summary"]["Elapsed Time"].GetDouble(), 123.4, 1e-9);
  EXPECT_EQ(e["rows"].GetInt(), 30);
  std::vector<std::string> names;
  for (const auto& f : e["files"].GetArray()) names.push_back(f["name"].GetString());
  EXPECT_EQ(names, (std::vector<std::string>{"generated.png", "loss_accuracy.png", "metrics.csv", "model.h5", "summary.json"}));
  auto rows = json_of(get("/api/runs/" + run + "/epochs/20/rows?per_page=5"));
  EXPECT_EQ(rows["total"].GetInt(), 30);
  EXPECT_TRUE(rows["rows"][0][8].IsNull());  // class_loss column

  auto h5 = get("/files/" + run + "/epoch/20/model.h5");
  EXPECT_EQ(h5->status, 200);
  EXPECT_EQ(h5->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(h5->get_header_value("Content-Disposition"), "attachment; filename=\"model.h5\"");
  EXPECT_EQ(h5->body.size(), 108u);
  EXPECT_EQ(get("/files/" + run + "/epoch/10/loss_accuracy.png")->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(get("/" + run + "/10")->status, 200);
  EXPECT_EQ(get("/" + run + "/15")->status, 404);
}

// ---- downsampling ----

std::vector<BatchRow> noisy_rows(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 0.1f);
  std::vector<BatchRow> rows(n);
  for (size_t i = 0; i < n; ++i) {
    rows[i] = make_row(1, (int)i + 1, (int)n, 1.0f + noise(rng));
    rows[i].step = (int64_t)i + 1;
  }
  return rows;
}

TEST(MonitorDownsample, MinMaxPreservedPerBucket) {
  for (size_t n : {1u, 7u, 999u, 1000u, 1001u, 50000u}) {
    auto rows = noisy_rows(n, (uint32_t)n);
    if (n > 10) {
      rows[n / 3].d_loss_real = 50.0f;    // a spike must survive downsampling
      rows[n / 2].g_loss = -20.0f;        // and a dip
    }
    for (int width : {1, 3, 640, 1000}) {
      auto b = downsample(rows, 0, rows.size(), width);
      ASSERT_EQ(b.size(), std::min(n, (size_t)width)) << n << " " << width;
      size_t i = 0, min_size = n, max_size = 0;
      for (const Bucket& k : b) {
        ASSERT_EQ(k.x_first, rows[i].step);
        size_t count = (size_t)k.count;
        min_size = std::min(min_size, count);
        max_size = std::max(max_size, count);
        for (int m = 0; m < kMetricCount; ++m) {
          float mn = INFINITY, mx = -INFINITY;
          double sum = 0;
          for (size_t j = i; j < i + count; ++j) {
            float v = metric_value(rows[j], m);
            mn = std::min(mn, v), mx = std::max(mx, v), sum += v;
          }
          ASSERT_EQ(k.min[m], mn);
          ASSERT_EQ(k.max[m], mx);
          ASSERT_NEAR(k.mean[m], sum / count, 1e-5);
        }
        i += count;
        ASSERT_EQ(k.x_last, rows[i - 1].step);
      }
      EXPECT_EQ(i, n);                      // every row in exactly one bucket
      EXPECT_LE(max_size - min_size, 1u);   // even buckets
      if (n > 10) {
        float gmax = -INFINITY, gmin = INFINITY;
        for (const Bucket& k : b) gmax = std::max(gmax, k.max[0]), gmin = std::min(gmin, k.min[2]);
        EXPECT_EQ(gmax, 50.0f);
        EXPECT_EQ(gmin, -20.0f);
      }
    }
  }
}

TEST(MonitorDownsample, MissingValuesAreNaNNotZero) {
  auto rows = noisy_rows(10, 1);
  for (auto& r : rows) r.class_loss = std::numeric_limits<float>::quiet_NaN();
  rows[3].class_acc = std::numeric_limits<float>::quiet_NaN();
  auto b = downsample(rows, 0, rows.size(), 2);
  EXPECT_TRUE(std::isnan(b[0].mean[3]));
  EXPECT_TRUE(std::isnan(b[0].min[3]));
  EXPECT_NEAR(b[0].mean[6], 0.75f, 1e-6);  // the NaN is skipped, not averaged as 0
}

TEST(MonitorDownsample, StepRange) {
  auto rows = noisy_rows(100, 2);
  size_t b, e;
  step_range(rows, 10, 19, &b, &e);
  EXPECT_EQ(b, 9u);
  EXPECT_EQ(e, 19u);
  step_range(rows, 200, 300, &b, &e);
  EXPECT_EQ(b, e);
  step_range(rows, INT64_MIN, INT64_MAX, &b, &e);
  EXPECT_EQ(e - b, 100u);
}

TEST_F(MonitorData, SeriesZoomGivesDetail) {
  write_run(*storage_, "20260301T000000Z", 10, 500);  // 5,000 rows
  start();
  auto all = json_of(get("/api/runs/20260301T000000Z/series?width=100"));
  EXPECT_EQ(all["bucket_size"].GetInt(), 50);
  EXPECT_EQ(all["x"].Size(), 100u);
  EXPECT_TRUE(all["series"]["d_loss_real"].HasMember("max"));
  // The first bucket holds steps 1..50, whose largest d_loss_real is step 1's 1/1.
  EXPECT_NEAR(all["series"]["d_loss_real"]["max"][0].GetDouble(), 1.0, 1e-6);
  EXPECT_NEAR(all["series"]["d_loss_real"]["min"][0].GetDouble(), 1.0 / 50, 1e-6);
  auto zoom = json_of(get("/api/runs/20260301T000000Z/series?width=1000&from=1200&to=1299"));
  EXPECT_EQ(zoom["bucket_size"].GetInt(), 1);
  EXPECT_EQ(zoom["count"].GetInt(), 100);
  EXPECT_EQ(zoom["x"][0].GetInt(), 1200);
  EXPECT_EQ(zoom["total"].GetInt(), 5000);
  EXPECT_NEAR(zoom["series"]["d_loss_real"]["mean"][0].GetDouble(), 1.0 / 1200, 1e-7);
  auto silly = json_of(get("/api/runs/20260301T000000Z/series?width=-5&from=x"));
  EXPECT_EQ(silly["x"].Size(), 1u);  // clamped to one bucket, not an error
}


// The reference system's metrics.csv at each evaluation epoch holds every mini-batch since the
// start. Two epochs of 360 and 720 rows are a run of 720 mini-batches, not 1,080, and the second
// epoch's table is labelled cumulative.
TEST_F(MonitorData, CumulativeMetricsFilesCountEachMiniBatchOnce) {
  const std::string run = "20260302T000000Z";
  std::vector<BatchRow> all;
  for (int e = 1; e <= 2; ++e)
    for (int b = 1; b <= 360; ++b) all.push_back(make_row(e, b, 360, 1.0f / (float)((e - 1) * 360 + b)));
  storage_->put(run + "/epoch/1/metrics.csv", metrics_csv(std::vector<BatchRow>(all.begin(), all.begin() + 360)));
  storage_->put(run + "/epoch/2/metrics.csv", metrics_csv(all));
  // Our layout beside it: one interval per file, nothing repeated.
  const std::string ours = "20260303T000000Z";
  write_run(*storage_, ours, 2, 360);
  start();

  auto s = json_of(get("/api/runs/" + run + "/series?width=20000"));
  EXPECT_EQ(s["total"].GetInt(), 720);
  EXPECT_EQ(s["last_step"].GetInt(), 720);
  auto e2 = json_of(get("/api/runs/" + run + "/epochs/2/rows?per_page=10"));
  EXPECT_EQ(e2["total"].GetInt(), 720);
  auto flag = [](const rapidjson::Document& d) { return d.HasMember("cumulative") ? (d["cumulative"].GetBool() ? 1 : 0) : -1; };
  EXPECT_EQ(flag(e2), 1);
  EXPECT_EQ(flag(json_of(get("/api/runs/" + run + "/epochs/1/rows?per_page=10"))), 0);
  EXPECT_EQ(flag(json_of(get("/api/runs/" + run + "/epochs/2"))), 1);

  EXPECT_EQ(json_of(get("/api/runs/" + ours + "/series?width=20000"))["total"].GetInt(), 720);
  EXPECT_EQ(flag(json_of(get("/api/runs/" + ours + "/epochs/2/rows"))), 0);
}

// gan's hyperparameters.json carries the reference's spellings beside its own and every model's
// widths; the page gets each setting once, under gan's name, and only the run's own model's.
TEST_F(MonitorData, HyperparametersEachSettingOnceOwnModelOnly) {
  const std::string run = "20260304T000000Z";
  write_run(*storage_, run, 1, 5);
  storage_->put(run + "/hyperparameters.json",
                "{\"model\": \"acgan28\", \"latent_dim\": 100, \"label_dim\": 10, \"ngf\": 64, \"ndf\": 64, "
                "\"batch_size\": 128, \"eval_freq\": 10, \"epochs\": 50, \"batchsize\": 128, \"evalfreq\": 10, "
                "\"latentDim\": 100, \"labelDim\": 10}");
  const std::string dc = "20260305T000000Z";
  write_run(*storage_, dc, 1, 5);
  storage_->put(dc + "/hyperparameters.json", "{\"model\": \"dcgan64\", \"ngf\": 32, \"ndf\": 16, \"batch_size\": 64, \"batchsize\": 64}");
  const std::string ref = "20260306T000000Z";  // the reference's own file: its spellings stay
  write_run(*storage_, ref, 1, 5);
  storage_->put(ref + "/hyperparameters.json", "{\"batchsize\": 64, \"latentDim\": 100}");
  start();

  auto h = json_of(get("/api/runs/" + run));
  const auto& hp = h["hyperparameters"];
  ASSERT_TRUE(hp.IsObject());
  for (const char* gone : {"batchsize", "evalfreq", "latentDim", "labelDim", "ngf", "ndf"}) EXPECT_FALSE(hp.HasMember(gone)) << gone;
  EXPECT_EQ(hp["batch_size"].GetInt(), 128);
  EXPECT_EQ(hp["eval_freq"].GetInt(), 10);
  EXPECT_EQ(hp["latent_dim"].GetInt(), 100);
  EXPECT_EQ(hp["label_dim"].GetInt(), 10);
  EXPECT_EQ(hp.MemberCount(), 6u);
  EXPECT_EQ(std::string(hp.MemberBegin()->name.GetString()), "model");  // order kept

  auto d = json_of(get("/api/runs/" + dc));
  EXPECT_EQ(d["hyperparameters"]["ngf"].GetInt(), 32);
  EXPECT_EQ(d["hyperparameters"]["ndf"].GetInt(), 16);
  EXPECT_FALSE(d["hyperparameters"].HasMember("batchsize"));
  auto r = json_of(get("/api/runs/" + ref));
  EXPECT_EQ(r["hyperparameters"]["batchsize"].GetInt(), 64);
  EXPECT_EQ(r["hyperparameters"]["latentDim"].GetInt(), 100);
}


// Summaries with the quality metrics: /api/runs/<run>/quality lists them per epoch with best.json's
// epoch, /files/ serves best.json and evaluator.json, /api/compare overlays runs and lists the
// hyperparameters that differ.
TEST_F(MonitorData, QualityMetricsBestEpochAndCompare) {
  const std::string a = "20260307T000000Z", b = "20260308T000000Z";
  write_run(*storage_, a, 3, 4);
  write_run(*storage_, b, 2, 4);
  const double fd[] = {0, 40.5, 12.25, 20.0};
  for (int e = 1; e <= 3; ++e)
    storage_->put(a + "/epoch/" + std::to_string(e) + "/summary.json",
                  "{\"Epoch\": " + std::to_string(e) + ", \"Frechet Distance\": " + std::to_string(fd[e]) +
                      ", \"Class Agreement\": " + std::to_string(0.3 * e) + ", \"Precision\": 0.5, \"Recall\": 0.25, "
                      "\"Evaluator Accuracy\": 0.97}");
  storage_->put(a + "/best.json", "{\"epoch\": 2, \"why\": \"lowest Frechet distance\"}");
  storage_->put(a + "/evaluator.json", "{\"accuracy\": 0.97}");
  storage_->put(b + "/hyperparameters.json", "{\"epochs\": 100, \"batch_size\": 64, \"model\": \"acgan28\", \"seed\": 7}");
  storage_->put(a + "/hyperparameters.json", "{\"epochs\": 100, \"batch_size\": 128, \"model\": \"acgan28\"}");
  start();

  auto q = json_of(get("/api/runs/" + a + "/quality"));
  ASSERT_TRUE(q.HasMember("epochs") && q["epochs"].IsArray());
  ASSERT_EQ(q["epochs"].Size(), 3u);
  EXPECT_EQ(q["epochs"][0]["epoch"].GetInt(), 1);
  EXPECT_DOUBLE_EQ(q["epochs"][1]["fd"].GetDouble(), 12.25);
  EXPECT_NEAR(q["epochs"][2]["class_agreement"].GetDouble(), 0.9, 1e-6);
  EXPECT_DOUBLE_EQ(q["epochs"][0]["recall"].GetDouble(), 0.25);
  EXPECT_EQ(q["best_epoch"].GetInt(), 2);
  EXPECT_STREQ(q["best"]["why"].GetString(), "lowest Frechet distance");
  auto none = json_of(get("/api/runs/" + b + "/quality"));  // summaries without the keys
  EXPECT_EQ(none["epochs"].Size(), 0u);
  EXPECT_TRUE(none["best_epoch"].IsNull());
  EXPECT_EQ(get("/files/" + a + "/best.json")->status, 200);
  EXPECT_EQ(get("/files/" + a + "/evaluator.json")->status, 200);

  auto c = json_of(get("/api/compare?runs=" + a + "," + b + "&width=50"));
  ASSERT_TRUE(c.HasMember("runs") && c["runs"].IsArray());
  ASSERT_EQ(c["runs"].Size(), 2u);
  EXPECT_STREQ(c["runs"][0]["id"].GetString(), a.c_str());
  EXPECT_EQ(c["runs"][0]["series"]["total"].GetInt(), 12);
  EXPECT_EQ(c["runs"][1]["series"]["total"].GetInt(), 8);
  EXPECT_EQ(c["runs"][0]["quality"].Size(), 3u);
  EXPECT_EQ(c["runs"][0]["best_epoch"].GetInt(), 2);
  EXPECT_TRUE(c["runs"][1]["best_epoch"].IsNull());
  ASSERT_EQ(c["differing"].Size(), 2u);  // batch_size and seed; epochs and model are equal
  EXPECT_STREQ(c["differing"][0]["key"].GetString(), "batch_size");
  EXPECT_EQ(c["differing"][0]["values"][0].GetInt(), 128);
  EXPECT_EQ(c["differing"][0]["values"][1].GetInt(), 64);
  EXPECT_STREQ(c["differing"][1]["key"].GetString(), "seed");
  EXPECT_TRUE(c["differing"][1]["values"][0].IsNull());
  EXPECT_EQ(get("/api/compare?runs=" + a)->status, 400);
  EXPECT_EQ(get("/api/compare?runs=" + a + ",20990101T000000Z")->status, 404);
}

}  // namespace
}  // namespace gan::http::testing
