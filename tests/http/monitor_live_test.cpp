// Live updates: Server-Sent Events from the training process's RunState, and from storage polling
// in standalone mode; the event-stream cap; shutdown with streams connected.
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "monitor_fixture.h"

namespace gan::http::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Reads /events?run=RUN on a thread; calls on_hello once connected; stops when `want` appears in
// the stream or after timeout_s. Returns the stream text and when `want` arrived.
struct SseResult {
  std::string text;
  bool found = false;
  Clock::time_point found_at;
};

SseResult read_events(int port, const std::string& run, const std::string& want, int timeout_s,
                      const std::function<void()>& on_hello) {
  SseResult res;
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(timeout_s, 0);
  bool hello = false;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  c.Get(("/events?run=" + run).c_str(), [&](const char* data, size_t n) {
    res.text.append(data, n);
    if (!hello && res.text.find("event: hello") != std::string::npos) {
      hello = true;
      if (on_hello) on_hello();
    }
    if (res.text.find(want) != std::string::npos) {
      res.found = true;
      res.found_at = Clock::now();
      return false;
    }
    return Clock::now() < deadline;
  });
  return res;
}

using MonitorLive = MonitorTest;

TEST_F(MonitorLive, NewMiniBatchArrivesWithin2s) {
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin("20260401T000000Z", "{\"epochs\": 3}");
  start(&live);
  Clock::time_point pushed;
  std::thread pusher;
  auto r = read_events(server_->port(), "20260401T000000Z", "[4242,", 5, [&] {
    pusher = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      BatchRow row = make_row(1, 2, 3, 0.5f);
      row.step = 4242;
      Progress p;
      p.epoch = 1, p.epochs = 3, p.batch = 2, p.batches = 3, p.live = true;
      pushed = Clock::now();
      live.add_batches({row}, p);
    });
  });
  if (pusher.joinable()) pusher.join();
  ASSERT_TRUE(r.found) << r.text;
  const double ms = std::chrono::duration<double, std::milli>(r.found_at - pushed).count();
  std::printf("MonitorLive: mini-batch row reached the SSE client %.1f ms after add_batches\n", ms);
  EXPECT_LT(ms, 2000);
  EXPECT_NE(r.text.find("event: batches"), std::string::npos);
}

TEST_F(MonitorLive, EvalAndProgressEvents) {
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin("20260401T000000Z", "{}");
  start(&live);
  std::thread t;
  auto r = read_events(server_->port(), "20260401T000000Z", "\"epoch\":10}", 5, [&] {
    t = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      Progress p;
      p.epoch = 10, p.epochs = 100, p.images_per_sec = 999, p.live = true;
      live.set_progress(p);
      EvalRow e;
      e.epoch = 10;
      live.add_eval(e);
    });
  });
  if (t.joinable()) t.join();
  ASSERT_TRUE(r.found) << r.text;
  EXPECT_NE(r.text.find("event: eval"), std::string::npos);
}

TEST_F(MonitorLive, LiveRunBeforeAnyFile) {
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin("20260401T000000Z", "{\"epochs\": 7}");
  std::vector<BatchRow> rows;
  for (int b = 1; b <= 6; ++b) rows.push_back(make_row(b <= 3 ? 1 : 2, (b - 1) % 3 + 1, 3, 0.1f * b));
  Progress p;
  p.epoch = 2, p.epochs = 7, p.batch = 3, p.batches = 3, p.images_per_sec = 321, p.eta_seconds = 60, p.live = true;
  live.add_batches(rows, p);
  EvalRow e;
  e.epoch = 1, e.real_acc = 0.875f;
  live.add_eval(e);
  write_run(*storage_, "20260101T000000Z", 1, 3);  // an older stored run
  start(&live);

  rapidjson::Document d;
  d.Parse(get("/api/runs")->body.c_str());
  ASSERT_EQ(d["runs"].Size(), 2u);
  EXPECT_STREQ(d["runs"][0]["id"].GetString(), "20260401T000000Z");
  EXPECT_TRUE(d["runs"][0]["live"].GetBool());
  EXPECT_FALSE(d["runs"][1]["live"].GetBool());
  EXPECT_STREQ(d["live"].GetString(), "20260401T000000Z");

  d.Parse(get("/api/runs/20260401T000000Z")->body.c_str());
  EXPECT_TRUE(d["live"].GetBool());
  EXPECT_EQ(d["hyperparameters"]["epochs"].GetInt(), 7);  // from RunState: no file yet
  EXPECT_EQ(d["total_rows"].GetInt(), 6);
  EXPECT_EQ(d["epochs"][0].GetInt(), 1);
  EXPECT_NEAR(d["progress"]["images_per_sec"].GetDouble(), 321, 1e-9);
  EXPECT_NEAR(d["progress"]["eta_seconds"].GetDouble(), 60, 1e-9);

  // Epoch 1 before its files: RunState's numbers and the rows of its interval.
  d.Parse(get("/api/runs/20260401T000000Z/epochs/1")->body.c_str());
  EXPECT_NEAR(d["summary"]["Real Accuracy"].GetDouble(), 0.875, 1e-6);
  EXPECT_FALSE(d["generated"].GetBool());
  d.Parse(get("/api/runs/20260401T000000Z/epochs/1/rows")->body.c_str());
  EXPECT_EQ(d["total"].GetInt(), 3);
  d.Parse(get("/api/runs/20260401T000000Z/series")->body.c_str());
  EXPECT_EQ(d["total"].GetInt(), 6);
  EXPECT_NEAR(d["series"]["d_loss_real"]["mean"][5].GetDouble(), 0.6, 1e-6);
  d.Parse(get("/api/live")->body.c_str());
  EXPECT_EQ(d["epoch"].GetInt(), 2);
  EXPECT_EQ(get("/20260401T000000Z")->status, 200);
  EXPECT_EQ(get("/20260401T000000Z/1")->status, 200);
}

TEST_F(MonitorLive, StandalonePollingPushesNewEpochs) {
  write_run(*storage_, "20260301T000000Z", 1, 3);
  start(nullptr, "", /*poll_seconds=*/1);
  std::thread writer;
  Clock::time_point written;
  auto r = read_events(server_->port(), "20260301T000000Z", "\"epoch\":2}", 8, [&] {
    writer = std::thread([&] {
      // Let the poller see the run as it is first, as it would a run already on screen.
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      storage_->put("20260301T000000Z/epoch/2/generated.png", tiny_png(9));
      written = Clock::now();
    });
  });
  if (writer.joinable()) writer.join();
  ASSERT_TRUE(r.found) << r.text;
  const double ms = std::chrono::duration<double, std::milli>(r.found_at - written).count();
  std::printf("MonitorLive: new epoch in storage reached the SSE client %.0f ms after it was written (poll 1 s)\n", ms);
  EXPECT_LT(ms, 3000);
}

TEST_F(MonitorLive, EventStreamCapAnswers503) {
  start(nullptr, "", 5, /*max_event_clients=*/1);
  std::atomic<bool> connected{false}, done{false};
  std::thread holder([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.Get("/events", [&](const char*, size_t) {
      connected = true;
      return !done.load();
    });
  });
  for (int i = 0; i < 100 && !connected; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(connected);
  auto r = get("/events");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(get("/api/runs")->status, 200);  // ordinary requests still served
  done = true;
  holder.join();
}

// The end of training: the trainer's last rows and RunState::finish() land just before the
// monitor is told to finish; a page's stream must carry them (progress with live=false) before
// it closes, or the page keeps a stale "live" badge.
TEST_F(MonitorLive, FinishSendsFinalStateBeforeStreamCloses) {
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin("20260401T000000Z", "{}");
  start(&live);
  std::atomic<bool> hello{false};
  std::string text;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    c.Get("/events?run=20260401T000000Z", [&](const char* data, size_t n) {
      text.append(data, n);
      if (text.find("event: hello") != std::string::npos) hello = true;
      return true;  // read until the server ends the stream
    });
  });
  for (int i = 0; i < 200 && !hello; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(hello.load());
  // A first mini-batch, so the live thread has just published and is in its 200 ms pause when
  // the run ends: what the final call publishes must not depend on that thread getting there.
  Progress p;
  p.epoch = 1, p.epochs = 1, p.batch = 1, p.batches = 2, p.live = true;
  live.add_batches({make_row(1, 1, 2, 0.5f)}, p);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BatchRow last = make_row(1, 2, 2, 0.25f);
  last.step = 7777;
  p.batch = 2;
  live.add_batches({last}, p);
  live.finish();
  const auto t0 = Clock::now();
  const int clients = server_->finish(3000);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  reader.join();  // the stream has ended
  EXPECT_EQ(clients, 1);
  EXPECT_LT(ms, 3000);
  std::printf("MonitorLive: finish() with one page connected took %.1f ms\n", ms);
  const size_t last_row = text.find("[7777,");
  EXPECT_NE(last_row, std::string::npos) << text;
  const size_t final_progress = text.rfind("event: progress\ndata: ");
  ASSERT_NE(final_progress, std::string::npos) << text;
  const std::string data = text.substr(final_progress, text.find('\n', final_progress + 22) - final_progress);
  EXPECT_NE(data.find("\"live\":false"), std::string::npos) << data;
  EXPECT_NE(data.find("\"finished\":true"), std::string::npos) << data;
  EXPECT_GT(final_progress, last_row);
}

TEST_F(MonitorLive, FinishWithoutPagesDoesNotWait) {
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin("20260401T000000Z", "{}");
  start(&live);
  live.finish();
  const auto t0 = Clock::now();
  EXPECT_EQ(server_->finish(3000), 0);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  EXPECT_LT(ms, 1500);  // joins the producer threads (each wakes within 250 ms), no 3 s linger
  EXPECT_FALSE(get("/healthz"));  // stopped
}

TEST_F(MonitorLive, StopsPromptlyWithStreamsConnected) {
  RunState& live = live_;  // outlives the server (TearDown stops it first)
  live.begin("20260401T000000Z", "{}");
  start(&live);
  std::vector<std::thread> clients;
  std::atomic<int> connected{0};
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_read_timeout(30, 0);
      bool counted = false;
      c.Get("/events?run=20260401T000000Z", [&](const char*, size_t) {
        if (!counted) counted = true, ++connected;
        return true;
      });
    });
  }
  for (int i = 0; i < 200 && connected < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(connected.load(), 4);
  auto t0 = Clock::now();
  server_->stop();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& t : clients) t.join();
  EXPECT_LT(s, 3.0);
}

}  // namespace
}  // namespace gan::http::testing
