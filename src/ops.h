// The op interface: every op the models need, forward and backward, on raw device pointers.
//
// Both backends implement this one interface: CpuOps (src/ref/, the reference) and CudaOps
// (kernels/). Layers in src/nn/ are written once against it, so a model runs unchanged on
// either device. Signatures are the same as the free functions in namespace `ref` (src/ref/ops.h)
// and the CUDA launchers in kernels/, which is what lets the tests compare them one to one.
//
// Conventions (the same in every implementation):
// - float32, NCHW, PyTorch layouts: Linear weight [out,in]; Conv2d weight [out,in,kh,kw];
//   ConvTranspose2d weight [in,out,kh,kw].
// - Parameter gradients accumulate (+=), so one zero_grad per optimiser step serves several
//   backward passes; input gradients are written (=). A null dinp means "not needed".
// - Pointers live on the backend's device; `labels` are int32 on the device.
// - Nothing here synchronises with the host except the explicit copy_* calls.
// - The training step counter lives on the device (set_step / advance_step), and everything that
//   changes from one mini-batch to the next is derived from it there: random counters
//   (step·2^40 + offset), Adam's t, the metrics row. So one mini-batch is a fixed sequence of
//   calls with fixed arguments, which the CUDA backend captures once as a graph and replays.
//   The ref:: functions are pure: CpuOps turns (step, offset) into the counter before calling them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "precision.h"

namespace gan {

struct ConvShape {
  int N = 1, C_in = 1, H = 1, W = 1;   // input
  int C_out = 1, KH = 1, KW = 1;       // filter
  int stride = 1, pad = 0;
  int H_out = 1, W_out = 1;            // output
  // Output size of Conv2d and ConvTranspose2d (PyTorch's formulas, dilation 1, no output_padding).
  static ConvShape conv(int N, int C_in, int H, int W, int C_out, int k, int stride, int pad);
  static ConvShape conv_transpose(int N, int C_in, int H, int W, int C_out, int k, int stride, int pad);
};

enum class Act { LeakyRelu, Relu, Tanh, Sigmoid };

// One parameter tensor as the optimiser sees it.
struct AdamParam {
  float* param;
  const float* grad;
  float* m;
  float* v;
  int64_t n;
};
struct AdamHyper {
  float lr = 2e-4f, beta1 = 0.5f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
};

// Device memory owned by a backend; freed by it.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual void* data() = 0;
  virtual size_t bytes() const = 0;
};

class Ops {
 public:
  virtual ~Ops() = default;
  virtual std::string name() const = 0;  // "cpu" or "cuda:<device name>"
  virtual bool is_cuda() const = 0;

  // ---- precision of the matrix work (src/precision.h says where each one rounds) ----
  // Applies to linear and conv calls made after it; fp32 until set. A backend that cannot honour
  // a precision throws naming it.
  virtual void set_precision(Precision p) { precision_ = p; }
  Precision precision() const { return precision_; }

  // ---- memory ----
  virtual std::unique_ptr<Buffer> alloc(size_t bytes) = 0;
  virtual void copy_to_device(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;  // waits for the device
  virtual void copy_device(void* dst, const void* src, size_t bytes) = 0;
  virtual void fill(float* x, int64_t n, float value) = 0;
  virtual void synchronize() = 0;

  // ---- the device-side step counter (see the note at the top) ----
  virtual void set_step(uint64_t step) = 0;  // host → device; before training or after a resume
  virtual void advance_step() = 0;           // enqueued: step += 1
  // slab[(step % capacity)·count + j] = values[j]: one metrics row per step, read back in batches.
  virtual void store_row(float* slab, const float* values, int count, int capacity) = 0;

  // ---- data movement and random numbers (so batches, noise and labels never leave the device) ----
  // out[i, :] = src[idx[i], :] for i < n, rows of row_size floats.
  virtual void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row_size) = 0;
  virtual void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n) = 0;
  // out[i] = mean + std·N(0,1), Box–Muller on philox_uniform(seed, c + 2i) and (.., c + 2i + 1),
  // c = step·2^40 + offset (as for dropout; ref:: takes c itself as `offset`).
  virtual void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset) = 0;
  // out[i] = floor(philox_uniform(seed, c + i) · high), in [0, high); c as for randn.
  virtual void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset) = 0;
  // y += alpha · x
  virtual void axpy(float* y, const float* x, int64_t n, float alpha) = 0;

  // ---- linear: out[B,C_out] = inp[B,C_in] · weight[C_out,C_in]ᵀ + bias ----
  virtual void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                              int B, int C_in, int C_out) = 0;
  virtual void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, int B, int C_in, int C_out) = 0;

  // ---- embedding: out[B,dim] = table[labels[b], :] ----
  virtual void embedding_forward(float* out, const int32_t* labels, const float* table, int B,
                                 int num, int dim) = 0;
  virtual void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B,
                                  int num, int dim) = 0;

  // ---- conv2d and conv_transpose2d (bias may be null) ----
  virtual void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                              const ConvShape& s) = 0;
  virtual void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, const ConvShape& s) = 0;
  virtual void conv_transpose2d_forward(float* out, const float* inp, const float* weight,
                                        const float* bias, const ConvShape& s) = 0;
  virtual void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias,
                                         const float* dout, const float* inp, const float* weight,
                                         const ConvShape& s) = 0;

  // ---- batchnorm over (N, HW) per channel C; HW = 1 for BatchNorm1d ----
  // Training: normalises with the batch statistics, saves mean and 1/sqrt(var+eps) for backward,
  // and updates running stats as PyTorch does (unbiased variance, momentum 0.1).
  virtual void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd,
                                       float* running_mean, float* running_var, const float* inp,
                                       const float* gamma, const float* beta, int N, int C, int HW,
                                       float momentum, float eps) = 0;
  virtual void batchnorm_forward_eval(float* out, const float* inp, const float* gamma,
                                      const float* beta, const float* running_mean,
                                      const float* running_var, int N, int C, int HW, float eps) = 0;
  virtual void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout,
                                  const float* inp, const float* gamma, const float* save_mean,
                                  const float* save_invstd, int N, int C, int HW) = 0;

  // ---- bias + BatchNorm + LeakyReLU + dropout in one pass (a model's conv block) ----
  // Training: x' = inp + bias[c] (bias may be null), BatchNorm of x' as batchnorm_forward_train
  // (saves mean and invstd, moves the running statistics), a = LeakyReLU(α) of it, and dropout as
  // dropout_forward: mask[i] = keep ? 1/(1−p) : 0 from philox_uniform(seed, c + i), c = step·2^40
  // + offset, out = a·mask (p ≤ 0: mask 1, no draws). Equal to that unfused sequence (src/ref/
  // fused.cpp: bit for bit on the CPU).
  virtual void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd,
                                            float* running_mean, float* running_var, const float* inp,
                                            const float* bias, const float* gamma, const float* beta, int N, int C,
                                            int HW, float momentum, float eps, float alpha, float p, uint64_t seed,
                                            uint64_t offset) = 0;
  // Eval: out = LeakyReLU(α) of batchnorm_forward_eval(inp + bias); no dropout.
  virtual void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma,
                                   const float* beta, const float* running_mean, const float* running_var, int N,
                                   int C, int HW, float eps, float alpha) = 0;
  // Backward of the training forward (mask null: no dropout). Recomputes the BatchNorm output from
  // inp and the saved statistics. dinp is written; dbias (may be null), dgamma, dbeta accumulate.
  virtual void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout,
                                       const float* mask, const float* inp, const float* bias, const float* gamma,
                                       const float* beta, const float* save_mean, const float* save_invstd, int N,
                                       int C, int HW, float alpha) = 0;

  // ---- pointwise activations; backward gets both inp and out, each kind uses what it needs ----
  virtual void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha) = 0;
  virtual void activation_backward(Act act, float* dinp, const float* dout, const float* inp,
                                   const float* out, int64_t n, float alpha) = 0;

  // ---- dropout (inverted): mask[i] = keep ? 1/(1-p) : 0, keep = philox_uniform(seed, c + i) >= p ----
  // c = step·2^40 + offset. The mask is a pure function of (seed, c, i): both backends draw the same.
  virtual void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p,
                               uint64_t seed, uint64_t offset) = 0;
  virtual void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n) = 0;

  // ---- concat along channels: out[N, Ca+Cb, HW] ----
  virtual void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb,
                              int HW) = 0;
  virtual void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb,
                               int HW) = 0;

  // ---- losses, fused with their gradients ----
  // BCE with logits, mean over B: loss[0] = mean_b ℓ_b; dlogits[b] = scale·(σ(x_b) − t_b)/B.
  // correct[0] = number of b with (x_b > 0) == (t_b > 0.5). dlogits may be null.
  virtual void bce_logits(float* loss, float* correct, float* dlogits, const float* logits,
                          const float* targets, int B, float scale) = 0;
  // Softmax cross-entropy, mean over B: loss[0]; dlogits = scale·(softmax − onehot)/B;
  // correct[0] = number of b whose argmax equals labels[b]. dlogits may be null.
  virtual void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits,
                            const int32_t* labels, int B, int C, float scale) = 0;

  // ---- optimiser: one call updates every parameter tensor of a model (Adam, bias-corrected) ----
  // Adam's t = step·t_per_step + t0 (t ≥ 1), so two updates of D per mini-batch count correctly.
  // ref::adam_update takes t itself in place of (t0, t_per_step) — see src/ref/ops.h.
  virtual void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0,
                           int64_t t_per_step) = 0;

  // ---- image grid for PNGs: imgs[N,C,H,W] in [-1,1] → out[GH, GW, C] uint8 (HWC, row-major) ----
  // GH = rows·H + (rows−1)·pad, GW = cols·W + (cols−1)·pad. Image i goes to cell (i / cols, i % cols);
  // value = clamp(round((x + 1)·127.5), 0, 255); pad pixels and cells with i ≥ N are 0.
  virtual void image_grid(uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows,
                          int cols, int pad) = 0;

 protected:
  Precision precision_ = Precision::Fp32;
};

// The reference backend (multithreaded CPU). Always available.
std::unique_ptr<Ops> make_cpu_ops();
// The CUDA backend; throws with the reason when none is usable (no driver, no device, CPU-only build).
std::unique_ptr<Ops> make_cuda_ops(int device = 0);
// True when the binary has CUDA support and a device is present; `why` says what was found.
bool cuda_available(std::string* why);

}  // namespace gan
