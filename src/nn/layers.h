// Layers: the building blocks of the models, each a forward and a backward over Ops.
//
// A layer owns its activation buffers, allocated once at the model's largest batch (`capacity`)
// on first use; a call with n samples uses the first n rows. Addresses therefore never change
// from one step to the next, which is what lets the CUDA backend replay a captured step.
// Backward follows Ops' rule: parameter gradients accumulate (+=), the input gradient is written.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "../ops.h"
#include "../tensor.h"

namespace gan {

enum class Mode { Train, Eval };

// A trainable tensor with its gradient and Adam moments, named as in the PyTorch module.
struct Param {
  std::string name;
  Tensor value, grad, m, v;
  enum class Init { Normal, Zeros, Ones, NormalAroundOne } init = Init::Normal;
};

// A model's parameters and buffers (BatchNorm running statistics), in registration order.
class ParamSet {
 public:
  explicit ParamSet(Ops& ops) : ops_(ops) {}
  Param& add(const std::string& name, std::vector<int> shape, Param::Init init);
  Tensor& add_buffer(const std::string& name, std::vector<int> shape, float init);
  // BatchNorm's num_batches_tracked, kept on the host (the trainer counts forward passes).
  void add_counter(const std::string& name) { counters_.push_back(name); }

  std::vector<std::unique_ptr<Param>>& params() { return params_; }
  const std::vector<std::unique_ptr<Param>>& params() const { return params_; }
  // A deque: layers keep pointers to their buffers while later ones are added.
  std::deque<std::pair<std::string, Tensor>>& buffers() { return buffers_; }
  const std::vector<std::string>& counters() const { return counters_; }
  int64_t batches_tracked = 0;

  int64_t count() const;  // number of trainable scalars
  std::vector<AdamParam> adam_list() const;
  void zero_grad();
  // Moves every parameter, gradient and Adam moment into four flat buffers (values, grads, m, v)
  // with the same layout — each tensor at an offset rounded up to kFlatAlign floats, the gaps
  // zero — keeping their contents. Afterwards zero_grad is one fill and adam_list one entry over
  // the whole range (Adam is elementwise, and a zero gap stays zero: m = v = g = 0 gives a zero
  // step), so an update is bit-identical to the per-tensor one. Call once all parameters exist.
  void flatten();
  bool flat() const { return flat_value_.defined(); }
  static constexpr int64_t kFlatAlign = 16;  // 64 bytes: float4 loads stay aligned
  // Weights N(0, std) (or N(1, std) for NormalAroundOne), from (seed, index): the same on every backend.
  void initialise(uint64_t seed, float std);
  Ops& ops() { return ops_; }

 private:
  Ops& ops_;
  std::vector<std::unique_ptr<Param>> params_;
  std::deque<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::string> counters_;
  Tensor flat_value_, flat_grad_, flat_m_, flat_v_;
};

// One row of --summary.
struct LayerInfo {
  std::string name, kind;
  std::vector<int> out_shape;  // per sample
  int64_t params = 0;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual Tensor forward(const Tensor& x, Mode mode) = 0;
  // dy → dx; when need_dx is false the input gradient may be skipped (an undefined Tensor).
  virtual Tensor backward(const Tensor& dy, bool need_dx) = 0;
  virtual std::vector<int> out_shape(const std::vector<int>& in) const { return in; }
  virtual LayerInfo info(const std::vector<int>& in) const = 0;
  // The --summary rows: one, unless a layer stands for several (BnActDropout).
  virtual std::vector<LayerInfo> infos(const std::vector<int>& in) const { return {info(in)}; }

 protected:
  // A buffer of `capacity` samples of shape `sample`, made on first use; returns its first n.
  static Tensor rows(Ops& ops, Tensor& buf, int capacity, const std::vector<int>& sample, int n);
};

class Linear final : public Layer {
 public:
  Linear(ParamSet& ps, const std::string& name, int in, int out, bool bias, int capacity);
  Tensor forward(const Tensor& x, Mode mode) override;
  Tensor backward(const Tensor& dy, bool need_dx) override;
  std::vector<int> out_shape(const std::vector<int>&) const override { return {out_}; }
  LayerInfo info(const std::vector<int>& in) const override;
  Param* weight;
  Param* bias = nullptr;

 private:
  Ops& ops_;
  std::string name_;
  int in_, out_, cap_;
  Tensor x_, y_, dx_;
};

class Embedding final : public Layer {
 public:
  Embedding(ParamSet& ps, const std::string& name, int num, int dim, int capacity);
  Tensor forward(const Tensor& labels, Mode mode) override;  // labels: int32 [n]
  Tensor backward(const Tensor& dy, bool need_dx) override;
  std::vector<int> out_shape(const std::vector<int>&) const override { return {dim_}; }
  LayerInfo info(const std::vector<int>& in) const override;
  Param* weight;

 private:
  Ops& ops_;
  std::string name_;
  int num_, dim_, cap_;
  Tensor labels_, y_;
};

class Conv final : public Layer {
 public:
  // transposed = ConvTranspose2d (weight [in,out,k,k]); otherwise Conv2d (weight [out,in,k,k]).
  Conv(ParamSet& ps, const std::string& name, bool transposed, int in, int out, int k, int stride,
       int pad, bool bias, int capacity);
  Tensor forward(const Tensor& x, Mode mode) override;
  Tensor backward(const Tensor& dy, bool need_dx) override;
  std::vector<int> out_shape(const std::vector<int>& in) const override;
  LayerInfo info(const std::vector<int>& in) const override;
  Param* weight;
  Param* bias = nullptr;

 private:
  ConvShape shape_for(int n, int h, int w) const;
  Ops& ops_;
  std::string name_;
  bool transposed_;
  int in_, out_, k_, stride_, pad_, cap_;
  Tensor x_, y_, dx_;
  ConvShape s_;
};

class BatchNorm final : public Layer {
 public:
  BatchNorm(ParamSet& ps, const std::string& name, int channels, float momentum, float eps, int capacity);
  Tensor forward(const Tensor& x, Mode mode) override;
  Tensor backward(const Tensor& dy, bool need_dx) override;
  LayerInfo info(const std::vector<int>& in) const override;

 private:
  Ops& ops_;
  std::string name_;
  int c_, cap_;
  float momentum_, eps_;
  Param* gamma_;
  Param* beta_;
  Tensor* running_mean_;
  Tensor* running_var_;
  Tensor save_mean_, save_invstd_, x_, y_, dx_;
  int hw_ = 1;
};

class Activation final : public Layer {
 public:
  Activation(Ops& ops, Act act, float alpha, int capacity) : ops_(ops), act_(act), alpha_(alpha), cap_(capacity) {}
  Tensor forward(const Tensor& x, Mode mode) override;
  Tensor backward(const Tensor& dy, bool need_dx) override;
  LayerInfo info(const std::vector<int>& in) const override;

 private:
  Ops& ops_;
  Act act_;
  float alpha_;
  int cap_;
  Tensor x_, y_, dx_;
};

// Inverted dropout. Its random stream is (seed, uid, phase): `phase` tells apart the several
// forward passes of one training step (D on real, D on fake, D inside the G step).
class Dropout final : public Layer {
 public:
  Dropout(Ops& ops, float p, uint64_t seed, int uid, const int* phase, int capacity)
      : ops_(ops), p_(p), seed_(seed), uid_(uid), phase_(phase), cap_(capacity) {}
  Tensor forward(const Tensor& x, Mode mode) override;
  Tensor backward(const Tensor& dy, bool need_dx) override;
  LayerInfo info(const std::vector<int>& in) const override;

 private:
  Ops& ops_;
  float p_;
  uint64_t seed_;
  int uid_;
  const int* phase_;
  int cap_;
  bool active_ = false;
  Tensor y_, mask_, dx_;
};

// BatchNorm → LeakyReLU → Dropout (dropout optional) as one op, Ops::bn_act_dropout_*: the
// parameters, buffers and names of the three layers it replaces, their results (bit for bit on
// the CPU), and the same dropout stream as Dropout(seed, uid, phase). It keeps its input, the mask
// and its output where the three keep five tensors. ModelConfig::fuse_bn_act selects it.
class BnActDropout final : public Layer {
 public:
  // drop_name empty: no dropout (p ignored).
  BnActDropout(ParamSet& ps, const std::string& bn_name, const std::string& act_name, const std::string& drop_name,
               int channels, float momentum, float eps, float alpha, float p, uint64_t seed, int uid,
               const int* phase, int capacity);
  Tensor forward(const Tensor& x, Mode mode) override;
  Tensor backward(const Tensor& dy, bool need_dx) override;
  LayerInfo info(const std::vector<int>& in) const override;
  std::vector<LayerInfo> infos(const std::vector<int>& in) const override;

 private:
  Ops& ops_;
  std::string bn_name_, act_name_, drop_name_;
  int c_, cap_;
  float momentum_, eps_, alpha_, p_;
  uint64_t seed_;
  int uid_;
  const int* phase_;
  Param* gamma_;
  Param* beta_;
  Tensor* running_mean_;
  Tensor* running_var_;
  Tensor save_mean_, save_invstd_, x_, y_, mask_, dx_;
  bool dropout_active_ = false;
  int hw_ = 1;
};

// Layers applied in order.
class Sequential {
 public:
  template <class L, class... A>
  L& add(const std::string& name, A&&... a) {
    auto l = std::make_unique<L>(std::forward<A>(a)...);
    L& ref = *l;
    layers_.push_back(std::move(l));
    names_.push_back(name);
    return ref;
  }
  Tensor forward(Tensor x, Mode mode);
  Tensor backward(Tensor dy, bool need_dx);
  // Appends one LayerInfo per layer; returns the output shape.
  std::vector<int> info(std::vector<int> in, std::vector<LayerInfo>* out) const;
  bool empty() const { return layers_.empty(); }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::string> names_;
};

}  // namespace gan
