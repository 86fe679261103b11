// Adam (PyTorch's torch.optim.Adam, bias-corrected, L2 weight decay added to the gradient) over
// every parameter tensor of a model in ONE launch.
//
// An AdamPlan uploads, once, a table of {param, grad, m, v, n, first chunk} descriptors; the grid
// covers the sum of every tensor's chunks of kChunk elements and each block finds its tensor by
// binary search over the first-chunk column. So a model of ~20 tensors, most of them small, costs
// one launch instead of twenty, and the launch is graph-capturable (fixed arguments). Adam's t is
// step·t_per_step + t0 with step read from the device counter, so replays count correctly.
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
#include <cuda_runtime.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "common.cuh"
#include "device_logic.h"
#include "ops.h"

namespace gan::cuda {
namespace {

constexpr int kAdamThreads = 256;
constexpr int kChunk = kAdamChunk;  // 8 elements per thread
static_assert(kChunk % kAdamThreads == 0, "every thread of a block gets the same number of a chunk's elements");

__global__ void __launch_bounds__(kAdamThreads)
    adam_multi_kernel(const AdamDesc* __restrict__ table, int tensors, float lr, float beta1,
                      float beta2, float eps, float weight_decay, int64_t t0, int64_t t_per_step,
                      const uint64_t* __restrict__ d_step) {
  const int64_t chunk = blockIdx.x;
  const AdamDesc d = table[adam_owner(table, tensors, chunk)];
  const int64_t t = (int64_t)*d_step * t_per_step + t0;
  // Bias corrections in double once per thread: β2^t for large t loses digits in float.
  // (The same roundings as src/ref/adam.cpp: step size and √bc2 from doubles.)
  const float step_size = (float)((double)lr / (1.0 - pow((double)beta1, (double)t)));
  const float bc2_sqrt = (float)sqrt(1.0 - pow((double)beta2, (double)t));
  const int64_t begin = (chunk - d.chunk0) * kChunk;
  const int64_t end = begin + kChunk < d.n ? begin + kChunk : d.n;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    float g = d.g[i];
    float p = d.p[i];
    if (weight_decay != 0.0f) g += weight_decay * p;
    const float m = beta1 * d.m[i] + (1.0f - beta1) * g;
    const float v = beta2 * d.v[i] + (1.0f - beta2) * g * g;
    d.m[i] = m;
    d.v[i] = v;
    d.p[i] = p - step_size * (m / (sqrtf(v) / bc2_sqrt + eps));
  }
}

}  // namespace

AdamPlan::AdamPlan(const std::vector<AdamParam>& params, cudaStream_t stream) : host_(params) {
  if (params.empty()) throw std::invalid_argument("adam_update: empty parameter list");
  for (size_t i = 0; i < params.size(); ++i) {
    const AdamParam& a = params[i];
    if (!a.param || !a.grad || !a.m || !a.v || a.n <= 0)
      throw std::invalid_argument("adam_update: parameter " + std::to_string(i) +
                                  " has a null pointer or non-positive size");
  }
  const std::vector<AdamDesc> table = adam_table(params, &chunks_);
  if (chunks_ > 2147483647LL) throw std::invalid_argument("adam_update: too many parameters for one launch");
  CUDA_CHECK(cudaMalloc(&table_, table.size() * sizeof(AdamDesc)));
  CUDA_CHECK(cudaMemcpyAsync(table_, table.data(), table.size() * sizeof(AdamDesc),
                             cudaMemcpyHostToDevice, stream));
  // The host vector dies with this constructor: wait for the copy.
  CUDA_CHECK(cudaStreamSynchronize(stream));
}

AdamPlan::~AdamPlan() { CUDA_LOG_CHECK(cudaFree(table_)); }

bool AdamPlan::matches(const std::vector<AdamParam>& params) const {
  if (params.size() != host_.size()) return false;
  for (size_t i = 0; i < params.size(); ++i) {
    const AdamParam &a = params[i], &b = host_[i];
    if (a.param != b.param || a.grad != b.grad || a.m != b.m || a.v != b.v || a.n != b.n) return false;
  }
  return true;
}

void adam_update(const AdamPlan& plan, const AdamHyper& h, int64_t t0, int64_t t_per_step,
                 const uint64_t* d_step, cudaStream_t stream) {
  if (t_per_step < 0) throw std::invalid_argument("adam_update: t_per_step must be >= 0");
  adam_multi_kernel<<<(unsigned)plan.chunks(), kAdamThreads, 0, stream>>>(
      static_cast<const AdamDesc*>(plan.table()), plan.tensors(), h.lr, h.beta1, h.beta2, h.eps,
      h.weight_decay, t0, t_per_step, d_step);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
