#include "trainer.h"

#include <algorithm>
#include <stdexcept>

#include "../../kernels/graph.h"

namespace gan {

namespace {

// Random-stream offsets of one step (each < 2^40; the step counter supplies the high bits).
constexpr uint64_t kNoiseFake = 200ULL << 32, kLabelsFake = 201ULL << 32;
constexpr uint64_t kNoiseG = 202ULL << 32, kLabelsG = 203ULL << 32;
constexpr uint64_t kNoiseEval = 210ULL << 32, kLabelsEval = 211ULL << 32;

// The device scalars one step writes; a metrics row is a copy of all of them.
enum Slot { BceReal, CeReal, CorrReal, ClsCorrReal, BceFake, CeFake, CorrFake, BceG, CeG, kSlots };

// Forward passes of each model per step, for BatchNorm's num_batches_tracked.
constexpr int kGForwardsPerStep = 2, kDForwardsPerStep = 3;

}  // namespace

struct GanTrainer::Impl {
  Impl(Ops& o, const TrainConfig& c)
      : ops(o), cfg(c), half(c.batch / 2), capacity(std::max({c.batch, c.eval_samples, 100})) {
    if (c.batch < 2 || c.batch % 2) throw std::invalid_argument("--batchsize must be an even number >= 2");
    ops.set_precision(c.precision);
    G = make_generator(ops, cfg.model, capacity, cfg.seed);
    D = make_discriminator(ops, cfg.model, capacity, cfg.seed);
    if (cfg.flat_params) {
      G->params().flatten();
      D->params().flatten();
    }
    const ModelConfig& m = cfg.model;
    noise = Tensor(ops, {capacity, m.latent_dim});
    labels = Tensor(ops, {capacity}, DType::I32);
    images = Tensor(ops, {capacity, m.channels, m.image_size, m.image_size});
    idx = Tensor(ops, {half}, DType::I32);
    ones = Tensor(ops, {capacity, 1});
    zeros = Tensor(ops, {capacity, 1});
    ops.fill(ones.f32(), ones.numel(), 1.0f);
    ops.fill(zeros.f32(), zeros.numel(), 0.0f);
    dadv = Tensor(ops, {capacity, 1});
    dcls = Tensor(ops, {capacity, m.num_classes});
    scalars = Tensor(ops, {kSlots});
    scalars.zero();
    scratch = Tensor(ops, {1});
    slab_capacity = std::max(1, cfg.metrics_flush);
    slab = Tensor(ops, {slab_capacity, kSlots});
    ops.set_step(0);
  }

  float* slot(int s) { return scalars.f32() + s; }

  // One D update on the n images in `x` with labels `y` and real/fake target `target`.
  void d_step(const Tensor& x, const Tensor& y, const Tensor& target, int phase, int bce, int ce, int corr,
              int cls_corr, int64_t t0) {
    int n = x.dim(0);
    D->set_phase(phase);
    D->params().zero_grad();
    Tensor adv, cls;
    D->forward(x, Mode::Train, &adv, &cls);
    Tensor da = dadv.first(n), dc;
    ops.bce_logits(slot(bce), slot(corr), da.f32(), adv.f32(), target.f32(), n, 1.0f);
    if (D->has_class_head()) {
      dc = dcls.first(n);
      ops.softmax_xent(slot(ce), cls_corr >= 0 ? slot(cls_corr) : unread(), dc.f32(), cls.f32(), y.i32(), n,
                       cfg.model.num_classes, 1.0f);
    }
    D->backward(da, dc, false);
    ops.adam_update(D->params().adam_list(), cfg.adam, t0, 2);
  }

  void step_body() {
    const ModelConfig& m = cfg.model;
    int B = cfg.batch;
    // 1. D on H real images with their labels, target 1.
    Tensor xr = images.first(half), yr = labels.first(half);
    ops.gather_rows(xr.f32(), data_images.f32(), idx.i32(), half, (int64_t)m.channels * m.image_size * m.image_size);
    ops.gather_labels(yr.i32(), data_labels.i32(), idx.i32(), half);
    d_step(xr, yr, ones.first(half), 0, BceReal, CeReal, CorrReal, ClsCorrReal, 1);

    // 2. D on H generated images with random labels, target 0.
    Tensor zf = noise.first(half), yf = labels.first(half);
    ops.randn(zf.f32(), zf.numel(), 0.0f, 1.0f, cfg.seed, kNoiseFake);
    ops.randint(yf.i32(), half, m.num_classes, cfg.seed, kLabelsFake);
    G->set_phase(1);
    Tensor xf = G->forward(zf, yf, Mode::Train);
    // D's activations must not alias G's output buffer, which G's own forward reuses; the D step
    // only reads xf, so it can use it in place.
    d_step(xf, yf, zeros.first(half), 1, BceFake, CeFake, CorrFake, -1, 2);

    // 3. G on B noise+label pairs through D, target 1; only G's weights change.
    Tensor zg = noise.first(B), yg = labels.first(B);
    ops.randn(zg.f32(), zg.numel(), 0.0f, 1.0f, cfg.seed, kNoiseG);
    ops.randint(yg.i32(), B, m.num_classes, cfg.seed, kLabelsG);
    G->set_phase(2);
    D->set_phase(2);
    G->params().zero_grad();
    Tensor xg = G->forward(zg, yg, Mode::Train);
    Tensor adv, cls;
    D->forward(xg, Mode::Train, &adv, &cls);
    Tensor da = dadv.first(B), dc;
    ops.bce_logits(slot(BceG), unread(), da.f32(), adv.f32(), ones.first(B).f32(), B, 1.0f);
    if (D->has_class_head()) {
      dc = dcls.first(B);
      ops.softmax_xent(slot(CeG), unread(), dc.f32(), cls.f32(), yg.i32(), B, m.num_classes, 1.0f);
    }
    Tensor dimg = D->backward(da, dc, true);
    G->backward(dimg);
    ops.adam_update(G->params().adam_list(), cfg.adam, 1, 1);

    ops.store_row(slab.f32(), scalars.f32(), kSlots, slab_capacity);
    ops.advance_step();
  }

  // Scratch for counts nobody reads (the G step's accuracies, D's class accuracy on fakes).
  float* unread() { return scratch.f32(); }

  void pull_metrics(int64_t upto) {
    if (upto <= read_upto) return;
    std::vector<float> s = slab.to_host();  // synchronises
    for (int64_t st = read_upto; st < upto; ++st) {
      const float* r = &s[(size_t)(st % slab_capacity) * kSlots];
      StepMetrics x;
      x.d_loss_real = r[BceReal] + r[CeReal];
      x.d_loss_fake = r[BceFake] + r[CeFake];
      x.g_loss = r[BceG] + r[CeG];
      x.class_loss = r[CeReal];
      x.d_acc_real = r[CorrReal] / half;
      x.d_acc_fake = r[CorrFake] / half;
      x.class_acc = D->has_class_head() ? r[ClsCorrReal] / half : 0.0f;
      pending.push_back(x);
    }
    read_upto = upto;
  }

  Ops& ops;
  TrainConfig cfg;
  int half, capacity;
  std::unique_ptr<Generator> G;
  std::unique_ptr<Discriminator> D;
  Tensor data_images, data_labels;
  int data_n = 0;
  Tensor noise, labels, images, idx, ones, zeros, dadv, dcls, scalars, slab, scratch;
  int slab_capacity = 16;
  int64_t read_upto = 0;
  std::vector<StepMetrics> pending;
};

GanTrainer::GanTrainer(Ops& ops, const TrainConfig& cfg) : impl_(std::make_unique<Impl>(ops, cfg)) {}
GanTrainer::~GanTrainer() = default;

Generator& GanTrainer::generator() { return *impl_->G; }
Discriminator& GanTrainer::discriminator() { return *impl_->D; }
Ops& GanTrainer::ops() { return impl_->ops; }
const TrainConfig& GanTrainer::config() const { return impl_->cfg; }

void GanTrainer::set_data(const Dataset& d) {
  const ModelConfig& m = impl_->cfg.model;
  if (d.c != m.channels || d.h != m.image_size || d.w != m.image_size)
    throw std::invalid_argument("dataset " + d.name + " has " + std::to_string(d.c) + "×" + std::to_string(d.h) + "×" +
                                std::to_string(d.w) + " images but the model expects " + std::to_string(m.channels) +
                                "×" + std::to_string(m.image_size) + "×" + std::to_string(m.image_size));
  if (d.n < 1) throw std::invalid_argument("dataset " + d.name + " is empty");
  for (int32_t l : d.labels)
    if (l < 0 || l >= m.num_classes)
      throw std::invalid_argument("dataset " + d.name + " has label " + std::to_string(l) + " outside 0.." +
                                  std::to_string(m.num_classes - 1));
  Ops& ops = impl_->ops;
  impl_->data_images = Tensor(ops, {d.n, d.c, d.h, d.w});
  impl_->data_images.from_host(d.images);
  impl_->data_labels = Tensor(ops, {d.n}, DType::I32);
  impl_->data_labels.from_host_i32(d.labels);
  impl_->data_n = d.n;
}

void GanTrainer::train_step(const int32_t* real_indices) {
  Impl& m = *impl_;
  if (!m.data_images.defined()) throw std::logic_error("GanTrainer: set_data before train_step");
  // Metrics rows live in a ring on the device; read them before the ring wraps.
  if (step_ - m.read_upto >= m.slab_capacity) m.pull_metrics(step_);
  m.ops.copy_to_device(m.idx.i32(), real_indices, sizeof(int32_t) * m.half);
  // On CUDA the step is captured once as a graph and replayed (kernels/graph.h); on the CPU it runs.
  // The key names this trainer: two trainers alive on one Ops must not replay each other's graph.
  run_graph_step(m.ops, "train@" + std::to_string((uintptr_t)this), [&] { m.step_body(); });
  m.G->params().batches_tracked += kGForwardsPerStep;
  m.D->params().batches_tracked += kDForwardsPerStep;
  ++step_;
}

std::vector<StepMetrics> GanTrainer::take_metrics() {
  Impl& m = *impl_;
  m.pull_metrics(step_);
  std::vector<StepMetrics> out;
  out.swap(m.pending);
  return out;
}

void GanTrainer::set_step(int64_t step) {
  step_ = step;
  impl_->read_upto = step;
  impl_->pending.clear();
  impl_->ops.set_step((uint64_t)step);
  impl_->G->params().batches_tracked = step * kGForwardsPerStep;
  impl_->D->params().batches_tracked = step * kDForwardsPerStep;
}

StepMetrics GanTrainer::evaluate(const std::vector<float>& real, const std::vector<int32_t>& lab, int n) {
  Impl& m = *impl_;
  const ModelConfig& mc = m.cfg.model;
  if (n > m.capacity) n = m.capacity;
  Ops& ops = m.ops;
  int64_t per = (int64_t)mc.channels * mc.image_size * mc.image_size;
  Tensor x = m.images.first(n), y = m.labels.first(n);
  ops.copy_to_device(x.f32(), real.data(), sizeof(float) * per * n);
  ops.copy_to_device(y.i32(), lab.data(), sizeof(int32_t) * n);
  Tensor s(ops, {8});
  s.zero();
  Tensor adv, cls;
  m.D->forward(x, Mode::Eval, &adv, &cls);
  ops.bce_logits(s.f32() + 0, s.f32() + 1, nullptr, adv.f32(), m.ones.first(n).f32(), n, 1.0f);
  if (m.D->has_class_head())
    ops.softmax_xent(s.f32() + 2, s.f32() + 3, nullptr, cls.f32(), y.i32(), n, mc.num_classes, 1.0f);
  // Generated half: noise and labels from the eval stream of the current step.
  Tensor z = m.noise.first(n), yf = m.labels.first(n);
  ops.randn(z.f32(), z.numel(), 0.0f, 1.0f, m.cfg.seed, kNoiseEval);
  ops.randint(yf.i32(), n, mc.num_classes, m.cfg.seed, kLabelsEval);
  Tensor g = m.G->forward(z, yf, Mode::Eval);
  m.D->forward(g, Mode::Eval, &adv, &cls);
  ops.bce_logits(s.f32() + 4, s.f32() + 5, nullptr, adv.f32(), m.zeros.first(n).f32(), n, 1.0f);
  if (m.D->has_class_head())
    ops.softmax_xent(s.f32() + 6, s.f32() + 7, nullptr, cls.f32(), yf.i32(), n, mc.num_classes, 1.0f);
  std::vector<float> h = s.to_host();
  // The G loss of the generated half: BCE against target 1 from the same logits.
  Tensor gl(ops, {2});
  ops.bce_logits(gl.f32(), gl.f32() + 1, nullptr, adv.f32(), m.ones.first(n).f32(), n, 1.0f);
  std::vector<float> hg = gl.to_host();
  StepMetrics r;
  r.d_loss_real = h[0] + h[2];
  r.d_loss_fake = h[4] + h[6];
  r.g_loss = hg[0] + h[6];
  r.class_loss = h[2];
  r.d_acc_real = h[1] / n;
  r.d_acc_fake = h[5] / n;
  r.class_acc = m.D->has_class_head() ? h[3] / n : 0.0f;
  return r;
}

std::vector<float> GanTrainer::generate(const std::vector<float>& noise, const std::vector<int32_t>& lab) {
  Impl& m = *impl_;
  int n = (int)lab.size();
  if (n > m.capacity) throw std::invalid_argument("generate: at most " + std::to_string(m.capacity) + " images at once");
  if ((int64_t)noise.size() != (int64_t)n * m.cfg.model.latent_dim)
    throw std::invalid_argument("generate: noise has the wrong size");
  Tensor z = m.noise.first(n), y = m.labels.first(n);
  m.ops.copy_to_device(z.f32(), noise.data(), sizeof(float) * noise.size());
  m.ops.copy_to_device(y.i32(), lab.data(), sizeof(int32_t) * n);
  return m.G->forward(z, y, Mode::Eval).to_host();
}

std::vector<uint8_t> GanTrainer::generate_grid(const std::vector<float>& noise, const std::vector<int32_t>& lab,
                                               int rows, int cols, int* width, int* height) {
  Impl& m = *impl_;
  int n = (int)lab.size();
  if (n > m.capacity) throw std::invalid_argument("generate: at most " + std::to_string(m.capacity) + " images at once");
  const ModelConfig& mc = m.cfg.model;
  Tensor z = m.noise.first(n), y = m.labels.first(n);
  m.ops.copy_to_device(z.f32(), noise.data(), sizeof(float) * noise.size());
  m.ops.copy_to_device(y.i32(), lab.data(), sizeof(int32_t) * n);
  Tensor g = m.G->forward(z, y, Mode::Eval);
  const int pad = 2, S = mc.image_size;
  *height = rows * S + (rows - 1) * pad;
  *width = cols * S + (cols - 1) * pad;
  Tensor out(m.ops, {*height, *width, mc.channels}, DType::U8);
  m.ops.image_grid(out.u8(), g.f32(), n, mc.channels, S, S, rows, cols, pad);
  std::vector<uint8_t> px(out.numel());
  m.ops.copy_to_host(px.data(), out.u8(), px.size());
  return px;
}

}  // namespace gan
