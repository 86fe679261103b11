// ./bench --profile and the ceilings (profile.h).
#include "profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "src/train/trainer.h"
#ifdef GAN_HAVE_CUDA
#include <cuda_runtime.h>

#include "kernels/check.h"
#include "kernels/cuda_ops.h"
#endif

namespace gan::bench {

double linear_flops(int B, int C_in, int C_out) { return 2.0 * B * C_in * C_out; }
double conv_flops(const ConvShape& s, bool transposed) {
  return transposed ? 2.0 * s.N * s.C_in * s.H * s.W * s.C_out * s.KH * s.KW
                    : 2.0 * s.N * s.C_out * s.H_out * s.W_out * s.C_in * s.KH * s.KW;
}

namespace {

std::string conv_str(const ConvShape& s) {
  return std::to_string(s.N) + "x" + std::to_string(s.C_in) + "x" + std::to_string(s.H) + "x" + std::to_string(s.W) +
         "->" + std::to_string(s.C_out) + "x" + std::to_string(s.H_out) + "x" + std::to_string(s.W_out) + " k" +
         std::to_string(s.KH) + "s" + std::to_string(s.stride);
}
std::string n_str(int64_t n) { return std::to_string(n); }
int64_t conv_in(const ConvShape& s) { return (int64_t)s.N * s.C_in * s.H * s.W; }
int64_t conv_out(const ConvShape& s) { return (int64_t)s.N * s.C_out * s.H_out * s.W_out; }
int64_t conv_w(const ConvShape& s) { return (int64_t)s.C_in * s.C_out * s.KH * s.KW; }

}  // namespace

// Every op of src/op_list.h passes through to `in_`, timed under its name (no shape, FLOPs or
// bytes), so a new op needs nothing here; ProfilingOps spells out the ops it knows more about.
class ProfiledPassThrough : public Ops {
 public:
  explicit ProfiledPassThrough(Ops& inner) : in_(inner) {}
#define GAN_PROFILED(name, kind, params, args) \
  void name params override { timed_plain(#name, [&] { in_.name args; }); }
  GAN_OPS(GAN_PROFILED)
#undef GAN_PROFILED

 protected:
  virtual void timed_plain(const char* op, const std::function<void()>& fn) = 0;
  Ops& in_;
};

class ProfilingOps final : public ProfiledPassThrough {
 public:
  explicit ProfilingOps(Ops& inner) : ProfiledPassThrough(inner) {
#ifdef GAN_HAVE_CUDA
    cuda_ = dynamic_cast<cuda::CudaOps*>(&inner);
#endif
    precision_ = inner.precision();
  }
  ~ProfilingOps() override {
#ifdef GAN_HAVE_CUDA
    for (auto& e : events_) {
      cudaEventDestroy(e.first);
      cudaEventDestroy(e.second);
    }
#endif
  }

  void record(bool on) { recording_ = on; }
  // Count only: recorded calls are charged but not run (for counting a step's FLOPs cheaply).
  void dry(bool on) { dry_ = on; }
  std::vector<OpStat> collect() {
    in_.synchronize();
#ifdef GAN_HAVE_CUDA
    for (Pending& p : pending_) {
      float t = 0;
      CUDA_CHECK(cudaEventElapsedTime(&t, events_[p.event].first, events_[p.event].second));
      stats_[p.key].ms += t;
    }
    pending_.clear();
    next_event_ = 0;
#endif
    std::vector<OpStat> v;
    for (auto& [k, s] : stats_) v.push_back(s);
    std::sort(v.begin(), v.end(), [](const OpStat& a, const OpStat& b) { return a.ms > b.ms; });
    return v;
  }

  std::string name() const override { return in_.name(); }
  bool is_cuda() const override { return in_.is_cuda(); }
  void set_precision(Precision p) override {
    Ops::set_precision(p);
    in_.set_precision(p);
  }
  std::unique_ptr<Buffer> alloc(size_t bytes) override { return in_.alloc(bytes); }
  void copy_to_device(void* d, const void* s, size_t b) override {
    timed("copy_to_device", n_str(b / 4), 0, b, [&] { in_.copy_to_device(d, s, b); });
  }
  void copy_to_host(void* d, const void* s, size_t b) override { in_.copy_to_host(d, s, b); }
  void copy_device(void* d, const void* s, size_t b) override {
    timed("copy_device", n_str(b / 4), 0, 2.0 * b, [&] { in_.copy_device(d, s, b); });
  }
  void fill(float* x, int64_t n, float v) override { timed("fill", n_str(n), 0, 4.0 * n, [&] { in_.fill(x, n, v); }); }
  void synchronize() override { in_.synchronize(); }
  void set_step(uint64_t s) override { in_.set_step(s); }
  void advance_step() override { timed("advance_step", "", 0, 8, [&] { in_.advance_step(); }); }
  void store_row(float* slab, const float* v, int count, int cap) override {
    timed("store_row", n_str(count), 0, 8.0 * count, [&] { in_.store_row(slab, v, count, cap); });
  }
  void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row) override {
    timed("gather_rows", n_str(n) + "x" + n_str(row), 0, 8.0 * n * row, [&] { in_.gather_rows(out, src, idx, n, row); });
  }
  void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n) override {
    timed("gather_labels", n_str(n), 0, 12.0 * n, [&] { in_.gather_labels(out, src, idx, n); });
  }
  void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset) override {
    timed("randn", n_str(n), 0, 4.0 * n, [&] { in_.randn(out, n, mean, std, seed, offset); });
  }
  void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset) override {
    timed("randint", n_str(n), 0, 4.0 * n, [&] { in_.randint(out, n, high, seed, offset); });
  }
  void axpy(float* y, const float* x, int64_t n, float a) override {
    timed("axpy", n_str(n), 0, 12.0 * n, [&] { in_.axpy(y, x, n, a); });  // bandwidth-bound: judged by bytes
  }
  void linear_forward(float* out, const float* inp, const float* w, const float* b, int B, int I, int O) override {
    timed("linear_forward", n_str(B) + "x" + n_str(I) + "->" + n_str(O), linear_flops(B, I, O),
          4.0 * ((double)B * I + (double)I * O + (double)B * O), [&] { in_.linear_forward(out, inp, w, b, B, I, O); });
  }
  void linear_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w, int B,
                       int I, int O) override {
    const double f = linear_flops(B, I, O) * ((dinp ? 1 : 0) + (dw ? 1 : 0));
    const double by = 4.0 * ((double)B * O + (dinp ? (double)B * I + (double)I * O : 0) +
                             (dw ? (double)B * I + 2.0 * I * O : 0));
    timed("linear_backward", n_str(B) + "x" + n_str(I) + "->" + n_str(O), f, by,
          [&] { in_.linear_backward(dinp, dw, db, dout, inp, w, B, I, O); });
  }
  void embedding_forward(float* out, const int32_t* l, const float* t, int B, int num, int dim) override {
    timed("embedding_forward", n_str(B) + "x" + n_str(dim), 0, 8.0 * B * dim, [&] { in_.embedding_forward(out, l, t, B, num, dim); });
  }
  void embedding_backward(float* dt, const float* dout, const int32_t* l, int B, int num, int dim) override {
    timed("embedding_backward", n_str(B) + "x" + n_str(dim), 0, 12.0 * B * dim,
          [&] { in_.embedding_backward(dt, dout, l, B, num, dim); });
  }
  void conv2d_forward(float* out, const float* inp, const float* w, const float* b, const ConvShape& s) override {
    timed("conv2d_forward", conv_str(s), conv_flops(s, false), 4.0 * (conv_in(s) + conv_w(s) + conv_out(s)),
          [&] { in_.conv2d_forward(out, inp, w, b, s); });
  }
  void conv2d_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                       const ConvShape& s) override {
    timed(dinp ? (dw ? "conv2d_backward" : "conv2d_backward_data") : "conv2d_backward_filter", conv_str(s),
          conv_flops(s, false) * ((dinp ? 1 : 0) + (dw ? 1 : 0)), conv_bwd_bytes(s, dinp, dw),
          [&] { in_.conv2d_backward(dinp, dw, db, dout, inp, w, s); });
  }
  void conv_transpose2d_forward(float* out, const float* inp, const float* w, const float* b, const ConvShape& s) override {
    timed("conv_transpose2d_forward", conv_str(s), conv_flops(s, true), 4.0 * (conv_in(s) + conv_w(s) + conv_out(s)),
          [&] { in_.conv_transpose2d_forward(out, inp, w, b, s); });
  }
  void conv_transpose2d_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                                 const float* w, const ConvShape& s) override {
    timed(dinp ? (dw ? "conv_transpose2d_backward" : "conv_transpose2d_backward_data")
               : "conv_transpose2d_backward_filter",
          conv_str(s), conv_flops(s, true) * ((dinp ? 1 : 0) + (dw ? 1 : 0)), conv_bwd_bytes(s, dinp, dw),
          [&] { in_.conv_transpose2d_backward(dinp, dw, db, dout, inp, w, s); });
  }
  void batchnorm_forward_train(float* out, float* sm, float* si, float* rm, float* rv, const float* inp,
                               const float* g, const float* b, int N, int C, int HW, float mom, float eps) override {
    const int64_t n = (int64_t)N * C * HW;
    timed("batchnorm_forward_train", bn_str(N, C, HW), 0, 8.0 * n,
          [&] { in_.batchnorm_forward_train(out, sm, si, rm, rv, inp, g, b, N, C, HW, mom, eps); });
  }
  void batchnorm_forward_eval(float* out, const float* inp, const float* g, const float* b, const float* rm,
                              const float* rv, int N, int C, int HW, float eps) override {
    const int64_t n = (int64_t)N * C * HW;
    timed("batchnorm_forward_eval", bn_str(N, C, HW), 0, 8.0 * n,
          [&] { in_.batchnorm_forward_eval(out, inp, g, b, rm, rv, N, C, HW, eps); });
  }
  void batchnorm_backward(float* dinp, float* dg, float* db, const float* dout, const float* inp, const float* g,
                          const float* sm, const float* si, int N, int C, int HW) override {
    const int64_t n = (int64_t)N * C * HW;
    timed("batchnorm_backward", bn_str(N, C, HW), 0, 12.0 * n,
          [&] { in_.batchnorm_backward(dinp, dg, db, dout, inp, g, sm, si, N, C, HW); });
  }
  void bn_act_dropout_forward_train(float* out, float* mask, float* sm, float* si, float* rm, float* rv,
                                    const float* inp, const float* bias, const float* g, const float* b, int N, int C,
                                    int HW, float mom, float eps, float alpha, float p, uint64_t seed,
                                    uint64_t offset) override {
    const int64_t n = (int64_t)N * C * HW;
    // Reads x, writes out and the mask (the one-pass minimum; the statistics read x once more).
    timed("bn_act_dropout_forward_train", bn_str(N, C, HW), 0, (mask ? 12.0 : 8.0) * n, [&] {
      in_.bn_act_dropout_forward_train(out, mask, sm, si, rm, rv, inp, bias, g, b, N, C, HW, mom, eps, alpha, p, seed,
                                       offset);
    });
  }
  void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* g, const float* b,
                           const float* rm, const float* rv, int N, int C, int HW, float eps, float alpha) override {
    const int64_t n = (int64_t)N * C * HW;
    timed("bn_act_forward_eval", bn_str(N, C, HW), 0, 8.0 * n,
          [&] { in_.bn_act_forward_eval(out, inp, bias, g, b, rm, rv, N, C, HW, eps, alpha); });
  }
  void bn_act_dropout_backward(float* dinp, float* dbias, float* dg, float* db, const float* dout, const float* mask,
                               const float* inp, const float* bias, const float* g, const float* b, const float* sm,
                               const float* si, int N, int C, int HW, float alpha) override {
    const int64_t n = (int64_t)N * C * HW;
    timed("bn_act_dropout_backward", bn_str(N, C, HW), 0, (mask ? 16.0 : 12.0) * n, [&] {
      in_.bn_act_dropout_backward(dinp, dbias, dg, db, dout, mask, inp, bias, g, b, sm, si, N, C, HW, alpha);
    });
  }
  void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha) override {
    timed(std::string("activation_forward:") + act_name(act), n_str(n), 0, 8.0 * n,
          [&] { in_.activation_forward(act, out, inp, n, alpha); });
  }
  void activation_backward(Act act, float* dinp, const float* dout, const float* inp, const float* out, int64_t n,
                           float alpha) override {
    timed(std::string("activation_backward:") + act_name(act), n_str(n), 0, 12.0 * n,
          [&] { in_.activation_backward(act, dinp, dout, inp, out, n, alpha); });
  }
  void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed,
                       uint64_t offset) override {
    timed("dropout_forward", n_str(n), 0, 12.0 * n, [&] { in_.dropout_forward(out, mask, inp, n, p, seed, offset); });
  }
  void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n) override {
    timed("dropout_backward", n_str(n), 0, 12.0 * n, [&] { in_.dropout_backward(dinp, dout, mask, n); });
  }
  void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW) override {
    timed("concat_forward", bn_str(N, Ca + Cb, HW), 0, 8.0 * N * (Ca + Cb) * HW,
          [&] { in_.concat_forward(out, a, b, N, Ca, Cb, HW); });
  }
  void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW) override {
    timed("concat_backward", bn_str(N, Ca + Cb, HW), 0, 8.0 * N * (Ca + Cb) * HW,
          [&] { in_.concat_backward(da, db, dout, N, Ca, Cb, HW); });
  }
  void bce_logits(float* loss, float* correct, float* dl, const float* logits, const float* t, int B, float scale) override {
    timed("bce_logits", n_str(B), 0, 12.0 * B, [&] { in_.bce_logits(loss, correct, dl, logits, t, B, scale); });
  }
  void softmax_xent(float* loss, float* correct, float* dl, const float* logits, const int32_t* labels, int B, int C,
                    float scale) override {
    timed("softmax_xent", n_str(B) + "x" + n_str(C), 0, 8.0 * B * C + 4.0 * B,
          [&] { in_.softmax_xent(loss, correct, dl, logits, labels, B, C, scale); });
  }
  void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0, int64_t tps) override {
    int64_t n = 0;
    for (const AdamParam& p : params) n += p.n;
    // Reads param, grad, m, v; writes param, m, v.
    timed("adam_update", n_str(n) + " in " + n_str((int64_t)params.size()), 0, 28.0 * n,
          [&] { in_.adam_update(params, h, t0, tps); });
  }

 private:
  void timed_plain(const char* op, const std::function<void()>& fn) override { timed(op, "", 0, 0, fn); }
  static const char* act_name(Act a) {
    switch (a) {
      case Act::LeakyRelu: return "leaky_relu";
      case Act::Relu: return "relu";
      case Act::Tanh: return "tanh";
      case Act::Sigmoid: return "sigmoid";
    }
    return "?";
  }
  static std::string bn_str(int N, int C, int HW) { return n_str(N) + "x" + n_str(C) + "x" + n_str(HW); }
  static double conv_bwd_bytes(const ConvShape& s, const void* dinp, const void* dw) {
    return 4.0 * (conv_out(s) + (dinp ? conv_w(s) + conv_in(s) : 0) + (dw ? conv_in(s) + 2.0 * conv_w(s) : 0));
  }

  template <class F>
  void timed(const std::string& op, const std::string& shape, double flops, double bytes, F&& fn) {
    if (!recording_) return fn();
    const std::string key = op + "|" + shape;
    OpStat& s = stats_[key];
    s.op = op;
    s.shape = shape;
    s.calls++;
    s.flops += flops;
    s.bytes += bytes;
    if (dry_) return;
#ifdef GAN_HAVE_CUDA
    if (cuda_) {
      if (next_event_ == events_.size()) {
        std::pair<cudaEvent_t, cudaEvent_t> e;
        CUDA_CHECK(cudaEventCreate(&e.first));
        CUDA_CHECK(cudaEventCreate(&e.second));
        events_.push_back(e);
      }
      const size_t ev = next_event_++;
      CUDA_CHECK(cudaEventRecord(events_[ev].first, cuda_->stream()));
      fn();
      CUDA_CHECK(cudaEventRecord(events_[ev].second, cuda_->stream()));
      pending_.push_back({key, ev});
      return;
    }
#endif
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    s.ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  bool recording_ = false, dry_ = false;
  std::map<std::string, OpStat> stats_;
#ifdef GAN_HAVE_CUDA
  struct Pending {
    std::string key;
    size_t event;
  };
  cuda::CudaOps* cuda_ = nullptr;
  std::vector<std::pair<cudaEvent_t, cudaEvent_t>> events_;
  size_t next_event_ = 0;
  std::vector<Pending> pending_;
#endif
};

std::unique_ptr<ProfilingOps> make_profiling_ops(Ops& inner) { return std::make_unique<ProfilingOps>(inner); }
void profiling_record(ProfilingOps& p, bool on) { p.record(on); }
std::vector<OpStat> profiling_collect(ProfilingOps& p) { return p.collect(); }
Ops& profiling_as_ops(ProfilingOps& p) { return p; }

namespace {

TrainConfig model_config(const std::string& arch, Precision p) {
  TrainConfig cfg;
  cfg.model.arch = arch;
  if (arch == "dcgan64") {
    cfg.model.image_size = 64;
    cfg.model.channels = 3;
  }
  cfg.batch = 128;
  cfg.precision = p;
  return cfg;
}

Dataset random_data(const TrainConfig& cfg, int n) {
  Dataset d;
  d.name = "bench-random";
  d.n = n;
  d.c = cfg.model.channels;
  d.h = d.w = cfg.model.image_size;
  d.num_classes = cfg.model.num_classes;
  std::mt19937 g(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  d.images.resize((size_t)n * d.c * d.h * d.w);
  for (auto& x : d.images) x = u(g);
  for (int i = 0; i < n; ++i) d.labels.push_back(i % d.num_classes);
  for (int k = 0; k < d.num_classes; ++k) d.class_names.push_back("class " + std::to_string(k));
  return d;
}

// Trains `steps` recorded mini-batches (after `warmup` unrecorded ones) on the wrapped backend.
std::vector<OpStat> profile_steps(Ops& ops, const TrainConfig& cfg, int warmup, int steps, double* wall_ms,
                                  bool dry = false) {
  auto prof = make_profiling_ops(ops);
  prof->dry(dry);
  GanTrainer t(*prof, cfg);
  t.set_data(random_data(cfg, 512));
  std::mt19937 g(11);
  std::vector<int32_t> idx(cfg.batch / 2);
  auto step = [&] {
    for (auto& i : idx) i = (int32_t)(g() % 512);
    t.train_step(idx.data());
  };
  for (int i = 0; i < warmup; ++i) step();
  t.take_metrics();
  prof->record(true);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  std::vector<OpStat> v = prof->collect();  // waits for the device
  if (wall_ms) *wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  prof->record(false);
  t.take_metrics();
  return v;
}

}  // namespace

double step_flops(Ops& ops, const std::string& arch, Precision p) {
  // Counted from the op arguments of one step, without running it (a step of the CPU reference at
  // batch 128 takes seconds).
  double f = 0;
  for (const OpStat& s : profile_steps(ops, model_config(arch, p), 0, 1, nullptr, true)) f += s.flops;
  return f;
}

void bench_profile(Ops& ops, const Options& o, const Ceilings& c, Report& r) {
  const bool gpu = ops.is_cuda();
  const int steps = o.profile_steps ? o.profile_steps : (gpu ? 20 : 1);
  for (const char* arch : {"acgan28", "dcgan64"}) {
    if (!o.wants(arch)) continue;
    const TrainConfig cfg = model_config(arch, o.precision);
    double wall = 0;
    const std::vector<OpStat> stats = profile_steps(ops, cfg, gpu ? 3 : 1, steps, &wall);
    double total = 0;
    for (const OpStat& s : stats) total += s.ms;
    for (const OpStat& s : stats) {
      Row row;
      row.section = "profile";
      row.device = ops.name();
      row.name = std::string(arch) + " " + s.op;
      row.shape = s.shape;
      row.calls = s.calls / steps;
      row.ms = s.ms / steps;
      row.share = total > 0 ? s.ms / total : NAN;
      if (s.flops > 0) {
        row.gflop = s.flops / steps / 1e9;
        row.tflops = s.flops / (s.ms * 1e-3) / 1e12;
        row.peak_frac = row.tflops / c.gemm_tflops;
      } else if (s.bytes > 0) {
        row.gbps = s.bytes / (s.ms * 1e-3) / 1e9;
        row.copy_frac = row.gbps / c.copy_gbps;
      }
      r.add(row);
    }
    char note[256];
    std::snprintf(note, sizeof note,
                  "profile %s: %d mini-batch(es) of %d, ops sum to %.3f ms per mini-batch, %.3f ms of wall time "
                  "(eager: %s)",
                  arch, steps, cfg.batch, total / steps, wall / steps,
                  gpu ? "no CUDA graph, so launch gaps are included in the wall time" : "CPU reference");
    r.note(note);
  }
}

Ceilings measure_ceilings(Ops& ops, const Options& o, Report& r) {
  const bool gpu = ops.is_cuda();
  const int iters = o.iters ? o.iters : (gpu ? 20 : 3);
  Ceilings c;
  {
    const size_t n = gpu ? size_t(64) << 20 : size_t(16) << 20;  // floats: 256 or 64 MiB
    auto a = ops.alloc(n * 4), b = ops.alloc(n * 4);
    ops.fill((float*)a->data(), (int64_t)n, 1.0f);
    ops.fill((float*)b->data(), (int64_t)n, 0.0f);
    const double ms = median_ms(ops, [&] { ops.copy_device(b->data(), a->data(), n * 4); }, iters, 1);
    c.copy_gbps = 2.0 * n * 4 / (ms * 1e-3) / 1e9;
    Row row;
    row.section = "ceilings";
    row.device = ops.name();
    row.name = "copy device-to-device";
    row.shape = std::to_string(n * 4 >> 20) + " MiB";
    row.ms = ms;
    row.gbps = c.copy_gbps;
    row.copy_frac = 1.0;
    r.add(row);
  }
  {
    const int n = gpu ? 8192 : 1024;
    auto x = ops.alloc((size_t)n * n * 4), w = ops.alloc((size_t)n * n * 4), y = ops.alloc((size_t)n * n * 4);
    ops.fill((float*)x->data(), (int64_t)n * n, 0.5f);
    ops.fill((float*)w->data(), (int64_t)n * n, 0.25f);
    const double ms = median_ms(ops, [&] {
      ops.linear_forward((float*)y->data(), (float*)x->data(), (float*)w->data(), nullptr, n, n, n);
    }, iters, 1);
    c.gemm_tflops = linear_flops(n, n, n) / (ms * 1e-3) / 1e12;
    c.gemm_shape = std::to_string(n) + "^3 " + precision_name(ops.precision());
    Row row;
    row.section = "ceilings";
    row.device = ops.name();
    row.name = "GEMM (linear_forward)";
    row.shape = c.gemm_shape;
    row.ms = ms;
    row.tflops = c.gemm_tflops;
    row.peak_frac = 1.0;
    r.add(row);
  }
  return c;
}

void apply_ceilings(Report& r, const Ceilings& c) {
  for (Row& row : r.rows()) {
    if (row.section == "layers" && !std::isnan(row.tflops)) row.peak_frac = row.tflops / c.gemm_tflops;
    if (row.section == "e2e" && !std::isnan(row.gflop) && row.gflop > 0) {
      row.floor_ms = row.gflop * 1e9 / (c.gemm_tflops * 1e12) * 1e3;
      row.peak_frac = row.floor_ms / row.ms;
    }
  }
}

}  // namespace gan::bench
