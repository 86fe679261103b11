// An Ops decorator over the CPU backend: every call goes to `inner`, and after each op the
// decorator is shown what the op wrote, so a test can perturb it (rounding noise, as another
// backend's summation order would give) or damage it (a planted bug). Host memory only: the inner
// backend must be the CPU one, whose "device" pointers are host pointers.
//
// Outputs that accumulate (parameter gradients, +=) are shown as the increment the op added, so a
// perturbation of a gradient does not also perturb what earlier backward passes accumulated.
#pragma once
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/ops.h"

namespace gan::testing {

// The op families, for decorators that treat them differently.
enum class OpKind { Pointwise, Random, Matrix, Reduction, Loss, Optimizer, Data };

// Every call passes through to `inner`: the ops from src/op_list.h, so a new op needs nothing here.
class PassThroughOps : public Ops {
 public:
  explicit PassThroughOps(std::unique_ptr<Ops> inner) : inner_(std::move(inner)) {}
#define GAN_PASS_THROUGH(name, kind, params, args) \
  void name params override { inner_->name args; }
  GAN_OPS(GAN_PASS_THROUGH)
#undef GAN_PASS_THROUGH

 protected:
  std::unique_ptr<Ops> inner_;
};

// Shows what the ops below wrote (the others only pass through).
class ForwardingOps : public PassThroughOps {
 public:
  explicit ForwardingOps(std::unique_ptr<Ops> inner) : PassThroughOps(std::move(inner)) {
    if (inner_->is_cuda()) throw std::logic_error("ForwardingOps works on host memory: wrap the CPU backend");
  }
  std::string name() const override { return "test(" + inner_->name() + ")"; }
  bool is_cuda() const override { return false; }
  void set_precision(Precision p) override {
    Ops::set_precision(p);
    inner_->set_precision(p);
  }

  std::unique_ptr<Buffer> alloc(size_t bytes) override { return inner_->alloc(bytes); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override { inner_->copy_to_device(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, size_t bytes) override { inner_->copy_to_host(dst, src, bytes); }
  void copy_device(void* dst, const void* src, size_t bytes) override { inner_->copy_device(dst, src, bytes); }
  void fill(float* x, int64_t n, float value) override { inner_->fill(x, n, value); }
  void synchronize() override { inner_->synchronize(); }
  void set_step(uint64_t step) override { inner_->set_step(step); }
  void advance_step() override { inner_->advance_step(); }
  void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset) override {
    inner_->randn(out, n, mean, std, seed, offset);
    wrote("randn", OpKind::Random, out, n);
  }
  void axpy(float* y, const float* x, int64_t n, float alpha) override {
    inner_->axpy(y, x, n, alpha);
    wrote("axpy", OpKind::Pointwise, y, n);
  }

  void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int B, int C_in,
                      int C_out) override {
    inner_->linear_forward(out, inp, weight, bias, B, C_in, C_out);
    wrote("linear_forward", OpKind::Matrix, out, (int64_t)B * C_out);
  }
  void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                       const float* weight, int B, int C_in, int C_out) override {
    Accum w(this, dweight, (int64_t)C_in * C_out), b(this, dbias, C_out);
    inner_->linear_backward(dinp, dweight, dbias, dout, inp, weight, B, C_in, C_out);
    wrote("linear_backward.dinp", OpKind::Matrix, dinp, (int64_t)B * C_in);
    w.done("linear_backward.dweight", OpKind::Matrix);
    b.done("linear_backward.dbias", OpKind::Reduction);
  }
  void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num, int dim) override {
    Accum t(this, dtable, (int64_t)num * dim);
    inner_->embedding_backward(dtable, dout, labels, B, num, dim);
    t.done("embedding_backward", OpKind::Reduction);
  }
  void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                      const ConvShape& s) override {
    inner_->conv2d_forward(out, inp, weight, bias, s);
    wrote("conv2d_forward", OpKind::Matrix, out, (int64_t)s.N * s.C_out * s.H_out * s.W_out);
  }
  void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                       const float* weight, const ConvShape& s) override {
    Accum w(this, dweight, (int64_t)s.C_out * s.C_in * s.KH * s.KW), b(this, dbias, s.C_out);
    inner_->conv2d_backward(dinp, dweight, dbias, dout, inp, weight, s);
    wrote("conv2d_backward.dinp", OpKind::Matrix, dinp, (int64_t)s.N * s.C_in * s.H * s.W);
    w.done("conv2d_backward.dweight", OpKind::Matrix);
    b.done("conv2d_backward.dbias", OpKind::Reduction);
  }
  void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                                const ConvShape& s) override {
    inner_->conv_transpose2d_forward(out, inp, weight, bias, s);
    wrote("conv_transpose2d_forward", OpKind::Matrix, out, (int64_t)s.N * s.C_out * s.H_out * s.W_out);
  }
  void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                                 const float* weight, const ConvShape& s) override {
    Accum w(this, dweight, (int64_t)s.C_in * s.C_out * s.KH * s.KW), b(this, dbias, s.C_out);
    inner_->conv_transpose2d_backward(dinp, dweight, dbias, dout, inp, weight, s);
    wrote("conv_transpose2d_backward.dinp", OpKind::Matrix, dinp, (int64_t)s.N * s.C_in * s.H * s.W);
    w.done("conv_transpose2d_backward.dweight", OpKind::Matrix);
    b.done("conv_transpose2d_backward.dbias", OpKind::Reduction);
  }
  void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd, float* running_mean,
                               float* running_var, const float* inp, const float* gamma, const float* beta, int N,
                               int C, int HW, float momentum, float eps) override {
    inner_->batchnorm_forward_train(out, save_mean, save_invstd, running_mean, running_var, inp, gamma, beta, N, C,
                                    HW, momentum, eps);
    wrote("batchnorm_forward_train.save_mean", OpKind::Reduction, save_mean, C);
    wrote("batchnorm_forward_train.save_invstd", OpKind::Reduction, save_invstd, C);
    wrote("batchnorm_forward_train.running_mean", OpKind::Reduction, running_mean, C);
    wrote("batchnorm_forward_train.running_var", OpKind::Reduction, running_var, C);
    wrote("batchnorm_forward_train.out", OpKind::Reduction, out, (int64_t)N * C * HW);
  }
  void batchnorm_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                              const float* running_mean, const float* running_var, int N, int C, int HW,
                              float eps) override {
    inner_->batchnorm_forward_eval(out, inp, gamma, beta, running_mean, running_var, N, C, HW, eps);
    wrote("batchnorm_forward_eval", OpKind::Pointwise, out, (int64_t)N * C * HW);
  }
  void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                          const float* gamma, const float* save_mean, const float* save_invstd, int N, int C,
                          int HW) override {
    Accum g(this, dgamma, C), b(this, dbeta, C);
    inner_->batchnorm_backward(dinp, dgamma, dbeta, dout, inp, gamma, save_mean, save_invstd, N, C, HW);
    wrote("batchnorm_backward.dinp", OpKind::Reduction, dinp, (int64_t)N * C * HW);
    g.done("batchnorm_backward.dgamma", OpKind::Reduction);
    b.done("batchnorm_backward.dbeta", OpKind::Reduction);
  }
  void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd,
                                    float* running_mean, float* running_var, const float* inp, const float* bias,
                                    const float* gamma, const float* beta, int N, int C, int HW, float momentum,
                                    float eps, float alpha, float p, uint64_t seed, uint64_t offset) override {
    inner_->bn_act_dropout_forward_train(out, mask, save_mean, save_invstd, running_mean, running_var, inp, bias,
                                         gamma, beta, N, C, HW, momentum, eps, alpha, p, seed, offset);
    wrote("bn_act_dropout_forward_train.save_mean", OpKind::Reduction, save_mean, C);
    wrote("bn_act_dropout_forward_train.save_invstd", OpKind::Reduction, save_invstd, C);
    wrote("bn_act_dropout_forward_train.running_mean", OpKind::Reduction, running_mean, C);
    wrote("bn_act_dropout_forward_train.running_var", OpKind::Reduction, running_var, C);
    wrote("bn_act_dropout_forward_train.out", OpKind::Reduction, out, (int64_t)N * C * HW);
  }
  void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma, const float* beta,
                           const float* running_mean, const float* running_var, int N, int C, int HW, float eps,
                           float alpha) override {
    inner_->bn_act_forward_eval(out, inp, bias, gamma, beta, running_mean, running_var, N, C, HW, eps, alpha);
    wrote("bn_act_forward_eval", OpKind::Pointwise, out, (int64_t)N * C * HW);
  }
  void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout,
                               const float* mask, const float* inp, const float* bias, const float* gamma,
                               const float* beta, const float* save_mean, const float* save_invstd, int N, int C,
                               int HW, float alpha) override {
    Accum bb(this, dbias, C), g(this, dgamma, C), b(this, dbeta, C);
    inner_->bn_act_dropout_backward(dinp, dbias, dgamma, dbeta, dout, mask, inp, bias, gamma, beta, save_mean,
                                    save_invstd, N, C, HW, alpha);
    wrote("bn_act_dropout_backward.dinp", OpKind::Reduction, dinp, (int64_t)N * C * HW);
    bb.done("bn_act_dropout_backward.dbias", OpKind::Reduction);
    g.done("bn_act_dropout_backward.dgamma", OpKind::Reduction);
    b.done("bn_act_dropout_backward.dbeta", OpKind::Reduction);
  }
  void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha) override {
    inner_->activation_forward(act, out, inp, n, alpha);
    wrote("activation_forward", OpKind::Pointwise, out, n);
  }
  void activation_backward(Act act, float* dinp, const float* dout, const float* inp, const float* out, int64_t n,
                           float alpha) override {
    inner_->activation_backward(act, dinp, dout, inp, out, n, alpha);
    wrote("activation_backward", OpKind::Pointwise, dinp, n);
  }
  void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed,
                       uint64_t offset) override {
    inner_->dropout_forward(out, mask, inp, n, p, seed, offset);
    wrote("dropout_forward", OpKind::Pointwise, out, n);
  }
  void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n) override {
    inner_->dropout_backward(dinp, dout, mask, n);
    wrote("dropout_backward", OpKind::Pointwise, dinp, n);
  }
  void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW) override {
    inner_->concat_forward(out, a, b, N, Ca, Cb, HW);
    wrote("concat_forward", OpKind::Data, out, (int64_t)N * (Ca + Cb) * HW);
  }
  void bce_logits(float* loss, float* correct, float* dlogits, const float* logits, const float* targets, int B,
                  float scale) override {
    inner_->bce_logits(loss, correct, dlogits, logits, targets, B, scale);
    wrote("bce_logits.loss", OpKind::Loss, loss, 1);
    wrote("bce_logits.dlogits", OpKind::Loss, dlogits, B);
  }
  void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits, const int32_t* labels, int B,
                    int C, float scale) override {
    inner_->softmax_xent(loss, correct, dlogits, logits, labels, B, C, scale);
    wrote("softmax_xent.loss", OpKind::Loss, loss, 1);
    wrote("softmax_xent.dlogits", OpKind::Loss, dlogits, (int64_t)B * C);
  }

 protected:
  // What an op wrote: n floats at out (null: the op had no such output). Accumulating outputs
  // arrive as `increment`, the difference the op made, which the decorator may change in place.
  virtual void written(const char* op, OpKind kind, float* out, int64_t n) {}
  Ops& inner() { return *inner_; }

 private:
  void wrote(const char* op, OpKind kind, float* out, int64_t n) {
    if (out && n > 0) written(op, kind, out, n);
  }
  // Shows the increment an accumulating op added, then adds back what the decorator made of it.
  struct Accum {
    Accum(ForwardingOps* o, float* p, int64_t n) : o(o), p(p), n(p ? n : 0), before(p, p + (p ? n : 0)) {}
    void done(const char* op, OpKind kind) {
      if (!n) return;
      std::vector<float> inc(n);
      for (int64_t i = 0; i < n; ++i) inc[i] = p[i] - before[i];
      const std::vector<float> shown = inc;
      o->wrote(op, kind, inc.data(), n);
      // Only where the decorator changed something: before + (p − before) need not round to p.
      for (int64_t i = 0; i < n; ++i)
        if (std::memcmp(&inc[i], &shown[i], sizeof(float))) p[i] = before[i] + inc[i];
    }
    ForwardingOps* o;
    float* p;
    int64_t n;
    std::vector<float> before;
  };
};

}  // namespace gan::testing
