#include "evaluator.h"


#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "../../splitmix.h"
#include "common/atomic_file.h"
#include "common/fs.h"
#include "../artifacts/safetensors.h"

namespace gan {
namespace quality {

namespace {
// Bump when the architecture or its training changes: cached evaluators of another version are
// retrained rather than reused.
const char* kVersion = "evaluator-v1:c16-c32-f64";
constexpr float kAlpha = 0.2f;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

std::string evaluator_fingerprint(const Dataset& d, const Sha256& sha256) {
  const int64_t geo[5] = {d.n, d.c, d.h, d.w, d.num_classes};
  return sha256({kVersion, std::string_view(reinterpret_cast<const char*>(geo), sizeof geo),
                 std::string_view(reinterpret_cast<const char*>(d.images.data()), d.images.size() * sizeof(float)),
                 std::string_view(reinterpret_cast<const char*>(d.labels.data()), d.labels.size() * sizeof(int32_t))});
}

Evaluator::Evaluator(Ops& ops, int channels, int size, int num_classes, int capacity)
    : ops_(ops), c_(channels), s_(size), classes_(num_classes), cap_(std::max(capacity, 64)) {
  if (num_classes < 2) throw std::invalid_argument("evaluator: needs a labelled dataset of at least 2 classes");
  if (size % 4 != 0) throw std::invalid_argument("evaluator: image size must be a multiple of 4");
  ps_ = std::make_unique<ParamSet>(ops);
  trunk_ = std::make_unique<Sequential>();
  const int q = size / 4;
  trunk_->add<Conv>("conv1", *ps_, "conv1", false, channels, 16, 3, 2, 1, false, cap_);
  trunk_->add<BatchNorm>("bn1", *ps_, "bn1", 16, 0.1f, 1e-5f, cap_);
  trunk_->add<Activation>("act1", ops, Act::LeakyRelu, kAlpha, cap_);
  trunk_->add<Conv>("conv2", *ps_, "conv2", false, 16, 32, 3, 2, 1, false, cap_);
  trunk_->add<BatchNorm>("bn2", *ps_, "bn2", 32, 0.1f, 1e-5f, cap_);
  trunk_->add<Activation>("act2", ops, Act::LeakyRelu, kAlpha, cap_);
  flat_ = 32 * q * q;
  fc_ = std::make_unique<Linear>(*ps_, "fc", flat_, kFeatures, true, cap_);
  fc_act_ = std::make_unique<Activation>(ops, Act::LeakyRelu, kAlpha, cap_);
  head_ = std::make_unique<Linear>(*ps_, "head", kFeatures, num_classes, true, cap_);
  images_ = Tensor(ops, {cap_, channels, size, size});
  labels_ = Tensor(ops, {cap_}, DType::I32);
  idx_ = Tensor(ops, {cap_}, DType::I32);
  scalars_ = Tensor(ops, {2});
  dlogits_ = Tensor(ops, {cap_, num_classes});
}

Evaluator::~Evaluator() = default;

Tensor Evaluator::forward(const Tensor& x, Mode mode, Tensor* feat) {
  const int n = x.dim(0);
  Tensor h = trunk_->forward(x, mode);
  Tensor f = fc_act_->forward(fc_->forward(h.view({n, flat_}), mode), mode);
  if (feat) *feat = f;
  return head_->forward(f, mode);
}

void Evaluator::train(const Dataset& train, const Dataset& heldout, const EvaluatorTrainOptions& opt) {
  if (train.c != c_ || train.h != s_ || train.w != s_)
    throw std::invalid_argument("evaluator: dataset " + train.name + " does not match the evaluator's geometry");
  const bool split = &train == &heldout;
  const int n_hold = split ? std::min(2000, train.n / 10) : heldout.n;
  const int n_train = split ? train.n - n_hold : train.n;
  const int B = std::min({opt.batch, cap_, n_train});
  if (n_train < 2 || B < 2) throw std::invalid_argument("evaluator: too few training images in " + train.name);
  auto t0 = std::chrono::steady_clock::now();
  ps_->initialise(opt.seed ^ 0x6576616cULL /*"eval"*/, 0.02f);
  const int64_t per = (int64_t)c_ * s_ * s_;
  // The training images live on the device; each step gathers a batch by index.
  Tensor data(ops_, {n_train, c_, s_, s_}), data_labels(ops_, {n_train}, DType::I32);
  ops_.copy_to_device(data.f32(), train.images.data(), sizeof(float) * per * n_train);
  ops_.copy_to_device(data_labels.i32(), train.labels.data(), sizeof(int32_t) * n_train);
  AdamHyper adam;
  adam.lr = 1e-3f;
  adam.beta1 = 0.9f;
  adam.beta2 = 0.999f;
  ops_.set_step(0);  // Adam's t is passed as t0 below (t_per_step 0): the device counter stays 0
  SplitMix rng{opt.seed * 0x9E3779B97F4A7C15ULL + 0x65766131ULL};
  std::vector<int32_t> perm(n_train), idx(B);
  std::iota(perm.begin(), perm.end(), 0);
  int pos = n_train;
  int step = 0;
  // At most 20 passes over a small set: more only overfits it (and costs a 22-image folder at
  // 64×64 as much as a large set).
  const int steps = (int)std::min<int64_t>(opt.steps, std::max<int64_t>(1, (20LL * n_train + B - 1) / B));
  for (; step < steps; ++step) {
    if (step > 0 && seconds_since(t0) > opt.max_seconds) break;
    for (int i = 0; i < B; ++i) {
      if (pos >= n_train) {  // a new shuffled pass
        for (int k = n_train - 1; k > 0; --k) std::swap(perm[k], perm[rng.below((uint32_t)k + 1)]);
        pos = 0;
      }
      idx[i] = perm[pos++];
    }
    ops_.copy_to_device(idx_.i32(), idx.data(), sizeof(int32_t) * B);
    Tensor x = images_.first(B), y = labels_.first(B);
    ops_.gather_rows(x.f32(), data.f32(), idx_.i32(), B, per);
    ops_.gather_labels(y.i32(), data_labels.i32(), idx_.i32(), B);
    ps_->zero_grad();
    Tensor logits = forward(x, Mode::Train, nullptr);
    Tensor dl = dlogits_.first(B);
    ops_.softmax_xent(scalars_.f32(), scalars_.f32() + 1, dl.f32(), logits.f32(), y.i32(), B, classes_, 1.0f);
    Tensor df = head_->backward(dl, true);
    Tensor dh = fc_->backward(fc_act_->backward(df, true), true);
    trunk_->backward(dh.view({B, 32, s_ / 4, s_ / 4}), false);
    ops_.adam_update(ps_->adam_list(), adam, step + 1, 0);
    ps_->batches_tracked += 1;
  }
  ops_.synchronize();
  info.trained_images = (int64_t)step * B;
  info.train_seconds = seconds_since(t0);
  if (split) {
    info.accuracy = accuracy(train.images.data() + per * n_train, train.labels.data() + n_train, n_hold);
  } else {
    info.accuracy = accuracy(heldout.images.data(), heldout.labels.data(), heldout.n);
  }
  info.heldout = n_hold;
}

void Evaluator::embed(const float* images, int n, std::vector<float>* features, std::vector<int>* predicted) {
  const int64_t per = (int64_t)c_ * s_ * s_;
  if (features) features->assign((size_t)n * kFeatures, 0.f);
  if (predicted) predicted->assign(n, 0);
  std::vector<float> logits;
  for (int at = 0; at < n; at += cap_) {
    const int m = std::min(cap_, n - at);
    Tensor x = images_.first(m);
    ops_.copy_to_device(x.f32(), images + per * at, sizeof(float) * per * m);
    Tensor f;
    Tensor l = forward(x, Mode::Eval, &f);
    if (features) ops_.copy_to_host(features->data() + (size_t)at * kFeatures, f.f32(), sizeof(float) * m * kFeatures);
    if (predicted) {
      logits.resize((size_t)m * classes_);
      ops_.copy_to_host(logits.data(), l.f32(), sizeof(float) * logits.size());
      for (int i = 0; i < m; ++i) {
        const float* r = logits.data() + (size_t)i * classes_;
        (*predicted)[at + i] = (int)(std::max_element(r, r + classes_) - r);
      }
    }
  }
}

double Evaluator::accuracy(const float* images, const int32_t* labels, int n) {
  if (n <= 0) return 0;
  std::vector<int> pred;
  embed(images, n, nullptr, &pred);
  int right = 0;
  for (int i = 0; i < n; ++i) right += pred[i] == labels[i];
  return (double)right / n;
}

void Evaluator::save(const std::string& path) const {
  safetensors::File f;
  for (const auto& p : ps_->params()) {
    std::vector<float> v = p->value.to_host();
    f.add_f32(p->name, std::vector<int64_t>(p->value.shape().begin(), p->value.shape().end()), v.data());
  }
  for (const auto& [name, t] : ps_->buffers()) {
    std::vector<float> v = t.to_host();
    f.add_f32(name, std::vector<int64_t>(t.shape().begin(), t.shape().end()), v.data());
  }
  f.metadata["format"] = "gan-evaluator";
  f.metadata["version"] = kVersion;
  f.metadata["fingerprint"] = info.fingerprint;
  char b[64];
  snprintf(b, sizeof b, "%.17g", info.accuracy);  // reads back to the same double: a cached evaluator reports what a fresh one did
  f.metadata["accuracy"] = b;
  f.metadata["heldout"] = std::to_string(info.heldout);
  f.metadata["trained_images"] = std::to_string(info.trained_images);
  snprintf(b, sizeof b, "%.3f", info.train_seconds);
  f.metadata["train_seconds"] = b;
  f.metadata["classes"] = std::to_string(classes_);
  safetensors::save(path, f);
}

bool Evaluator::load(const std::string& path, const std::string& fingerprint) {
  if (!file_exists(path)) return false;
  safetensors::File f = safetensors::load(path);
  auto meta = [&](const char* k) { return f.metadata.count(k) ? f.metadata.at(k) : std::string(); };
  if (meta("format") != "gan-evaluator" || meta("version") != kVersion || meta("fingerprint") != fingerprint)
    return false;
  for (auto& p : ps_->params()) {
    std::vector<float> v = f.f32(p->name);
    if ((int64_t)v.size() != p->value.numel()) throw std::runtime_error(path + ": tensor " + p->name + " has the wrong size");
    p->value.from_host(v);
  }
  for (auto& [name, t] : ps_->buffers()) {
    std::vector<float> v = f.f32(name);
    if ((int64_t)v.size() != t.numel()) throw std::runtime_error(path + ": tensor " + name + " has the wrong size");
    t.from_host(v);
  }
  info.fingerprint = fingerprint;
  info.accuracy = std::atof(meta("accuracy").c_str());
  info.heldout = std::atoi(meta("heldout").c_str());
  info.trained_images = std::atoll(meta("trained_images").c_str());
  info.train_seconds = std::atof(meta("train_seconds").c_str());
  info.from_cache = true;
  info.cache_path = path;
  return true;
}

std::unique_ptr<Evaluator> make_evaluator(Ops& ops, const Dataset& train, const Dataset* heldout, int capacity,
                                          const EvaluatorCache& cache, const EvaluatorTrainOptions& opt,
                                          const std::function<void(const std::string&)>& log) {
  auto ev = std::make_unique<Evaluator>(ops, train.c, train.h, std::max(2, train.num_classes), capacity);
  const std::string fp = cache.sha256 ? evaluator_fingerprint(train, cache.sha256) : "";
  const std::string path =
      cache.dir.empty() || fp.empty() ? "" : cache.dir + "/evaluator-" + fp.substr(0, 16) + ".safetensors";
  char line[256];
  if (!path.empty() && ev->load(path, fp)) {
    snprintf(line, sizeof line, "evaluator: loaded %s (held-out accuracy %.3f)", path.c_str(), ev->info.accuracy);
    if (log) log(line);
    return ev;
  }
  ev->train(train, heldout ? *heldout : train, opt);
  ev->info.fingerprint = fp;
  snprintf(line, sizeof line, "evaluator: trained on %lld images of %s in %.1f s, held-out accuracy %.3f (%d images)",
           (long long)ev->info.trained_images, train.name.c_str(), ev->info.train_seconds, ev->info.accuracy,
           ev->info.heldout);
  if (log) log(line);
  if (!path.empty()) {
    try {
      make_dirs(cache.dir);
      ev->save(path);
      ev->info.cache_path = path;
    } catch (const std::exception& e) {
      if (log) log(std::string("evaluator: not cached (") + e.what() + "); the next run trains it again");
    }
  }
  return ev;
}

}  // namespace quality
}  // namespace gan
