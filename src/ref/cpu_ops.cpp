// CpuOps: the Ops interface over the CPU reference (src/ref/). Host memory, no streams.
#include <cstdlib>
#include <cstring>
#include <new>

#include "../ops.h"
#include "ops.h"

namespace gan {
namespace {

class HostBuffer final : public Buffer {
 public:
  explicit HostBuffer(size_t bytes) : bytes_(bytes) {
    // 64-byte alignment for the GEMM's vector loads.
    size_t rounded = (bytes + 63) / 64 * 64;
    p_ = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p_) throw std::bad_alloc();
  }
  ~HostBuffer() override { std::free(p_); }
  void* data() override { return p_; }
  size_t bytes() const override { return bytes_; }

 private:
  void* p_;
  size_t bytes_;
};

class CpuOps final : public Ops {
 public:
  std::string name() const override { return "cpu"; }
  bool is_cuda() const override { return false; }
  std::unique_ptr<Buffer> alloc(size_t bytes) override { return std::make_unique<HostBuffer>(bytes); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_device(void* dst, const void* src, size_t bytes) override { std::memmove(dst, src, bytes); }
  void fill(float* x, int64_t n, float value) override {
    for (int64_t i = 0; i < n; ++i) x[i] = value;
  }
  void synchronize() override {}
  void set_step(uint64_t step) override { step_ = step; }
  void advance_step() override { ++step_; }
  void store_row(float* slab, const float* values, int count, int capacity) override {
    ref::store_row(slab, values, count, capacity, step_);
  }

  void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row_size) override {
    ref::gather_rows(out, src, idx, n, row_size);
  }
  void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n) override {
    ref::gather_labels(out, src, idx, n);
  }
  void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset) override {
    ref::randn(out, n, mean, std, seed, counter(offset));
  }
  void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset) override {
    ref::randint(out, n, high, seed, counter(offset));
  }
  void axpy(float* y, const float* x, int64_t n, float alpha) override {
    ref::axpy(y, x, n, alpha);
  }
  void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int B, int C_in, int C_out) override {
    ref::linear_forward(precision_, out, inp, weight, bias, B, C_in, C_out);
  }
  void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, int B, int C_in, int C_out) override {
    ref::linear_backward(precision_, dinp, dweight, dbias, dout, inp, weight, B, C_in, C_out);
  }
  void embedding_forward(float* out, const int32_t* labels, const float* table, int B, int num, int dim) override {
    ref::embedding_forward(out, labels, table, B, num, dim);
  }
  void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num, int dim) override {
    ref::embedding_backward(dtable, dout, labels, B, num, dim);
  }
  void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s) override {
    ref::conv2d_forward(precision_, out, inp, weight, bias, s);
  }
  void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, const ConvShape& s) override {
    ref::conv2d_backward(precision_, dinp, dweight, dbias, dout, inp, weight, s);
  }
  void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s) override {
    ref::conv_transpose2d_forward(precision_, out, inp, weight, bias, s);
  }
  void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, const ConvShape& s) override {
    ref::conv_transpose2d_backward(precision_, dinp, dweight, dbias, dout, inp, weight, s);
  }
  void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd, float* running_mean, float* running_var, const float* inp, const float* gamma, const float* beta, int N, int C, int HW, float momentum, float eps) override {
    ref::batchnorm_forward_train(out, save_mean, save_invstd, running_mean, running_var, inp, gamma, beta, N, C, HW, momentum, eps);
  }
  void batchnorm_forward_eval(float* out, const float* inp, const float* gamma, const float* beta, const float* running_mean, const float* running_var, int N, int C, int HW, float eps) override {
    ref::batchnorm_forward_eval(out, inp, gamma, beta, running_mean, running_var, N, C, HW, eps);
  }
  void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp, const float* gamma, const float* save_mean, const float* save_invstd, int N, int C, int HW) override {
    ref::batchnorm_backward(dinp, dgamma, dbeta, dout, inp, gamma, save_mean, save_invstd, N, C, HW);
  }
  void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd, float* running_mean, float* running_var, const float* inp, const float* bias, const float* gamma, const float* beta, int N, int C, int HW, float momentum, float eps, float alpha, float p, uint64_t seed, uint64_t offset) override {
    ref::bn_act_dropout_forward_train(out, mask, save_mean, save_invstd, running_mean, running_var, inp, bias, gamma, beta, N, C, HW, momentum, eps, alpha, p, seed, counter(offset));
  }
  void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma, const float* beta, const float* running_mean, const float* running_var, int N, int C, int HW, float eps, float alpha) override {
    ref::bn_act_forward_eval(out, inp, bias, gamma, beta, running_mean, running_var, N, C, HW, eps, alpha);
  }
  void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout, const float* mask, const float* inp, const float* bias, const float* gamma, const float* beta, const float* save_mean, const float* save_invstd, int N, int C, int HW, float alpha) override {
    ref::bn_act_dropout_backward(dinp, dbias, dgamma, dbeta, dout, mask, inp, bias, gamma, beta, save_mean, save_invstd, N, C, HW, alpha);
  }
  void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha) override {
    ref::activation_forward(act, out, inp, n, alpha);
  }
  void activation_backward(Act act, float* dinp, const float* dout, const float* inp, const float* out, int64_t n, float alpha) override {
    ref::activation_backward(act, dinp, dout, inp, out, n, alpha);
  }
  void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed, uint64_t offset) override {
    ref::dropout_forward(out, mask, inp, n, p, seed, counter(offset));
  }
  void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n) override {
    ref::dropout_backward(dinp, dout, mask, n);
  }
  void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW) override {
    ref::concat_forward(out, a, b, N, Ca, Cb, HW);
  }
  void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW) override {
    ref::concat_backward(da, db, dout, N, Ca, Cb, HW);
  }
  void bce_logits(float* loss, float* correct, float* dlogits, const float* logits, const float* targets, int B, float scale) override {
    ref::bce_logits(loss, correct, dlogits, logits, targets, B, scale);
  }
  void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits, const int32_t* labels, int B, int C, float scale) override {
    ref::softmax_xent(loss, correct, dlogits, logits, labels, B, C, scale);
  }
  void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0,
                   int64_t t_per_step) override {
    ref::adam_update(params, h, (int64_t)step_ * t_per_step + t0);
  }
  void image_grid(uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows, int cols, int pad) override {
    ref::image_grid(out, imgs, N, C, H, W, rows, cols, pad);
  }

 private:
  uint64_t counter(uint64_t offset) const { return (step_ << 40) + offset; }
  uint64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Ops> make_cpu_ops() { return std::make_unique<CpuOps>(); }

}  // namespace gan
