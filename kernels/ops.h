// The CUDA launchers: one public entry per op of src/op_list.h, with the signature of its CPU
// reference in src/ref/ops.h plus a trailing cudaStream_t (and, for the STEP ops, which read the
// device-side step counter, `const uint64_t* d_step` before it). Each entry checks shapes, picks a launcher and returns
// without synchronising. Pointers are device pointers; int32 labels and indices are not range
// checked on the device (that would need a host round trip): callers validate them on upload.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "../src/ops.h"

namespace gan::cuda {

// ---- every op of src/op_list.h but the CUSTOM ones (defined in kernels/<family>.cu) ----
#define GAN_CUDA_DECL(name, kind, params, args) GAN_CUDA_DECL_##kind(name, params)
#define GAN_CUDA_DECL_PLAIN(name, params) void name(GAN_OP_UNPAREN params, cudaStream_t stream);
#define GAN_CUDA_DECL_MATRIX(name, params) GAN_CUDA_DECL_PLAIN(name, params)
#define GAN_CUDA_DECL_STEP(name, params) \
  void name(GAN_OP_UNPAREN params, const uint64_t* d_step, cudaStream_t stream);
#define GAN_CUDA_DECL_CUSTOM(name, params)
GAN_OPS(GAN_CUDA_DECL)

// ---- precision of the cuBLAS and cuDNN matrix work (src/precision.h) ----
// fp32 unless set; the environment's GAN_PRECISION=fp32|tf32|bf16 (or the older GAN_TF32=1)
// gives the starting value, for the GPU tests and ./bench. linear.cpp keeps it.
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

// ---- step counter, fill and the CUSTOM store_row (data.cu) ----
void advance_step(uint64_t* d_step, cudaStream_t stream);
void store_row(float* slab, const float* values, int count, int capacity, const uint64_t* d_step,
               cudaStream_t stream);
void fill(float* x, int64_t n, float value, cudaStream_t stream);

// ---- bias helpers shared by linear and conv (bias.cu) ----
void bias_rows_set(float* out, const float* bias, int B, int C, cudaStream_t stream);   // out[b,c] = bias[c]
void bias_rows_grad(float* dbias, const float* dout, int B, int C, cudaStream_t stream);  // dbias[c] += Σ_b
void channel_bias_add(float* out, const float* bias, int N, int C, int HW, cudaStream_t stream);
void channel_bias_grad(float* dbias, const float* dout, int N, int C, int HW, cudaStream_t stream);

// ---- conv2d and conv_transpose2d (cuDNN, conv.cpp) ----
// Chooses the algorithms of all three directions for a shape and grows the shared workspace:
// call at set-up (the conv entries do it themselves on first use, which must not happen inside a
// CUDA graph capture). `transposed` selects conv_transpose2d.
void conv_prepare(const ConvShape& s, bool transposed, cudaStream_t stream);

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

}  // namespace gan::cuda
