#include "layers.h"

#include <climits>
#include <stdexcept>

#include "../ref/ops.h"

namespace gan {

// ---------------------------------------------------------------- ParamSet

Param& ParamSet::add(const std::string& name, std::vector<int> shape, Param::Init init) {
  auto p = std::make_unique<Param>();
  p->name = name;
  p->init = init;
  p->value = Tensor(ops_, shape);
  p->grad = Tensor(ops_, shape);
  p->m = Tensor(ops_, shape);
  p->v = Tensor(ops_, shape);
  p->value.zero();
  p->grad.zero();
  p->m.zero();
  p->v.zero();
  params_.push_back(std::move(p));
  return *params_.back();
}

Tensor& ParamSet::add_buffer(const std::string& name, std::vector<int> shape, float init) {
  Tensor t(ops_, std::move(shape));
  ops_.fill(t.f32(), t.numel(), init);
  buffers_.emplace_back(name, t);
  return buffers_.back().second;
}

int64_t ParamSet::count() const {
  int64_t n = 0;
  for (auto& p : params_) n += p->value.numel();
  return n;
}

std::vector<AdamParam> ParamSet::adam_list() const {
  if (flat())
    return {{flat_value_.f32(), flat_grad_.f32(), flat_m_.f32(), flat_v_.f32(), flat_value_.numel()}};
  std::vector<AdamParam> v;
  for (auto& p : params_) v.push_back({p->value.f32(), p->grad.f32(), p->m.f32(), p->v.f32(), p->value.numel()});
  return v;
}

void ParamSet::zero_grad() {
  if (flat()) return ops_.fill(flat_grad_.f32(), flat_grad_.numel(), 0.0f);
  for (auto& p : params_) ops_.fill(p->grad.f32(), p->grad.numel(), 0.0f);
}

void ParamSet::flatten() {
  if (flat()) throw std::logic_error("ParamSet::flatten: already flat");
  std::vector<int64_t> offset;
  int64_t total = 0;
  for (auto& p : params_) {
    offset.push_back(total);
    total += (p->value.numel() + kFlatAlign - 1) / kFlatAlign * kFlatAlign;
  }
  if (total == 0) return;
  if (total > INT32_MAX) throw std::length_error("ParamSet::flatten: more than 2^31 parameters");
  Tensor* flat[4] = {&flat_value_, &flat_grad_, &flat_m_, &flat_v_};
  for (Tensor* f : flat) {
    *f = Tensor(ops_, {(int)total});
    f->zero();
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = *params_[i];
    Tensor* parts[4] = {&p.value, &p.grad, &p.m, &p.v};
    for (int k = 0; k < 4; ++k) {
      Tensor view = flat[k]->slice(offset[i], parts[k]->shape());
      if (view.numel()) ops_.copy_device(view.f32(), parts[k]->f32(), view.bytes());
      *parts[k] = view;
    }
  }
}

void ParamSet::initialise(uint64_t seed, float std) {
  // Drawn on the host with the reference generator, then uploaded: every backend starts from the
  // same bits. Each tensor has its own counter range (index · 2^32).
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = *params_[i];
    std::vector<float> v(p.value.numel());
    switch (p.init) {
      case Param::Init::Zeros: std::fill(v.begin(), v.end(), 0.0f); break;
      case Param::Init::Ones: std::fill(v.begin(), v.end(), 1.0f); break;
      case Param::Init::Normal: ref::randn(v.data(), (int64_t)v.size(), 0.0f, std, seed, (uint64_t)(i + 1) << 32); break;
      case Param::Init::NormalAroundOne:
        ref::randn(v.data(), (int64_t)v.size(), 1.0f, std, seed, (uint64_t)(i + 1) << 32);
        break;
    }
    p.value.from_host(v);
    p.m.zero();
    p.v.zero();
    p.grad.zero();
  }
}

// ---------------------------------------------------------------- Layer

Tensor Layer::rows(Ops& ops, Tensor& buf, int capacity, const std::vector<int>& sample, int n) {
  if (n > capacity)
    throw std::logic_error("layer: batch of " + std::to_string(n) + " exceeds the capacity " +
                           std::to_string(capacity) + " it was built for");
  std::vector<int> shape = {capacity};
  shape.insert(shape.end(), sample.begin(), sample.end());
  if (!buf.defined() || buf.shape() != shape) buf = Tensor(ops, shape);
  return buf.first(n);
}

static std::vector<int> sample_shape(const Tensor& x) {
  return std::vector<int>(x.shape().begin() + 1, x.shape().end());
}

static int64_t per_sample(const Tensor& x) { return x.dim(0) ? x.numel() / x.dim(0) : 0; }

// ---------------------------------------------------------------- Linear

Linear::Linear(ParamSet& ps, const std::string& name, int in, int out, bool has_bias, int capacity)
    : ops_(ps.ops()), name_(name), in_(in), out_(out), cap_(capacity) {
  weight = &ps.add(name + ".weight", {out, in}, Param::Init::Normal);
  if (has_bias) bias = &ps.add(name + ".bias", {out}, Param::Init::Zeros);
}

Tensor Linear::forward(const Tensor& x, Mode) {
  if (per_sample(x) != in_)
    throw std::logic_error(name_ + ": expected " + std::to_string(in_) + " features, got " + x.shape_str());
  x_ = x;
  int n = x.dim(0);
  Tensor y = rows(ops_, y_, cap_, {out_}, n);
  ops_.linear_forward(y.f32(), x.f32(), weight->value.f32(), bias ? bias->value.f32() : nullptr, n, in_, out_);
  return y;
}

Tensor Linear::backward(const Tensor& dy, bool need_dx) {
  int n = dy.dim(0);
  Tensor dx;
  if (need_dx) dx = rows(ops_, dx_, cap_, sample_shape(x_), n);
  ops_.linear_backward(need_dx ? dx.f32() : nullptr, weight->grad.f32(), bias ? bias->grad.f32() : nullptr,
                       dy.f32(), x_.f32(), weight->value.f32(), n, in_, out_);
  return dx;
}

LayerInfo Linear::info(const std::vector<int>&) const {
  return {name_, "Linear(" + std::to_string(in_) + "->" + std::to_string(out_) + ")", {out_},
          (int64_t)in_ * out_ + (bias ? out_ : 0)};
}

// ---------------------------------------------------------------- Embedding

Embedding::Embedding(ParamSet& ps, const std::string& name, int num, int dim, int capacity)
    : ops_(ps.ops()), name_(name), num_(num), dim_(dim), cap_(capacity) {
  weight = &ps.add(name + ".weight", {num, dim}, Param::Init::Normal);
}

Tensor Embedding::forward(const Tensor& labels, Mode) {
  labels_ = labels;
  int n = labels.dim(0);
  Tensor y = rows(ops_, y_, cap_, {dim_}, n);
  ops_.embedding_forward(y.f32(), labels.i32(), weight->value.f32(), n, num_, dim_);
  return y;
}

Tensor Embedding::backward(const Tensor& dy, bool) {
  ops_.embedding_backward(weight->grad.f32(), dy.f32(), labels_.i32(), dy.dim(0), num_, dim_);
  return Tensor();
}

LayerInfo Embedding::info(const std::vector<int>&) const {
  return {name_, "Embedding(" + std::to_string(num_) + ", " + std::to_string(dim_) + ")", {dim_},
          (int64_t)num_ * dim_};
}

// ---------------------------------------------------------------- Conv

Conv::Conv(ParamSet& ps, const std::string& name, bool transposed, int in, int out, int k, int stride,
           int pad, bool has_bias, int capacity)
    : ops_(ps.ops()), name_(name), transposed_(transposed), in_(in), out_(out), k_(k), stride_(stride),
      pad_(pad), cap_(capacity) {
  std::vector<int> wshape = transposed ? std::vector<int>{in, out, k, k} : std::vector<int>{out, in, k, k};
  weight = &ps.add(name + ".weight", wshape, Param::Init::Normal);
  if (has_bias) bias = &ps.add(name + ".bias", {out}, Param::Init::Zeros);
}

ConvShape Conv::shape_for(int n, int h, int w) const {
  return transposed_ ? ConvShape::conv_transpose(n, in_, h, w, out_, k_, stride_, pad_)
                     : ConvShape::conv(n, in_, h, w, out_, k_, stride_, pad_);
}

std::vector<int> Conv::out_shape(const std::vector<int>& in) const {
  ConvShape s = shape_for(1, in.at(1), in.at(2));
  return {out_, s.H_out, s.W_out};
}

Tensor Conv::forward(const Tensor& x, Mode) {
  if (x.ndim() != 4 || x.dim(1) != in_)
    throw std::logic_error(name_ + ": expected [n," + std::to_string(in_) + ",h,w], got " + x.shape_str());
  x_ = x;
  s_ = shape_for(x.dim(0), x.dim(2), x.dim(3));
  Tensor y = rows(ops_, y_, cap_, {out_, s_.H_out, s_.W_out}, s_.N);
  const float* b = bias ? bias->value.f32() : nullptr;
  if (transposed_)
    ops_.conv_transpose2d_forward(y.f32(), x.f32(), weight->value.f32(), b, s_);
  else
    ops_.conv2d_forward(y.f32(), x.f32(), weight->value.f32(), b, s_);
  return y;
}

Tensor Conv::backward(const Tensor& dy, bool need_dx) {
  Tensor dx;
  if (need_dx) dx = rows(ops_, dx_, cap_, sample_shape(x_), s_.N);
  float* db = bias ? bias->grad.f32() : nullptr;
  if (transposed_)
    ops_.conv_transpose2d_backward(need_dx ? dx.f32() : nullptr, weight->grad.f32(), db, dy.f32(), x_.f32(),
                                   weight->value.f32(), s_);
  else
    ops_.conv2d_backward(need_dx ? dx.f32() : nullptr, weight->grad.f32(), db, dy.f32(), x_.f32(),
                         weight->value.f32(), s_);
  return dx;
}

LayerInfo Conv::info(const std::vector<int>& in) const {
  std::string kind = std::string(transposed_ ? "ConvTranspose2d(" : "Conv2d(") + std::to_string(in_) + "->" +
                     std::to_string(out_) + ", k" + std::to_string(k_) + " s" + std::to_string(stride_) + " p" +
                     std::to_string(pad_) + ")";
  return {name_, kind, out_shape(in), (int64_t)in_ * out_ * k_ * k_ + (bias ? out_ : 0)};
}

// ---------------------------------------------------------------- BatchNorm

namespace {
// A batch norm's parameters and buffers, in PyTorch's names and state_dict order.
void add_batchnorm_state(ParamSet& ps, const std::string& name, int channels, Param** gamma, Param** beta,
                         Tensor** running_mean, Tensor** running_var) {
  *gamma = &ps.add(name + ".weight", {channels}, Param::Init::Ones);
  *beta = &ps.add(name + ".bias", {channels}, Param::Init::Zeros);
  *running_mean = &ps.add_buffer(name + ".running_mean", {channels}, 0.0f);
  *running_var = &ps.add_buffer(name + ".running_var", {channels}, 1.0f);
  ps.add_counter(name + ".num_batches_tracked");
}
}  // namespace

BatchNorm::BatchNorm(ParamSet& ps, const std::string& name, int channels, float momentum, float eps, int capacity)
    : ops_(ps.ops()), name_(name), c_(channels), cap_(capacity), momentum_(momentum), eps_(eps) {
  add_batchnorm_state(ps, name, channels, &gamma_, &beta_, &running_mean_, &running_var_);
  save_mean_ = Tensor(ops_, {channels});
  save_invstd_ = Tensor(ops_, {channels});
}

Tensor BatchNorm::forward(const Tensor& x, Mode mode) {
  if (x.dim(1) != c_) throw std::logic_error(name_ + ": expected " + std::to_string(c_) + " channels, got " + x.shape_str());
  x_ = x;
  int n = x.dim(0);
  hw_ = (int)(per_sample(x) / c_);
  Tensor y = rows(ops_, y_, cap_, sample_shape(x), n);
  if (mode == Mode::Train)
    ops_.batchnorm_forward_train(y.f32(), save_mean_.f32(), save_invstd_.f32(), running_mean_->f32(),
                                 running_var_->f32(), x.f32(), gamma_->value.f32(), beta_->value.f32(), n, c_, hw_,
                                 momentum_, eps_);
  else
    ops_.batchnorm_forward_eval(y.f32(), x.f32(), gamma_->value.f32(), beta_->value.f32(), running_mean_->f32(),
                                running_var_->f32(), n, c_, hw_, eps_);
  return y;
}

Tensor BatchNorm::backward(const Tensor& dy, bool need_dx) {
  int n = dy.dim(0);
  Tensor dx = rows(ops_, dx_, cap_, sample_shape(x_), n);
  ops_.batchnorm_backward(dx.f32(), gamma_->grad.f32(), beta_->grad.f32(), dy.f32(), x_.f32(), gamma_->value.f32(),
                          save_mean_.f32(), save_invstd_.f32(), n, c_, hw_);
  return need_dx ? dx : Tensor();
}

LayerInfo BatchNorm::info(const std::vector<int>& in) const {
  return {name_, "BatchNorm(" + std::to_string(c_) + ")", in, 2LL * c_};
}

// ---------------------------------------------------------------- BnActDropout

BnActDropout::BnActDropout(ParamSet& ps, const std::string& bn_name, const std::string& act_name,
                           const std::string& drop_name, int channels, float momentum, float eps, float alpha, float p,
                           uint64_t seed, int uid, const int* phase, int capacity)
    : ops_(ps.ops()), bn_name_(bn_name), act_name_(act_name), drop_name_(drop_name), c_(channels), cap_(capacity),
      momentum_(momentum), eps_(eps), alpha_(alpha), p_(drop_name.empty() ? 0.0f : p), seed_(seed), uid_(uid),
      phase_(phase) {
  add_batchnorm_state(ps, bn_name, channels, &gamma_, &beta_, &running_mean_, &running_var_);  // as BatchNorm's
  save_mean_ = Tensor(ops_, {channels});
  save_invstd_ = Tensor(ops_, {channels});
}

Tensor BnActDropout::forward(const Tensor& x, Mode mode) {
  if (x.dim(1) != c_)
    throw std::logic_error(bn_name_ + ": expected " + std::to_string(c_) + " channels, got " + x.shape_str());
  x_ = x;
  const int n = x.dim(0);
  hw_ = (int)(per_sample(x) / c_);
  Tensor y = rows(ops_, y_, cap_, sample_shape(x), n);
  if (mode == Mode::Train) {
    dropout_active_ = p_ > 0.0f;
    Tensor mask;
    if (dropout_active_) mask = rows(ops_, mask_, cap_, sample_shape(x), n);
    // Dropout's stream (uid, phase), as Dropout::forward draws it.
    const uint64_t offset = ((uint64_t)uid_ << 32) | ((uint64_t)*phase_ << 28);
    ops_.bn_act_dropout_forward_train(y.f32(), dropout_active_ ? mask.f32() : nullptr, save_mean_.f32(),
                                      save_invstd_.f32(), running_mean_->f32(), running_var_->f32(), x.f32(), nullptr,
                                      gamma_->value.f32(), beta_->value.f32(), n, c_, hw_, momentum_, eps_, alpha_,
                                      dropout_active_ ? p_ : 0.0f, seed_, offset);
  } else {
    dropout_active_ = false;
    ops_.bn_act_forward_eval(y.f32(), x.f32(), nullptr, gamma_->value.f32(), beta_->value.f32(), running_mean_->f32(),
                             running_var_->f32(), n, c_, hw_, eps_, alpha_);
  }
  return y;
}

Tensor BnActDropout::backward(const Tensor& dy, bool need_dx) {
  const int n = dy.dim(0);
  Tensor dx = rows(ops_, dx_, cap_, sample_shape(x_), n);
  ops_.bn_act_dropout_backward(dx.f32(), nullptr, gamma_->grad.f32(), beta_->grad.f32(), dy.f32(),
                               dropout_active_ ? mask_.f32() : nullptr, x_.f32(), nullptr, gamma_->value.f32(),
                               beta_->value.f32(), save_mean_.f32(), save_invstd_.f32(), n, c_, hw_, alpha_);
  return need_dx ? dx : Tensor();
}

LayerInfo BnActDropout::info(const std::vector<int>& in) const {
  return {bn_name_, "BatchNorm(" + std::to_string(c_) + ")", in, 2LL * c_};
}

std::vector<LayerInfo> BnActDropout::infos(const std::vector<int>& in) const {
  char a[48], d[32];
  snprintf(a, sizeof a, "LeakyReLU(%g)", alpha_);
  std::vector<LayerInfo> v = {info(in), {act_name_, a, in, 0}};
  if (!drop_name_.empty()) {
    snprintf(d, sizeof d, "Dropout(%g)", p_);
    v.push_back({drop_name_, d, in, 0});
  }
  return v;
}

// ---------------------------------------------------------------- Activation

static const char* act_name(Act a) {
  switch (a) {
    case Act::LeakyRelu: return "LeakyReLU";
    case Act::Relu: return "ReLU";
    case Act::Tanh: return "Tanh";
    case Act::Sigmoid: return "Sigmoid";
  }
  return "?";
}

Tensor Activation::forward(const Tensor& x, Mode) {
  x_ = x;
  Tensor y = rows(ops_, y_, cap_, sample_shape(x), x.dim(0));
  ops_.activation_forward(act_, y.f32(), x.f32(), x.numel(), alpha_);
  return y;
}

Tensor Activation::backward(const Tensor& dy, bool need_dx) {
  if (!need_dx) return Tensor();
  Tensor dx = rows(ops_, dx_, cap_, sample_shape(x_), dy.dim(0));
  ops_.activation_backward(act_, dx.f32(), dy.f32(), x_.f32(), y_.f32(), dy.numel(), alpha_);
  return dx;
}

LayerInfo Activation::info(const std::vector<int>& in) const {
  std::string k = act_name(act_);
  if (act_ == Act::LeakyRelu) {
    char buf[32];
    snprintf(buf, sizeof buf, "(%g)", alpha_);
    k += buf;
  }
  return {"", k, in, 0};
}

// ---------------------------------------------------------------- Dropout

Tensor Dropout::forward(const Tensor& x, Mode mode) {
  active_ = mode == Mode::Train && p_ > 0.0f;
  if (!active_) return x;
  Tensor y = rows(ops_, y_, cap_, sample_shape(x), x.dim(0));
  Tensor mask = rows(ops_, mask_, cap_, sample_shape(x), x.dim(0));
  uint64_t offset = ((uint64_t)uid_ << 32) | ((uint64_t)*phase_ << 28);
  ops_.dropout_forward(y.f32(), mask.f32(), x.f32(), x.numel(), p_, seed_, offset);
  return y;
}

Tensor Dropout::backward(const Tensor& dy, bool need_dx) {
  if (!active_ || !need_dx) return need_dx ? dy : Tensor();
  Tensor dx = rows(ops_, dx_, cap_, sample_shape(dy), dy.dim(0));
  ops_.dropout_backward(dx.f32(), dy.f32(), mask_.f32(), dy.numel());
  return dx;
}

LayerInfo Dropout::info(const std::vector<int>& in) const {
  char buf[32];
  snprintf(buf, sizeof buf, "Dropout(%g)", p_);
  return {"", buf, in, 0};
}

// ---------------------------------------------------------------- Sequential

Tensor Sequential::forward(Tensor x, Mode mode) {
  for (auto& l : layers_) x = l->forward(x, mode);
  return x;
}

Tensor Sequential::backward(Tensor dy, bool need_dx) {
  for (size_t i = layers_.size(); i-- > 0;) dy = layers_[i]->backward(dy, need_dx || i > 0);
  return dy;
}

std::vector<int> Sequential::info(std::vector<int> in, std::vector<LayerInfo>* out) const {
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (LayerInfo li : layers_[i]->infos(in)) {
      if (li.name.empty()) li.name = names_[i];
      out->push_back(li);
      in = li.out_shape;
    }
  }
  return in;
}

}  // namespace gan
