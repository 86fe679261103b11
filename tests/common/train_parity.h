// The training-parity check: does a backend train like the CPU reference from the same seed?
// One piece of code for the GPU test (tests/gpu/test_gpu_train.cpp: CUDA against the CPU) and for
// the CPU test that justifies its tolerances (tests/core/test_train_parity.cpp: the CPU against
// itself with rounding noise injected into op outputs, and against planted bugs).
//
// Why not "every weight within 1e-3 after ten steps": both backends draw the same initial
// weights, dropout masks, noise and labels (Philox), so only rounding differs — but Adam divides
// each gradient by its own running RMS, so wherever a gradient is near zero (and rounding decides
// its sign) the update is a full ±lr either way, and GAN training amplifies the difference step
// by step. At the reference widths, 0.1% of op outputs moved by one ulp leaves the one-element
// head_adv.bias 1.1 (relative L2) apart after ten steps and the losses up to 0.03 apart; with the
// conv biases in front of BatchNorm that gan had then (their true gradient is zero), 35 of 47
// tensors failed that bound. So the check has three parts, each as tight as that allows:
//   1. The first step, tightly: the initial weights are bit-identical; a step at learning rate 0
//      (so no Adam update, decided by a rounded sign, changes what the later passes of the step
//      see) gives the same BatchNorm running statistics (every forward activation of the five
//      passes) and the same Adam first moments m, i.e. the gradients ((1−β1)·g for G,
//      β1(1−β1)·g1 + (1−β1)·g2 for D), over each model and, more loosely, per tensor; and at the
//      real rate G's first update (±lr per element) is the same but for the few elements where
//      rounding decided a gradient's sign.
//   2. Over every step: the losses and accuracies read back each mini-batch.
//   3. After the last step: the parameters and the BatchNorm statistics, pooled per model.
// The configuration (parity::config) is a quarter of the reference widths, so the CPU side takes
// seconds and the emulation runs in CI; every op of the reference model still runs.
//
// Tolerances. The CPU emulation (tests/core/test_train_parity.cpp, which prints these figures)
// runs the same configuration with rounding noise injected into op outputs: "ulp" moves 0.1% of
// every op's float outputs by one ulp (device math functions and pointwise kernels); "sum r" adds
// uniform noise of ±r·rms(output) to every output of the ops a GPU sums in another order (conv,
// linear, BatchNorm, losses; gradients as their increments): r = 1e-6 is about the error of an
// FP32 sum of ~1000 terms, r = 1e-4 as large as tests/gpu/test_gpu_layers.cpp lets cuDNN's
// Winograd and FFT algorithms be (1e-4 of max|ref|), r = 5e-4 that of TF32 inputs (10-bit
// mantissas). Measured, as measured/limit of the worst tensor, model or step of each check
// (2026-12, 10 steps of parity::config(); in brackets the worst of three more noise seeds):
//
//   check (FP32 limit)                        ulp    sum 1e-6  sum 1e-4     | TF32 limits: 5e-4
//   lr 0: BatchNorm statistics (1e-3)         0.00   0.00      0.10 [0.12]  | 0.10 [0.12] (5e-3)
//   lr 0: gradients per model (0.1)           0.00   0.00      0.17 [0.22]  | 0.22 [0.23] (0.2)
//   lr 0: gradients per tensor (0.2)          0.00   0.00      0.11 [0.14]  | 0.23 [0.17] (0.4)
//   G updates differing > lr/100 (10%)        0.00   0.01      0.13 [0.20]  | 0.24 [0.23]
//   losses (0.01 + 1%)                        0.01   0.10      0.15 [0.27]  | 0.07 (0.02 + 2%)
//   accuracies (5 samples of 32)              0.18   0.18      0.18 [0.36]  | 0.15 (6 samples)
//   after 10 steps: parameters (1.5e-2)       0.03   0.19      0.29 [0.33]  | 0.26 (2e-2)
//   after 10 steps: BatchNorm stats (1.5e-2)  0.02   0.15      0.19 [0.35]  | 0.22 (2e-2)
//
// bf16 (--precision bf16) compares a CUDA run with a bf16 CPU run, which rounds where the GPU does
// (src/precision.h), so only the sums' order differs, and a different fp32 sum flips some bf16
// roundings. Emulated by noise of ±2e-3·rms (half a bf16 step, on every output, far more than
// those flips) on a bf16 CPU run, three noise seeds (2026-12): worst measured/limit 0.22 of the
// lr-0 statistics (1e-2), 0.39 of the gradients per model (0.3), 0.41 per tensor (0.4), 0.30 of
// the G updates (15%), 0.15 of the losses and 0.31 of the accuracies (TF32's), 0.33 and 0.42 of
// the ten-step parameters and statistics (2e-2); the planted concat bug exceeds the lr-0
// statistics 4.8×, gradients 4.5×. An fp32 run fails the fp32 limits against the bf16 reference
// (lr-0 statistics 2.9×): the rounding points are real.
//
// So rounding noise as large as the layer tests accept stays near a third of every limit or
// under, while each planted bug exceeds some limit several times over: an off-by-one in concat's
// output (lr-0 statistics 48× their limit, gradients 14×), a conv-transpose weight read as
// [out,in,k,k] (statistics 1200×, gradients 15×), Adam's t one too high (G updates 10×), a step
// counter that never advances, as a graph replay without advance_step would (step 1 exact;
// losses 78×, parameters 2.5×). Per-tensor limits after ten steps would be meaningless: with ulp
// noise alone a one-element head bias ends O(1) apart at the reference widths (above), so the
// ten-step state is pooled per model.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "src/data/dataset.h"
#include "src/train/trainer.h"

namespace gan::parity {

// acgan28 at a quarter of the reference widths (32 filters; every op and layer of the reference
// model, at shapes where the CPU side of a run takes seconds on two cores), batch 64, seed 1234.
inline TrainConfig narrow_config(int filters, int batch, uint64_t seed) {
  TrainConfig cfg;
  cfg.model.conv_filters = {filters, filters};
  cfg.model.conv_transpose_filters = {filters, filters};
  cfg.model.generator_input_filters = filters;
  cfg.batch = batch;
  cfg.seed = seed;
  return cfg;
}
inline TrainConfig config() { return narrow_config(32, 64, 1234); }

// 512 uniform random 28×28 images with labels 0..9 in turn.
inline Dataset dataset() {
  Dataset d;
  d.name = "parity-random";
  d.n = 512;
  std::mt19937 g(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  d.images.resize((size_t)d.n * 28 * 28);
  for (auto& x : d.images) x = u(g);
  for (int i = 0; i < d.n; ++i) d.labels.push_back(i % 10);
  for (int k = 0; k < 10; ++k) d.class_names.push_back(std::to_string(k));
  return d;
}

// The real-batch indices of step `step` (the same on every backend).
inline std::vector<int32_t> indices(int step, int half, int n) {
  std::mt19937 g(1000 + step);
  std::vector<int32_t> v(half);
  for (auto& i : v) i = (int32_t)(g() % n);
  return v;
}

struct Named {
  std::string name;
  std::vector<float> v;
};
enum class Kind { Param, Buffer, AdamM };
struct Snapshot {
  std::vector<std::pair<Kind, Named>> tensors;
};

// Every parameter and BatchNorm buffer of both models (and Adam's first moments when asked), on the host.
inline Snapshot snapshot(GanTrainer& t, bool moments) {
  Snapshot s;
  for (Model* m : {(Model*)&t.generator(), (Model*)&t.discriminator()}) {
    for (auto& p : m->params().params()) {
      s.tensors.push_back({Kind::Param, {m->name() + "." + p->name, p->value.to_host()}});
      if (moments) s.tensors.push_back({Kind::AdamM, {m->name() + ".adam_m." + p->name, p->m.to_host()}});
    }
    for (auto& b : m->params().buffers()) s.tensors.push_back({Kind::Buffer, {m->name() + "." + b.first, b.second.to_host()}});
  }
  return s;
}

// What the check compares: one step at learning rate 0 (gradients and BatchNorm statistics of all
// five forward passes with nothing moved by Adam yet), and a run at the configured rate: its state
// before and after the first step, the metrics of every step and the state after the last.
struct Run {
  Snapshot frozen_step, initial, after_one, after_all;
  std::vector<StepMetrics> metrics;
  float lr = 0;
  int half = 0;
};

inline Run run(Ops& ops, const TrainConfig& cfg, const Dataset& data, int steps = 10) {
  Run r;
  r.lr = cfg.adam.lr;
  r.half = cfg.batch / 2;
  {
    // With lr 0 the D update between the passes changes nothing, so every gradient and statistic
    // of the step differs only by rounding (no Adam step decided by a rounded sign).
    TrainConfig frozen = cfg;
    frozen.adam.lr = 0;
    GanTrainer t(ops, frozen);
    t.set_data(data);
    t.train_step(indices(0, cfg.batch / 2, data.n).data());
    r.frozen_step = snapshot(t, true);
  }
  GanTrainer t(ops, cfg);
  t.set_data(data);
  r.initial = snapshot(t, false);
  for (int s = 0; s < steps; ++s) {
    t.train_step(indices(s, cfg.batch / 2, data.n).data());
    if (s == 0) r.after_one = snapshot(t, false);
  }
  r.metrics = t.take_metrics();
  r.after_all = snapshot(t, false);
  return r;
}

// The FP32 limits (the default) are the members' initial values.
struct Tolerances {
  double stats1 = 1e-3;       // step 1 at lr 0: BatchNorm running statistics, relative L2 per tensor
  double grads1 = 0.1;        // step 1 at lr 0: Adam's m (the gradients), relative L2 over each model
  double grads1_each = 0.2;   // the same per tensor (small tensors' gradients are noise-dominated)
  double update_diff = 0.01;  // step 1: an element's update "differs" when by more than this × lr
  double updates1 = 0.1;      // step 1: fraction of G's parameters whose update differs
  double loss_atol = 0.01, loss_rtol = 0.01;  // every step: |loss − ref| ≤ atol + rtol·|ref|
  int acc_samples = 5;        // every step: accuracies within this many samples of the half batch
  double params_all = 1.5e-2;   // after the last step: parameters, relative L2 over each model
  double buffers_all = 1.5e-2;  // after the last step: BatchNorm statistics, relative L2 over each model
};

// FP32 (the default), TF32 and bf16 (--precision) limits; the header comment says where they come from.
inline Tolerances fp32() { return Tolerances(); }
inline Tolerances tf32() {
  Tolerances t = fp32();
  t.stats1 = 5e-3;
  t.grads1 = 0.2;
  t.grads1_each = 0.4;
  t.loss_atol = 0.02;
  t.loss_rtol = 0.02;
  t.acc_samples = 6;
  t.params_all = 2e-2;
  t.buffers_all = 2e-2;
  return t;
}

// bf16: the TF32 limits but for the first step's statistics, gradients and G updates, which the
// bf16 rounding of every matrix output moves more (tests/core/test_train_parity.cpp measures it:
// noise of ±2e-3·rms, half a bf16 step, on every matrix, reduction and loss output of a bf16 CPU
// run stays within a third of each limit over three noise seeds, while a planted bug exceeds them).
inline Tolerances bf16() {
  Tolerances t = tf32();
  t.stats1 = 1e-2;
  t.grads1 = 0.3;
  t.updates1 = 0.15;
  return t;
}
inline Tolerances for_precision(Precision p) {
  return p == Precision::Bf16 ? bf16() : p == Precision::Tf32 ? tf32() : fp32();
}

// One comparison: `value` against `limit` (passes when value ≤ limit; NaN never passes).
struct Margin {
  std::string check, what;
  double value, limit;
  double ratio() const { return limit > 0 ? value / limit : (value > 0 ? INFINITY : 0.0); }
  bool ok() const { return value <= limit; }
};

struct Result {
  std::vector<Margin> margins;
  bool ok() const {
    for (const Margin& m : margins)
      if (!m.ok()) return false;
    return !margins.empty();
  }
  // The worst margin of each check, then every failure (at most `max_failures`).
  std::string report(size_t max_failures = 12) const {
    std::vector<std::string> checks;
    for (const Margin& m : margins)
      if (std::find(checks.begin(), checks.end(), m.check) == checks.end()) checks.push_back(m.check);
    std::ostringstream o;
    o.precision(3);
    for (const std::string& c : checks) {
      const Margin* w = nullptr;
      for (const Margin& m : margins)
        if (m.check == c && (!w || m.ratio() > w->ratio())) w = &m;
      o << "  " << c << ": worst " << w->what << " " << w->value << " (limit " << w->limit << ", "
        << w->ratio() << " of it)\n";
    }
    size_t shown = 0;
    for (const Margin& m : margins)
      if (!m.ok() && shown++ < max_failures)
        o << "  FAIL " << m.check << ": " << m.what << " " << m.value << " > " << m.limit << "\n";
    return o.str();
  }
  // The largest value/limit of one check (0 when it has none).
  double worst(const std::string& check) const {
    double w = 0;
    for (const Margin& m : margins)
      if (m.check == check) w = std::max(w, m.ratio());
    return w;
  }
};

// Sums of squares for a relative L2 distance ‖got − ref‖ / ‖ref‖, pooled over several tensors.
struct L2 {
  double diff = 0, norm = 0;
  bool finite = true;
  void add(const std::vector<float>& got, const std::vector<float>& ref) {
    for (size_t k = 0; k < ref.size(); ++k) {
      if (!std::isfinite(got[k])) finite = false;
      const double d = (double)got[k] - ref[k];
      diff += d * d;
      norm += (double)ref[k] * ref[k];
    }
  }
  double rel() const {
    if (!finite) return INFINITY;
    if (norm == 0) return diff == 0 ? 0.0 : INFINITY;
    return std::sqrt(diff / norm);
  }
};
inline double rel_l2(const std::vector<float>& got, const std::vector<float>& ref) {
  L2 l;
  l.add(got, ref);
  return l.rel();
}

// "generator.x.weight" → "generator".
inline std::string model_of(const std::string& name) { return name.substr(0, name.find('.')); }

// Compares `got` against the reference run `ref` (same configuration and steps).
inline Result compare(const Run& ref, const Run& got, const Tolerances& tol) {
  Result r;
  auto add = [&](const std::string& check, const std::string& what, double value, double limit) {
    r.margins.push_back({check, what, std::isnan(value) ? INFINITY : value, limit});
  };
  auto same_layout = [&](const Snapshot& a, const Snapshot& b, const char* when) {
    bool ok = a.tensors.size() == b.tensors.size();
    for (size_t i = 0; ok && i < a.tensors.size(); ++i)
      ok = a.tensors[i].first == b.tensors[i].first && a.tensors[i].second.name == b.tensors[i].second.name &&
           a.tensors[i].second.v.size() == b.tensors[i].second.v.size();
    if (!ok) add("layout", std::string("tensors ") + when, 1, 0);
    return ok;
  };
  if (!same_layout(ref.frozen_step, got.frozen_step, "after the step at lr 0") ||
      !same_layout(ref.initial, got.initial, "initially") || !same_layout(ref.after_one, got.after_one, "after step 1") ||
      !same_layout(ref.after_all, got.after_all, "after the last step"))
    return r;

  // 1. The first step.
  for (size_t i = 0; i < ref.initial.tensors.size(); ++i) {
    const Named &a = ref.initial.tensors[i].second, &b = got.initial.tensors[i].second;
    size_t differ = 0;
    for (size_t k = 0; k < a.v.size(); ++k) differ += std::memcmp(&a.v[k], &b.v[k], sizeof(float)) != 0;
    add("initial state: elements not bit-identical", a.name, (double)differ, 0);
  }
  std::map<std::string, L2> grads;
  for (size_t i = 0; i < ref.frozen_step.tensors.size(); ++i) {
    const Kind kind = ref.frozen_step.tensors[i].first;
    const Named &a = ref.frozen_step.tensors[i].second, &b = got.frozen_step.tensors[i].second;
    if (kind == Kind::Buffer) {
      add("step 1 at lr 0: BatchNorm statistics", a.name, rel_l2(b.v, a.v), tol.stats1);
    } else if (kind == Kind::AdamM) {
      grads[model_of(a.name)].add(b.v, a.v);
      add("step 1 at lr 0: gradients per tensor", a.name, rel_l2(b.v, a.v), tol.grads1_each);
    }
  }
  for (const auto& [m, l] : grads) add("step 1 at lr 0: gradients per model", m, l.rel(), tol.grads1);
  // G's first update of an element is ±lr·(bias-corrected m/√v) = ±lr whichever backend computed
  // it, unless rounding decided the gradient's sign. (D's second update within the step depends
  // continuously on how its first went, so a quarter of D's elements differ by more than lr/100
  // under rounding noise alone: D's step is checked through the gradients above and the steps
  // below.)
  size_t differ = 0, all = 0;
  for (size_t i = 0; i < ref.after_one.tensors.size(); ++i) {
    const Named &a = ref.after_one.tensors[i].second, &b = got.after_one.tensors[i].second;
    if (ref.after_one.tensors[i].first != Kind::Param || model_of(a.name) != "generator") continue;
    const Named& p0 = ref.initial.tensors[i].second;  // the same layout: neither has moments
    for (size_t k = 0; k < a.v.size(); ++k)
      differ += !(std::fabs(((double)b.v[k] - p0.v[k]) - ((double)a.v[k] - p0.v[k])) <= tol.update_diff * ref.lr);
    all += a.v.size();
  }
  add("step 1: G parameter updates that differ", "generator", all ? (double)differ / (double)all : 1.0, tol.updates1);

  // 2. Every step's metrics.
  if (got.metrics.size() != ref.metrics.size()) add("layout", "metric rows", 1, 0);
  const double acc_limit = (tol.acc_samples + 0.5) / ref.half;
  for (size_t s = 0; s < std::min(ref.metrics.size(), got.metrics.size()); ++s) {
    const StepMetrics &a = ref.metrics[s], &b = got.metrics[s];
    const std::string st = "step " + std::to_string(s + 1) + " ";
    auto loss = [&](const char* n, float x, float y) {
      add("losses", st + n, std::fabs((double)y - x), tol.loss_atol + tol.loss_rtol * std::fabs((double)x));
    };
    loss("D loss real", a.d_loss_real, b.d_loss_real);
    loss("D loss fake", a.d_loss_fake, b.d_loss_fake);
    loss("G loss", a.g_loss, b.g_loss);
    loss("class loss", a.class_loss, b.class_loss);
    add("accuracies", st + "D accuracy real", std::fabs((double)b.d_acc_real - a.d_acc_real), acc_limit);
    add("accuracies", st + "D accuracy fake", std::fabs((double)b.d_acc_fake - a.d_acc_fake), acc_limit);
    add("accuracies", st + "class accuracy", std::fabs((double)b.class_acc - a.class_acc), acc_limit);
  }

  // 3. The state after the last step, pooled per model: a single small tensor (a head's bias) can
  // end up O(1) apart from rounding alone (see the top), but the model as a whole cannot.
  std::map<std::string, L2> params, buffers;
  for (size_t i = 0; i < ref.after_all.tensors.size(); ++i) {
    const Named &a = ref.after_all.tensors[i].second, &b = got.after_all.tensors[i].second;
    (ref.after_all.tensors[i].first == Kind::Buffer ? buffers : params)[model_of(a.name)].add(b.v, a.v);
  }
  for (const auto& [m, l] : params) add("after the last step: parameters per model", m, l.rel(), tol.params_all);
  for (const auto& [m, l] : buffers) add("after the last step: BatchNorm statistics per model", m, l.rel(), tol.buffers_all);
  return r;
}

}  // namespace gan::parity
