// Page-open time for a large run: 50,000 mini-batches in 100 evaluation epochs, stored and live.
//
// "Opening the page" is every request the page makes on load, in order: the HTML, its three
// assets, the run list, the run, the downsampled series for a 1,200-pixel chart, the newest epoch,
// its first table page, and the two images. Sequential, so an upper bound on what a browser
// (which overlaps them) waits. The first open after start parses all 100 metrics.csv files; later
// opens use the cache. Prints the figures; fails above 1 s.
#include <chrono>

#include "monitor_fixture.h"

namespace gan::http::testing {
namespace {

using Clock = std::chrono::steady_clock;

double open_page_ms(const httplib::Client& cproto, int port, const std::string& run, int newest, size_t* bytes) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  const std::string e = std::to_string(newest);
  const std::vector<std::string> paths = {
      "/" + run, "/assets/app.css", "/assets/chart.js", "/assets/app.js", "/api/runs", "/api/runs/" + run,
      "/api/runs/" + run + "/series?width=1200", "/api/runs/" + run + "/epochs/" + e,
      "/api/runs/" + run + "/epochs/" + e + "/rows?page=0&per_page=25",
      "/files/" + run + "/epoch/" + e + "/generated.png", "/files/" + run + "/target.png"};
  *bytes = 0;
  auto t0 = Clock::now();
  std::string slowest;
  double slowest_ms = 0;
  for (const auto& p : paths) {
    auto t = Clock::now();
    auto r = c.Get(p, {{"Accept-Encoding", "gzip"}});
    EXPECT_TRUE(r && r->status == 200) << p;
    if (r) *bytes += r->body.size();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
    if (ms > slowest_ms) slowest_ms = ms, slowest = p;
  }
  std::printf("MonitorPerf:   slowest request %s %.1f ms\n", slowest.c_str(), slowest_ms);
  (void)cproto;
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

using MonitorPerf = MonitorTest;

TEST_F(MonitorPerf, PageOpensUnder1sFor50kMiniBatches) {
  const std::string run = "20260301T000000Z";
  auto tw = Clock::now();
  write_run(*storage_, run, 100, 500);
  std::printf("MonitorPerf: wrote 100 epochs x 500 mini-batches in %.1f s\n",
              std::chrono::duration<double>(Clock::now() - tw).count());
  start();
  auto c = client();
  size_t bytes = 0;
  const double cold = open_page_ms(c, server_->port(), run, 100, &bytes);
  const double warm = open_page_ms(c, server_->port(), run, 100, &bytes);
  std::printf("MonitorPerf: stored run, 50,000 mini-batches, 100 epochs: page open %.1f ms first (parses every "
              "metrics.csv), %.1f ms after (%zu bytes)\n", cold, warm, bytes);
  EXPECT_LT(cold, 1000);
  EXPECT_LT(warm, 1000);
}

TEST_F(MonitorPerf, LivePageOpensUnder1sFor50kMiniBatches) {
  const std::string run = "20260401T000000Z";
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin(run, "{\"epochs\": 100}");
  std::vector<BatchRow> rows;
  for (int e = 1; e <= 100; ++e)
    for (int b = 1; b <= 500; ++b) rows.push_back(make_row(e, b, 500, 1.0f / (float)b));
  Progress p;
  p.epoch = 100, p.epochs = 100, p.batch = 500, p.batches = 500, p.live = true;
  live.add_batches(rows, p);
  storage_->put(run + "/target.png", tiny_png(1));
  for (int e = 0; e <= 100; e += 1) {
    storage_->put(run + "/epoch/" + std::to_string(e) + "/generated.png", tiny_png((uint8_t)e));
    if (e > 0) {
      EvalRow ev;
      ev.epoch = e;
      live.add_eval(ev);
    }
  }
  start(&live);
  auto c = client();
  size_t bytes = 0;
  const double first = open_page_ms(c, server_->port(), run, 100, &bytes);
  const double again = open_page_ms(c, server_->port(), run, 100, &bytes);
  std::printf("MonitorPerf: live run, 50,000 mini-batches in RunState, 100 epochs: page open %.1f ms, then %.1f ms (%zu bytes)\n",
              first, again, bytes);
  EXPECT_LT(first, 1000);
  EXPECT_LT(again, 1000);
}

}  // namespace
}  // namespace gan::http::testing
