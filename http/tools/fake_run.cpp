// fake_run: a monitor over a synthetic training run that grows while it serves.
//
// The browser test and anyone working on the page need a run in progress without a trainer (or a
// GPU): this appends mini-batch rows to a RunState at a steady rate and, at each epoch end, writes
// an evaluation epoch to a LocalStorage folder in the layout the trainer uses (generated.png that
// differs per epoch, metrics.csv, summary.json), files first and RunState second, as the trainer
// does. The numbers are made up; the files and the timing are real.
//
//   build/fake_run [--port 0] [--dir DIR] [--rows-per-sec 40] [--batches 40] [--epochs 50]
//                  [--seconds 600] [--token T] [--history-epochs 0]
// Prints "fake_run: serving URL run RUN dir DIR" once listening; stops on SIGINT/SIGTERM.
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "http/monitor.h"
#include "storage/local.h"
#include "train/artifacts/csv.h"
#include "common/dates.h"
#include "common/json.h"
#include "train/artifacts/png.h"
#include "train/run_state.h"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// A 10×10 grid of 28×28 tiles; each tile is a blob whose size and position depend on class and
// epoch, so consecutive epochs' grids differ visibly.
std::string grid_png(int epoch, bool target) {
  const int T = 28, N = 10, W = T * N;
  std::vector<uint8_t> px(W * W);
  for (int r = 0; r < N; ++r)
    for (int c = 0; c < N; ++c)
      for (int y = 0; y < T; ++y)
        for (int x = 0; x < T; ++x) {
          double cx = 14 + 5 * std::sin(c + r * 0.7 + (target ? 0 : epoch * 0.9));
          double cy = 14 + 5 * std::cos(c * 1.3 + (target ? 0 : epoch * 0.5));
          double rad = 4 + c * 0.6 + (target ? 0 : (epoch % 5));
          double d = std::hypot(x - cx, y - cy);
          double v = d < rad ? 255 * (1 - d / rad * 0.6) : 0;
          px[(r * T + y) * W + c * T + x] = (uint8_t)v;
        }
  return gan::encode_png(W, W, 1, px.data());
}

std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == name) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = std::stoi(arg(argc, argv, "--port", "0"));
  std::string dir = arg(argc, argv, "--dir", "");
  const double rate = std::stod(arg(argc, argv, "--rows-per-sec", "40"));
  const int batches = std::stoi(arg(argc, argv, "--batches", "40"));
  const int epochs = std::stoi(arg(argc, argv, "--epochs", "50"));
  const double seconds = std::stod(arg(argc, argv, "--seconds", "600"));
  const int history = std::stoi(arg(argc, argv, "--history-epochs", "0"));
  if (dir.empty()) {
    char tmpl[] = "/tmp/gan-fake-run-XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("fake_run: mkdtemp");
      return 1;
    }
    dir = tmpl;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  const std::string run = gan::utc_time(std::time(nullptr), "%Y%m%dT%H%M%SZ");

  gan::LocalStorage storage(dir);
  gan::RunState state;
  gan::Json hyper = gan::Json::object();
  hyper.set("model", "acgan28");
  hyper.set("epochs", epochs);
  hyper.set("batchsize", 128);
  hyper.set("evalfreq", 1);
  hyper.set("adamLearningRate", 0.0002);
  hyper.set("fake", true);
  storage.put(run + "/hyperparameters.json", hyper.dump());
  storage.put(run + "/target.png", grid_png(0, true));
  storage.put(run + "/epoch/0/generated.png", grid_png(0, false));
  state.begin(run, hyper.dump(-1));

  gan::http::MonitorOptions opts;
  opts.bind = "127.0.0.1";
  opts.port = port;
  opts.token = arg(argc, argv, "--token", "");
  opts.poll_seconds = 1;
  opts.quiet = true;
  gan::http::MonitorServer server(opts, storage, &state);
  server.start();
  std::printf("fake_run: serving %s run %s dir %s\n", server.url().c_str(), run.c_str(), dir.c_str());
  std::fflush(stdout);

  auto t0 = std::chrono::steady_clock::now();
  std::vector<gan::BatchRow> interval;
  int64_t step = 0;
  for (int epoch = 1; epoch <= epochs && !g_stop; ++epoch) {
    for (int b = 1; b <= batches && !g_stop; ++b) {
      ++step;
      gan::BatchRow r;
      r.epoch = epoch, r.epochs = epochs, r.batch = b, r.batches = batches, r.step = step;
      double t = step / 200.0;
      uint32_t h = (uint32_t)step * 2654435761u;  // a hash, not a sine: noise without a visible period
      h ^= h >> 15;
      h *= 2246822519u;
      h ^= h >> 13;
      double noise = ((h & 0xffff) / 65535.0 - 0.5) * 0.16;
      r.d_loss_real = (float)(0.45 + 0.25 * std::exp(-t) + noise);
      r.d_loss_fake = (float)(0.50 + 0.20 * std::exp(-t) - noise);
      r.g_loss = (float)(1.0 + 0.8 * (1 - std::exp(-t)) + 2 * noise);
      r.class_loss = (float)(0.1 + 2.2 * std::exp(-t * 1.5) + std::fabs(noise));
      r.d_acc_real = (float)std::fmin(1.0, 0.70 + 0.1 * std::tanh(t) + noise);
      r.d_acc_fake = (float)std::fmin(1.0, 0.65 + 0.1 * std::tanh(t) - noise);
      r.class_acc = (float)std::fmin(1.0, 0.1 + 0.85 * (1 - std::exp(-t)));
      r.seconds = (float)(1.0 / rate);
      interval.push_back(r);
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      gan::Progress p;
      p.epoch = epoch, p.epochs = epochs, p.batch = b, p.batches = batches, p.live = true;
      p.elapsed = elapsed;
      p.images_per_sec = rate * 128;
      p.eta_seconds = ((int64_t)epochs * batches - step) / rate;
      state.add_batches({r}, p);
      if (epoch > history)
        std::this_thread::sleep_for(std::chrono::duration<double>(1.0 / rate));
      if (elapsed > seconds) g_stop = true;
    }
    if (g_stop) break;
    // Evaluation epoch: files first, then RunState, so the page never announces a missing image.
    const std::string dirkey = run + "/epoch/" + std::to_string(epoch) + "/";
    storage.put(dirkey + "generated.png", grid_png(epoch, false));
    storage.put(dirkey + "metrics.csv", gan::metrics_csv(interval));
    // A valid safetensors file with no tensors (an 8-byte little-endian header length, then the
    // JSON header), so the page has a generator to link to.
    gan::Json meta = gan::Json::object(), doc = gan::Json::object();
    meta.set("fake_run_epoch", std::to_string(epoch));
    doc.set("__metadata__", std::move(meta));
    std::string header = doc.dump(-1);
    header.resize((header.size() + 7) / 8 * 8, ' ');
    std::string st(8, '\0');
    for (int i = 0; i < 8; ++i) st[i] = (char)((header.size() >> (8 * i)) & 0xff);
    storage.put(dirkey + "generator.safetensors", st + header);
    gan::EvalRow e;
    e.epoch = epoch, e.epochs = epochs;
    e.real_acc = interval.back().d_acc_real, e.fake_acc = interval.back().d_acc_fake;
    e.class_acc = interval.back().class_acc;
    e.elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    e.images_per_sec = rate * 128;
    gan::Json s = gan::Json::object();
    s.set("Epoch", epoch);
    s.set("Real Accuracy", e.real_acc);
    s.set("Fake Accuracy", e.fake_acc);
    s.set("Elapsed Time", e.elapsed);
    s.set("Class Accuracy", e.class_acc);
    s.set("Images/s", e.images_per_sec);
    storage.put(dirkey + "summary.json", s.dump());
    state.add_eval(e);
    interval.clear();
  }
  state.finish();
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  return 0;
}
