#include "loop.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "../ref/ops.h"
#include "../splitmix.h"
#include "common/atomic_file.h"
#include "common/dates.h"
#include "artifacts/csv.h"
#include "common/json.h"
#include "artifacts/png.h"
#include "artifacts/svg_chart.h"
#include "checkpoint.h"
#include "evaluate_run.h"
#include "quality/evaluator.h"
#include "quality/metrics.h"
#include "trainer.h"

namespace gan {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string fmt_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  long t = (long)(s + 0.5);
  char b[32];
  if (t >= 3600)
    snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else if (t >= 60)
    snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
  else
    snprintf(b, sizeof b, "%lds", t);
  return b;
}

class Run {
 public:
  Run(Ops& ops, RunOptions& o) : ops_(ops), o_(o), cfg_(o.cfg) {}

  RunResult go();

 private:
  std::string path(const std::string& key) const { return o_.out_dir + "/" + key; }
  void put(const std::string& key, const std::string& bytes);
  void write_grid(const std::string& key);
  void write_target();
  void evaluate(int epoch, double train_seconds);
  void checkpoint(int epoch, double train_seconds);
  void setup_quality();
  void measure_quality(int epoch, Json* summary);
  void write_best();
  void progress(int epoch, int batch, int batches, bool final);
  void check_inputs() const;
  CheckpointState open_trainer();
  void make_grid_inputs();
  void begin(const CheckpointState& ck);
  bool train_epoch(int epoch, double train_seconds);
  void flush_metrics(int epoch, int batch, double epoch_seconds, double train_seconds, bool last);
  void say(const std::string& s) {
    if (o_.print) o_.print(s);
  }

  Ops& ops_;
  RunOptions& o_;
  TrainConfig cfg_;
  std::unique_ptr<GanTrainer> trainer_;
  std::string run_;
  std::vector<BatchRow> history_;
  std::vector<EvalRow> evals_;
  std::vector<float> grid_noise_;
  std::vector<int32_t> grid_labels_;
  std::vector<int32_t> perm_, idx_;  // an epoch's shuffle, a mini-batch's half of real images
  Clock::time_point t_flush_{};      // when the metrics were last taken from the trainer
  int batches_ = 0;
  bool tty_ = false;
  int last_mark_ = -1;  // epoch * 10 + tenth of the last progress line in a log
  Clock::time_point last_draw_{};
  double rate_ = 0;  // images/s, smoothed
  std::unique_ptr<quality::Evaluator> evaluator_;
  std::unique_ptr<quality::QualityProbe> probe_;
  quality::QualityMetrics last_quality_;
  double evaluator_seconds_ = 0, quality_seconds_ = 0;
};

void Run::put(const std::string& key, const std::string& bytes) {
  std::string p = path(key);
  make_dirs(p.substr(0, p.rfind('/')));
  write_file_atomic(p, bytes);
  for (ArtifactListener* l : o_.listeners) l->on_artifact(key, p);
}

void Run::write_grid(const std::string& key) {
  int w = 0, h = 0;
  std::vector<uint8_t> px = trainer_->generate_grid(grid_noise_, grid_labels_, 10, 10, &w, &h);
  put(key, encode_png(w, h, cfg_.model.channels, px.data()));
}

void Run::write_target() {
  // 10×10 real images: column c shows class c (for unlabelled data, simply the first 100).
  const Dataset& d = *o_.train;
  const int S = cfg_.model.image_size, C = cfg_.model.channels, pad = 2;
  int64_t per = (int64_t)C * S * S;
  std::vector<float> imgs(100 * per, -1.0f);
  std::vector<int> filled(10, 0);
  bool labelled = cfg_.model.arch == "acgan28";
  int k = 0;
  for (int i = 0; i < d.n && k < 100; ++i) {
    int cell;
    if (labelled) {
      int c = d.labels[i] % 10;
      if (d.labels[i] >= 10 || filled[c] >= 10) continue;
      cell = filled[c]++ * 10 + c;
    } else {
      cell = k;
    }
    std::copy(d.images.begin() + i * per, d.images.begin() + (i + 1) * per, imgs.begin() + cell * per);
    ++k;
  }
  int gh = 10 * S + 9 * pad, gw = 10 * S + 9 * pad;
  std::vector<uint8_t> px((size_t)gh * gw * C);
  ref::image_grid(px.data(), imgs.data(), 100, C, S, S, 10, 10, pad);
  put(run_ + "/target.png", encode_png(gw, gh, C, px.data()));
}

void Run::evaluate(int epoch, double train_seconds) {
  const Dataset& e = o_.eval ? *o_.eval : *o_.train;
  int n = std::min(cfg_.eval_samples, e.n);
  // A fresh sample of held-out images each evaluation epoch, fixed by (seed, epoch).
  SplitMix rng{cfg_.seed * 0x9E3779B97F4A7C15ULL + 0xE7A1ULL + (uint64_t)epoch};
  int64_t per = (int64_t)e.c * e.h * e.w;
  std::vector<float> x(n * per);
  std::vector<int32_t> y(n);
  for (int i = 0; i < n; ++i) {
    int j = (int)rng.below((uint32_t)e.n);
    std::copy(e.images.begin() + j * per, e.images.begin() + (j + 1) * per, x.begin() + i * per);
    y[i] = e.labels[j];
  }
  StepMetrics m = trainer_->evaluate(x, y, n);
  EvalRow r;
  r.epoch = epoch;
  r.epochs = cfg_.epochs;
  r.d_loss_real = m.d_loss_real;
  r.d_loss_fake = m.d_loss_fake;
  r.g_loss = m.g_loss;
  r.class_loss = m.class_loss;
  r.real_acc = m.d_acc_real;
  r.fake_acc = m.d_acc_fake;
  r.class_acc = m.class_acc;
  r.elapsed = train_seconds;
  r.images_per_sec = train_seconds > 0 ? (double)trainer_->step() * cfg_.batch / train_seconds : 0;
  // The rows since the previous evaluation epoch.
  int prev = evals_.empty() ? 0 : evals_.back().epoch;
  std::vector<BatchRow> rows;
  for (const BatchRow& b : history_)
    if (b.epoch > prev && b.epoch <= epoch) rows.push_back(b);
  evals_.push_back(r);

  std::string dir = run_ + "/epoch/" + std::to_string(epoch) + "/";
  write_grid(dir + "generated.png");
  put(dir + "metrics.csv", metrics_csv(rows));
  Json s = Json::object();
  s.set("Epoch", epoch);
  s.set("Real Accuracy", r.real_acc);
  s.set("Fake Accuracy", r.fake_acc);
  s.set("Elapsed Time", r.elapsed);
  s.set("Epochs", cfg_.epochs);
  s.set("Mini-Batches", (long long)trainer_->step());
  s.set("Discriminator Loss: Real", r.d_loss_real);
  s.set("Discriminator Loss: Fake", r.d_loss_fake);
  s.set("GAN Loss", r.g_loss);
  s.set("Class Loss", r.class_loss);
  s.set("Class Accuracy", r.class_acc);
  s.set("Images Per Second", r.images_per_sec);
  s.set("Evaluation Samples", n);
  if (probe_) measure_quality(epoch, &s);
  put(dir + "summary.json", s.dump(2) + "\n");
  SvgChartOptions so;
  so.title = run_ + " — epoch " + std::to_string(epoch);
  put(dir + "loss_accuracy.svg", loss_accuracy_svg(history_, so));
  std::string gpath = path(dir + "generator.safetensors");
  save_generator(gpath, trainer_->generator(), cfg_, epoch, trainer_->step());
  for (ArtifactListener* l : o_.listeners) l->on_artifact(dir + "generator.safetensors", gpath);
  if (probe_) write_best();  // after the generator it names exists
  if (o_.state) o_.state->add_eval(r);

  char line[320];
  if (cfg_.model.arch == "acgan28")
    snprintf(line, sizeof line,
             "epoch %d/%d  D real %.3f (acc %.2f)  D fake %.3f (acc %.2f)  G %.3f  class %.3f (acc %.2f)  %.0f img/s  %s",
             epoch, cfg_.epochs, r.d_loss_real, r.real_acc, r.d_loss_fake, r.fake_acc, r.g_loss, r.class_loss,
             r.class_acc, r.images_per_sec, fmt_duration(train_seconds).c_str());
  else
    snprintf(line, sizeof line, "epoch %d/%d  D real %.3f (acc %.2f)  D fake %.3f (acc %.2f)  G %.3f  %.0f img/s  %s",
             epoch, cfg_.epochs, r.d_loss_real, r.real_acc, r.d_loss_fake, r.fake_acc, r.g_loss, r.images_per_sec,
             fmt_duration(train_seconds).c_str());
  say(std::string(tty_ ? "\r\033[K" : "") + line + "\n");
  if (probe_) {
    const quality::QualityMetrics& q = last_quality_;
    if (cfg_.model.arch == "acgan28")
      snprintf(line, sizeof line, "  quality: FD %.3f  class agreement %.3f  precision %.3f  recall %.3f  (%d samples, %.1f s)",
               q.fd, q.class_agreement, q.precision, q.recall, q.samples, q.seconds);
    else
      snprintf(line, sizeof line, "  quality: FD %.3f  precision %.3f  recall %.3f  (%d samples, %.1f s)", q.fd, q.precision,
               q.recall, q.samples, q.seconds);
    say(std::string(line) + "\n");
  }
}

// The evaluator (cached per dataset) and the fixed real sample and noise of the quality metrics.
void Run::setup_quality() {
  if (cfg_.quality_samples <= 0) return;
  const Dataset& d = *o_.train;
  if (d.num_classes < 2 || d.h % 4 != 0 || d.h != d.w) {
    say("quality metrics: off (" + d.name + (d.num_classes < 2 ? " has no classes for the evaluator to learn" : " has an image size the evaluator cannot take") + ")\n");
    return;
  }
  const Dataset* held = o_.eval && o_.eval != o_.train && o_.eval->n > 0 ? o_.eval : nullptr;
  quality::EvaluatorTrainOptions eo = quality::evaluator_budget(ops_.is_cuda());
  if (o_.evaluator_steps > 0) eo.steps = o_.evaluator_steps;
  if (o_.evaluator_max_seconds > 0) eo.max_seconds = o_.evaluator_max_seconds;
  auto t0 = Clock::now();
  evaluator_ = quality::make_evaluator(ops_, d, held, 256, o_.evaluator_cache, eo,
                                       [&](const std::string& m) { say(m + "\n"); });
  const Dataset& real = held ? *held : d;
  probe_ = std::make_unique<quality::QualityProbe>(*evaluator_, real, cfg_.quality_samples, cfg_.model.num_classes,
                                                   cfg_.model.arch == "acgan28", cfg_.model.latent_dim, cfg_.seed);
  evaluator_seconds_ = seconds_since(t0);
  put(run_ + "/evaluator.json", evaluator_json(evaluator_->info, probe_->samples(), true).dump(2) + "\n");
}

void Run::measure_quality(int epoch, Json* summary) {
  const int chunk = std::min(100, std::max(1, cfg_.batch));
  last_quality_ = probe_->measure(
      [&](const std::vector<float>& z, const std::vector<int32_t>& y) { return trainer_->generate(z, y); }, chunk);
  last_quality_.epoch = epoch;
  quality_seconds_ += last_quality_.seconds;
  quality::add_quality_keys(summary, last_quality_, evaluator_->info.accuracy);
}

void Run::write_best() {
  Json prev;
  bool have = false;
  try {
    std::string text = read_file(path(run_ + "/best.json"));
    prev = Json::parse(text, run_ + "/best.json");
    have = prev.is_object();
  } catch (const std::exception&) {
    // None yet (or unreadable: it is rebuilt from this epoch on).
  }
  Json best = quality::update_best(have ? &prev : nullptr, last_quality_, evaluator_->info.accuracy);
  put(run_ + "/best.json", best.dump(2) + "\n");
}

void Run::checkpoint(int epoch, double train_seconds) {
  CheckpointState s;
  s.run_id = run_;
  s.epoch = epoch;
  s.step = trainer_->step();
  s.elapsed = train_seconds;
  s.history = history_;
  s.evals = evals_;
  std::string key = run_ + "/checkpoint/state.safetensors";
  std::string p = path(key);
  make_dirs(p.substr(0, p.rfind('/')));
  save_checkpoint(p, *trainer_, s);
  for (ArtifactListener* l : o_.listeners) l->on_artifact(key, p);
}

void Run::progress(int epoch, int batch, int batches, bool final) {
  if (o_.quiet) return;
  auto now = Clock::now();
  // A terminal gets a bar redrawn at most 5 times a second; logs (systemd, CI, a pipe) get a plain
  // line at each tenth of an epoch, at most one per log_progress_seconds, and none at its end (the
  // epoch's own line follows).
  const int tenth = batches ? batch * 10 / batches : 0, mark = epoch * 10 + tenth;
  if (tty_) {
    if (!final && now - last_draw_ < std::chrono::milliseconds(200)) return;
  } else if (tenth == 0 || batch >= batches || mark == last_mark_ || now - last_draw_ < std::chrono::duration<double>(o_.log_progress_seconds)) {
    return;
  }
  last_draw_ = now;
  last_mark_ = mark;
  const BatchRow* r = history_.empty() ? nullptr : &history_.back();
  int width = 24, filled = batches ? (int)((double)batch / batches * width) : 0;
  std::string bar = tty_ ? " [" + std::string(filled, '#') + std::string(width - filled, '.') + "]" : "";
  double left = rate_ > 0 ? (double)(batches - batch) * cfg_.batch / rate_ : NAN;
  char line[320];
  snprintf(line, sizeof line, "%sepoch %d/%d%s %d/%d  %.0f img/s  D %.3f/%.3f  G %.3f  C %.3f  ETA %s%s",
           tty_ ? "\r\033[K" : "", epoch, cfg_.epochs, bar.c_str(), batch, batches, rate_, r ? r->d_loss_real : 0.f,
           r ? r->d_loss_fake : 0.f, r ? r->g_loss : 0.f, r ? r->class_loss : 0.f, fmt_duration(left).c_str(),
           tty_ ? "" : "\n");
  say(line);
}

void Run::check_inputs() const {
  if (!o_.train || o_.train->n == 0) throw std::runtime_error("no training data");
  const Dataset& d = *o_.train;
  if (d.n / cfg_.batch < 1)
    throw std::runtime_error("dataset " + d.name + " has " + std::to_string(d.n) +
                             " images, fewer than one mini-batch of " + std::to_string(cfg_.batch) +
                             ": lower --batchsize or raise --subset");
  if (cfg_.epochs < 1) throw std::runtime_error("--epochs must be at least 1");
  if (cfg_.evalfreq < 1) throw std::runtime_error("--evalfreq must be at least 1");
}

// The trainer, fresh or from <run>/checkpoint (the caller built cfg_ from that file already).
CheckpointState Run::open_trainer() {
  setup_quality();  // before the trainer: the evaluator's training uses the device step counter
  trainer_ = std::make_unique<GanTrainer>(ops_, cfg_);
  CheckpointState ck;
  if (o_.resume) {
    const std::string ck_path = path(run_ + "/checkpoint/state.safetensors");
    ck = load_checkpoint(read_model_file(ck_path, nullptr), *trainer_, ck_path);
    history_ = ck.history;
    evals_ = ck.evals;
  }
  trainer_->set_data(*o_.train);
  return ck;
}

// Fixed noise for every generated grid: the cells of row r share noise vector r, and column c
// is class c, so a row shows one latent across the classes.
void Run::make_grid_inputs() {
  const int L = cfg_.model.latent_dim;
  std::vector<float> row_noise(10 * (size_t)L);
  ref::randn(row_noise.data(), (int64_t)row_noise.size(), 0.0f, 1.0f, cfg_.seed ^ 0x67726964ULL /*"grid"*/, 0);
  grid_noise_.resize(100 * (size_t)L);
  grid_labels_.resize(100);
  for (int i = 0; i < 100; ++i) {
    std::copy(row_noise.begin() + (i / 10) * L, row_noise.begin() + (i / 10 + 1) * L, grid_noise_.begin() + i * L);
    grid_labels_[i] = (i % 10) % cfg_.model.num_classes;
  }
}

// A new run's first artifacts, or a resumed run's announcement and clean-up.
void Run::begin(const CheckpointState& ck) {
  if (o_.state) o_.state->begin(run_, o_.hyperparameters.dump(-1));
  if (!o_.resume) {
    put(run_ + "/hyperparameters.json", o_.hyperparameters.dump(2) + "\n");
    write_target();
    write_grid(run_ + "/epoch/0/generated.png");
    return;
  }
  say("resuming " + run_ + " after epoch " + std::to_string(ck.epoch) + " (" + std::to_string(ck.step) +
      " mini-batches)\n");
  if (int n = remove_stale_temp_files(path(run_)))
    say("removed " + std::to_string(n) + " partly written file" + (n == 1 ? "" : "s") + " left by the run's last process\n");
}

// The metrics of the mini-batches since the last flush, into the history, the rate and the live state.
void Run::flush_metrics(int epoch, int batch, double epoch_seconds, double train_seconds, bool last) {
  std::vector<StepMetrics> ms = trainer_->take_metrics();
  const double dt = seconds_since(t_flush_);
  t_flush_ = Clock::now();
  const float per_batch = ms.empty() ? 0.f : (float)(dt / ms.size());
  std::vector<BatchRow> rows;
  const int64_t step0 = trainer_->step() - (int64_t)ms.size();
  for (size_t k = 0; k < ms.size(); ++k) {
    BatchRow r;
    r.step = step0 + (int64_t)k + 1;
    r.epoch = epoch;
    r.epochs = cfg_.epochs;
    r.batch = (int)((r.step - 1) % batches_) + 1;
    r.batches = batches_;
    r.d_loss_real = ms[k].d_loss_real;
    r.d_loss_fake = ms[k].d_loss_fake;
    r.g_loss = ms[k].g_loss;
    r.class_loss = ms[k].class_loss;
    r.d_acc_real = ms[k].d_acc_real;
    r.d_acc_fake = ms[k].d_acc_fake;
    r.class_acc = ms[k].class_acc;
    r.seconds = per_batch;
    rows.push_back(r);
  }
  history_.insert(history_.end(), rows.begin(), rows.end());
  const double inst = dt > 0 ? ms.size() * (double)cfg_.batch / dt : 0;
  rate_ = rate_ > 0 ? 0.7 * rate_ + 0.3 * inst : inst;
  if (o_.state) {
    Progress p;
    p.epoch = epoch;
    p.epochs = cfg_.epochs;
    p.batch = batch;
    p.batches = batches_;
    p.images_per_sec = rate_;
    p.elapsed = train_seconds + epoch_seconds;
    const int64_t left = (int64_t)(cfg_.epochs - epoch) * batches_ + (batches_ - batch);
    p.eta_seconds = rate_ > 0 ? left * (double)cfg_.batch / rate_ : 0;
    p.live = true;
    o_.state->add_batches(rows, p);
  }
  progress(epoch, batch, batches_, last);
}

// One epoch's mini-batches; false when a stop request ended it early.
bool Run::train_epoch(int epoch, double train_seconds) {
  const Dataset& d = *o_.train;
  const int H = cfg_.batch / 2;
  SplitMix rng{cfg_.seed * 0xD1B54A32D192ED03ULL + (uint64_t)epoch};
  if (cfg_.shuffle) {
    for (int i = 0; i < d.n; ++i) perm_[i] = i;
    for (int i = d.n - 1; i > 0; --i) std::swap(perm_[i], perm_[rng.below((uint32_t)i + 1)]);
  }
  const auto t_epoch = Clock::now();
  t_flush_ = t_epoch;
  for (int b = 0; b < batches_; ++b) {
    for (int i = 0; i < H; ++i) idx_[i] = cfg_.shuffle ? perm_[(b * H + i) % d.n] : (int32_t)rng.below((uint32_t)d.n);
    trainer_->train_step(idx_.data());
    const bool last = b + 1 == batches_;
    if ((b + 1) % std::max(1, cfg_.metrics_flush) == 0 || last)
      flush_metrics(epoch, b + 1, seconds_since(t_epoch), train_seconds, last);
    if (o_.stop && o_.stop->load()) return false;
  }
  return true;
}

RunResult Run::go() {
  check_inputs();
  tty_ = !o_.quiet && isatty(2);
  batches_ = o_.train->n / cfg_.batch;
  run_ = o_.run_id.empty() ? utc_run_id() : o_.run_id;
  make_dirs(path(run_));
  const CheckpointState ck = open_trainer();
  make_grid_inputs();
  begin(ck);

  perm_.assign(o_.train->n, 0);
  idx_.assign(cfg_.batch / 2, 0);
  double train_seconds = ck.elapsed;
  RunResult res;
  res.run_id = run_;
  res.run_dir = path(run_);
  int epoch = ck.epoch;
  while (epoch < cfg_.epochs) {
    ++epoch;
    const auto t_epoch = Clock::now();
    if (!train_epoch(epoch, train_seconds)) {
      // The partial epoch is dropped: --resume repeats it from the last checkpoint.
      say(std::string(tty_ ? "\n" : "") + "stopped during epoch " + std::to_string(epoch) + "; `--resume " + run_ +
          "` continues after epoch " + std::to_string(epoch - 1) + "\n");
      res.interrupted = true;
      --epoch;
      break;
    }
    train_seconds += seconds_since(t_epoch);
    if (epoch % cfg_.evalfreq == 0 || epoch == cfg_.epochs)
      evaluate(epoch, train_seconds);
    else if (!tty_ && !o_.quiet)
      say("epoch " + std::to_string(epoch) + "/" + std::to_string(cfg_.epochs) + " done, " +
          std::to_string((int)rate_) + " img/s\n");
    checkpoint(epoch, train_seconds);
  }
  if (o_.state) o_.state->finish();
  res.epochs_done = epoch;
  res.steps = trainer_->step();
  res.seconds = train_seconds;
  res.evaluator_seconds = evaluator_seconds_;
  res.quality_seconds = quality_seconds_;
  res.images_per_sec = train_seconds > 0 ? (double)(res.steps - ck.step) * cfg_.batch / std::max(1e-9, train_seconds - ck.elapsed) : 0;
  return res;
}

}  // namespace

std::string utc_run_id() { return utc_time(std::time(nullptr), "%Y%m%dT%H%M%SZ"); }

RunResult run_training(Ops& ops, RunOptions& o) {
  Run r(ops, o);
  return r.go();
}

}  // namespace gan
