// Shared device helpers for the kernel files: grid sizing, the deterministic block reduction and
// the step-counter arithmetic. Every reduction goes warp shuffle → shared memory → warp shuffle in
// a fixed order, never through float atomics, so a result is the same on every run.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "check.h"

namespace gan::cuda {

constexpr int kWarp = 32;
// The float4 paths test 16-byte alignment (aligned16) before reinterpreting a float pointer.
static_assert(sizeof(float4) == 4 * sizeof(float) && alignof(float4) == 16, "float4 is 16 aligned bytes");

// block_sum's scratch holds one partial per warp: at most 32 warps (1024 threads), whole warps.
template <int Threads>
constexpr bool block_sum_ok() { return Threads % kWarp == 0 && Threads / kWarp <= 32; }

// Blocks for n items at `per_block` each, capped so a grid-stride loop covers the rest.
inline unsigned grid_for(int64_t n, int per_block, int64_t cap = 65535LL * 32) {
  int64_t g = (n + per_block - 1) / per_block;
  if (g < 1) g = 1;
  if (g > cap) g = cap;
  return (unsigned)g;
}

inline bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }

// The elementwise grid-stride loop: with `vec` (every pointer aligned16), vec4(i) for each whole
// float4 i < n/4, then one(i) for the < 4 elements left (for every element without `vec`).
template <class Vec4, class One>
__device__ __forceinline__ void grid_stride_vec4(int64_t n, bool vec, Vec4 vec4, One one) {
  const int64_t tid = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  int64_t body = 0;
  if (vec) {
    body = n & ~int64_t(3);
    for (int64_t i = tid; i < body / 4; i += stride) vec4(i);
  }
  for (int64_t i = body + tid; i < n; i += stride) one(i);
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over the block; every thread gets the result. `scratch` holds >= 32 floats. The order of
// additions depends only on blockDim, so it is deterministic. Ends with a barrier, so the caller
// may reuse `scratch` right away.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & (kWarp - 1), warp = threadIdx.x / kWarp;
  const int nwarps = (blockDim.x + kWarp - 1) / kWarp;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float t = lane < nwarps ? scratch[lane] : 0.0f;
  t = warp_sum(t);
  __syncthreads();
  return t;
}

// Random-stream counter of a step: step·2^40 + offset (src/ops.h).
__device__ __forceinline__ uint64_t step_counter(const uint64_t* d_step, uint64_t offset) {
  return (*d_step << 40) + offset;
}

// Channel c's training statistics, written by the thread that owns the channel: the saved mean
// and 1/std for backward, and the running ones moved PyTorch's way (the running variance with the
// unbiased estimate, the biased one when count is 1). Any pointer may be null.
__device__ __forceinline__ void store_channel_stats(int c, float mean, float invstd, float var, float sq, int64_t count,
                                                   float momentum, float* save_mean, float* save_invstd,
                                                   float* running_mean, float* running_var) {
  if (save_mean) save_mean[c] = mean;
  if (save_invstd) save_invstd[c] = invstd;
  const float unbiased = count > 1 ? sq / (float)(count - 1) : var;
  if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
  if (running_var) running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbiased;
}

}  // namespace gan::cuda
