// Shared by the monitor tests: a temporary storage folder with runs written into it, a monitor on
// an ephemeral loopback port, and an httplib client pointed at it.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "http/httplib_inc.h"
#include "http/monitor.h"
#include "storage/local.h"
#include "train/artifacts/csv.h"
#include "train/artifacts/png.h"
#include "train/run_state.h"

namespace gan::http::testing {

inline std::string temp_dir() {
  char tmpl[] = "/tmp/gan-monitor-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp failed");
  return d;
}

// What parse_cli says about `args` ("" when it accepts them).
inline std::string cli_error(const std::vector<std::string>& args) {
  try {
    parse_cli(args);
  } catch (const CliError& e) {
    return e.what();
  }
  return "";
}

inline std::string tiny_png(uint8_t value) {
  std::vector<uint8_t> px(4 * 4, value);
  return encode_png(4, 4, 1, px.data());
}

inline BatchRow make_row(int epoch, int batch, int batches, float v) {
  BatchRow r;
  r.epoch = epoch, r.epochs = 100, r.batch = batch, r.batches = batches;
  r.step = (int64_t)(epoch - 1) * batches + batch;
  r.d_loss_real = v, r.d_loss_fake = v + 0.1f, r.g_loss = v + 1, r.class_loss = v / 2;
  r.d_acc_real = 0.5f, r.d_acc_fake = 0.25f, r.class_acc = 0.75f, r.seconds = 0.01f;
  return r;
}

// Writes a run in our layout: hyperparameters, target, epoch 0 image, and `epochs` evaluation
// epochs of `batches` rows each (evaluated every epoch).
inline void write_run(Storage& st, const std::string& run, int epochs, int batches) {
  st.put(run + "/hyperparameters.json", "{\"epochs\": 100, \"batchsize\": 128, \"model\": \"acgan28\"}");
  st.put(run + "/target.png", tiny_png(200));
  st.put(run + "/epoch/0/generated.png", tiny_png(0));
  for (int e = 1; e <= epochs; ++e) {
    std::vector<BatchRow> rows;
    for (int b = 1; b <= batches; ++b) rows.push_back(make_row(e, b, batches, 1.0f / (float)((e - 1) * batches + b)));
    const std::string d = run + "/epoch/" + std::to_string(e) + "/";
    st.put(d + "generated.png", tiny_png((uint8_t)(e * 10)));
    st.put(d + "metrics.csv", metrics_csv(rows));
    st.put(d + "summary.json", "{\"Epoch\": " + std::to_string(e) + ", \"Real Accuracy\": 0.5, \"Fake Accuracy\": 0.25, \"Elapsed Time\": 1.5}");
    st.put(d + "generator.safetensors", std::string("\x08\x00\x00\x00\x00\x00\x00\x00{}      ", 16));
  }
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    storage_ = std::make_unique<LocalStorage>(dir_);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Starts the monitor (after the test has written its runs).
  void start(const RunState* live = nullptr, std::string token = "", int poll_seconds = 5, int max_event_clients = 64) {
    MonitorOptions o;
    o.bind = "127.0.0.1";
    o.port = 0;
    o.token = std::move(token);
    o.poll_seconds = poll_seconds;
    o.max_event_clients = max_event_clients;
    o.quiet = true;
    server_ = std::make_unique<MonitorServer>(o, *storage_, live);
    server_->start();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    c.set_url_encode(false);  // send paths byte for byte (the traversal tests need that)
    return c;
  }
  // GET with the path sent exactly as given (no client-side normalisation).
  httplib::Result get(const std::string& path, const httplib::Headers& h = {}) const { return client().Get(path, h); }

  std::string dir_;
  RunState live_;  // for tests of a live run; declared before server_ so it outlives it
  std::unique_ptr<LocalStorage> storage_;
  std::unique_ptr<MonitorServer> server_;
};

}  // namespace gan::http::testing
