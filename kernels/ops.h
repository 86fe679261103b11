// The CUDA launchers: one public entry per op, with the signature of its CPU reference in
// src/ref/ops.h plus a trailing cudaStream_t (and, for ops that read the device-side step counter,
// `const uint64_t* d_step` before it). Each entry checks shapes, picks a launcher and returns
// without synchronising. Pointers are device pointers; int32 labels and indices are not range
// checked on the device (that would need a host round trip): callers validate them on upload.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "../src/ops.h"

namespace gan::cuda {

// ---- precision of the cuBLAS and cuDNN matrix work (src/precision.h) ----
// fp32 unless set; the environment's GAN_PRECISION=fp32|tf32|bf16 (or the older GAN_TF32=1)
// gives the starting value, for the GPU tests and ./bench. linear_cublas.cpp keeps it.
void set_precision(Precision p);
Precision precision();
inline bool tf32_enabled() { return precision() == Precision::Tf32; }

// ---- bf16 conversions and scratch (bf16.cu) ----
// out (bf16[n]) = round_bf16(in); out = widen(in); out += widen(in); x = round_bf16(x) in place.
void to_bf16(void* out, const float* in, int64_t n, cudaStream_t stream);
void from_bf16(float* out, const void* in, int64_t n, cudaStream_t stream);
void add_bf16(float* out, const void* in, int64_t n, cudaStream_t stream);
void round_bf16_inplace(float* x, int64_t n, cudaStream_t stream);
// A device block of at least `elems` bf16 values, one per slot and device, reused by every call;
// grows only outside a graph capture (throws inside one).
constexpr int kBf16ScratchSlots = 4;
void* bf16_scratch(int slot, int64_t elems, cudaStream_t stream);

// ---- step counter, fill, data movement, random numbers (data.cu) ----
void advance_step(uint64_t* d_step, cudaStream_t stream);
void store_row(float* slab, const float* values, int count, int capacity, const uint64_t* d_step,
               cudaStream_t stream);
void fill(float* x, int64_t n, float value, cudaStream_t stream);
void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row_size,
                 cudaStream_t stream);
void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n, cudaStream_t stream);
void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset,
           const uint64_t* d_step, cudaStream_t stream);
void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset,
             const uint64_t* d_step, cudaStream_t stream);
void axpy(float* y, const float* x, int64_t n, float alpha, cudaStream_t stream);

// ---- linear (cuBLAS, linear_cublas.cpp) ----
void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int B,
                    int C_in, int C_out, cudaStream_t stream);
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int B, int C_in, int C_out, cudaStream_t stream);

// ---- bias helpers shared by linear and conv (bias.cu) ----
void bias_rows_set(float* out, const float* bias, int B, int C, cudaStream_t stream);   // out[b,c] = bias[c]
void bias_rows_grad(float* dbias, const float* dout, int B, int C, cudaStream_t stream);  // dbias[c] += Σ_b
void channel_bias_add(float* out, const float* bias, int N, int C, int HW, cudaStream_t stream);
void channel_bias_grad(float* dbias, const float* dout, int N, int C, int HW, cudaStream_t stream);

// ---- embedding (embedding.cu) ----
void embedding_forward(float* out, const int32_t* labels, const float* table, int B, int num,
                       int dim, cudaStream_t stream);
void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num,
                        int dim, cudaStream_t stream);

// ---- conv2d and conv_transpose2d (cuDNN, conv_cudnn.cpp) ----
void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const ConvShape& s, cudaStream_t stream);
void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, const ConvShape& s, cudaStream_t stream);
void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                              const ConvShape& s, cudaStream_t stream);
void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, const ConvShape& s,
                               cudaStream_t stream);
// Chooses the algorithms of all three directions for a shape and grows the shared workspace:
// call at set-up (the conv entries do it themselves on first use, which must not happen inside a
// CUDA graph capture). `transposed` selects conv_transpose2d.
void conv_prepare(const ConvShape& s, bool transposed, cudaStream_t stream);

// ---- batchnorm (batchnorm.cu) ----
void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd, float* running_mean,
                             float* running_var, const float* inp, const float* gamma,
                             const float* beta, int N, int C, int HW, float momentum, float eps,
                             cudaStream_t stream);
void batchnorm_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                            const float* running_mean, const float* running_var, int N, int C,
                            int HW, float eps, cudaStream_t stream);
void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout,
                        const float* inp, const float* gamma, const float* save_mean,
                        const float* save_invstd, int N, int C, int HW, cudaStream_t stream);

// ---- bias + BatchNorm + LeakyReLU + dropout (fused_bn_act.cu) ----
void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd, float* running_mean,
                                  float* running_var, const float* inp, const float* bias, const float* gamma,
                                  const float* beta, int N, int C, int HW, float momentum, float eps, float alpha,
                                  float p, uint64_t seed, uint64_t offset, const uint64_t* d_step,
                                  cudaStream_t stream);
void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma, const float* beta,
                         const float* running_mean, const float* running_var, int N, int C, int HW, float eps,
                         float alpha, cudaStream_t stream);
void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout,
                             const float* mask, const float* inp, const float* bias, const float* gamma,
                             const float* beta, const float* save_mean, const float* save_invstd, int N, int C,
                             int HW, float alpha, cudaStream_t stream);

// ---- activations (activation.cu) ----
void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha,
                        cudaStream_t stream);
void activation_backward(Act act, float* dinp, const float* dout, const float* inp,
                         const float* out, int64_t n, float alpha, cudaStream_t stream);

// ---- dropout (dropout.cu) ----
void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed,
                     uint64_t offset, const uint64_t* d_step, cudaStream_t stream);
void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n,
                      cudaStream_t stream);

// ---- concat along channels (concat.cu) ----
void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW,
                    cudaStream_t stream);
void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW,
                     cudaStream_t stream);

// ---- losses fused with gradients and metric reductions (loss.cu) ----
void bce_logits(float* loss, float* correct, float* dlogits, const float* logits,
                const float* targets, int B, float scale, cudaStream_t stream);
void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits,
                  const int32_t* labels, int B, int C, float scale, cudaStream_t stream);

// ---- Adam, one launch for every tensor of a model (adam.cu) ----
// The device-side descriptor table of a parameter list, built once (it allocates: not inside a
// graph capture) and reused by every update.
class AdamPlan {
 public:
  AdamPlan(const std::vector<AdamParam>& params, cudaStream_t stream);
  ~AdamPlan();
  AdamPlan(const AdamPlan&) = delete;
  AdamPlan& operator=(const AdamPlan&) = delete;
  bool matches(const std::vector<AdamParam>& params) const;
  int tensors() const { return (int)host_.size(); }
  int64_t chunks() const { return chunks_; }
  const void* table() const { return table_; }

 private:
  std::vector<AdamParam> host_;
  void* table_ = nullptr;  // device array of descriptors
  int64_t chunks_ = 0;
};
// t = step·t_per_step + t0, step read from d_step on the device.
void adam_update(const AdamPlan& plan, const AdamHyper& h, int64_t t0, int64_t t_per_step,
                 const uint64_t* d_step, cudaStream_t stream);

// ---- image grid for PNGs (image_grid.cu) ----
void image_grid(uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows, int cols,
                int pad, cudaStream_t stream);

}  // namespace gan::cuda
