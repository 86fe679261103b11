// Bias + BatchNorm + LeakyReLU + dropout in one kernel per direction (src/ops.h: bn_act_dropout_*;
// the CPU reference is src/ref/fused_bn_act.cpp).
//
// One block owns one channel, as in batchnorm.cu: the forward block takes the channel's
// statistics (two passes over x + bias: mean, then Σ(x − mean)², in float per thread and the
// fixed-order block reduction, so deterministic), then writes out = LeakyReLU(BN(x))·mask with the
// mask drawn from philox_uniform(seed, c + i) exactly as dropout.cu draws it (the same bits;
// the op registry, tests/ops/cases.h, compares the masks). The backward block
// recomputes y = BN(x) from the saved statistics, forms dy = mask·dout·LeakyReLU'(y), reduces
// Σdy and Σdy·x̂, and writes dx in a second pass (summing it for the bias gradient). Memory moved,
// per element: forward 3 reads + 2 writes (x three times; out, mask), backward 4 reads per pass
// (x, dout, mask) + 1 write — against the unfused sequence's 6 tensors written and 9 read, and
// two tensors per layer fewer kept for backward. Eval is one elementwise pass.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "../src/philox.h"
#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

constexpr int kFusedThreads = 512;
static_assert(block_sum_ok<kFusedThreads>(), "block_sum needs whole warps, at most 32 of them");

__device__ __forceinline__ float leaky(float y, float alpha) { return y > 0.0f ? y : alpha * y; }

// philox_uniform(seed, index) (src/philox.h) with the word chosen by selects, not by indexing the
// result array with a runtime index (which puts the array in local memory).
__device__ __forceinline__ float uniform_at(uint64_t seed, uint64_t index) {
  const uint64_t block = index >> 2;
  const Philox4 r = philox4x32_10((uint32_t)block, (uint32_t)(block >> 32), 0x6761u, 0, (uint32_t)seed,
                                  (uint32_t)(seed >> 32));
  const unsigned j = (unsigned)(index & 3);
  const uint32_t w = j == 0 ? r.v[0] : j == 1 ? r.v[1] : j == 2 ? r.v[2] : r.v[3];
  return (float)(w >> 8) * (1.0f / 16777216.0f);
}

// Flat index of the j-th value (j < N·HW) of channel c.
__device__ __forceinline__ int64_t at(int64_t j, int c, int C, int HW) {
  const int64_t n = j / HW;
  return (n * C + c) * HW + (j - n * HW);
}

__global__ void __launch_bounds__(kFusedThreads)
    fused_forward_train_kernel(float* __restrict__ out, float* __restrict__ mask, float* __restrict__ save_mean,
                               float* __restrict__ save_invstd, float* __restrict__ running_mean,
                               float* __restrict__ running_var, const float* __restrict__ inp,
                               const float* __restrict__ bias, const float* __restrict__ gamma,
                               const float* __restrict__ beta, int N, int C, int HW, float momentum, float eps,
                               float alpha, float p, float keep_scale, uint64_t seed, uint64_t offset,
                               const uint64_t* __restrict__ d_step) {
  __shared__ float scratch[32];
  const int c = blockIdx.x;
  const int64_t count = (int64_t)N * HW;
  const float bc = bias ? bias[c] : 0.0f;
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) s += inp[at(j, c, C, HW)] + bc;
  const float mean = block_sum(s, scratch) / (float)count;
  float q = 0.0f;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const float d = inp[at(j, c, C, HW)] + bc - mean;
    q += d * d;
  }
  const float sq = block_sum(q, scratch);
  const float var = sq / (float)count;
  const float invstd = rsqrtf(var + eps);
  const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
  const uint64_t ctr = step_counter(d_step, offset);
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const int64_t k = at(j, c, C, HW);
    const float a = leaky((inp[k] + bc - mean) * invstd * g + b, alpha);
    if (p > 0.0f) {
      const float m = uniform_at(seed, ctr + (uint64_t)k) >= p ? keep_scale : 0.0f;
      if (mask) mask[k] = m;
      out[k] = a * m;
    } else {
      if (mask) mask[k] = 1.0f;
      out[k] = a;
    }
  }
  if (threadIdx.x == 0)
    store_channel_stats(c, mean, invstd, var, sq, count, momentum, save_mean, save_invstd, running_mean, running_var);
}

__global__ void fused_forward_eval_kernel(float* __restrict__ out, const float* __restrict__ inp,
                                          const float* __restrict__ bias, const float* __restrict__ gamma,
                                          const float* __restrict__ beta, const float* __restrict__ running_mean,
                                          const float* __restrict__ running_var, int64_t total, int C, int HW,
                                          float eps, float alpha) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total; k += (int64_t)gridDim.x * blockDim.x) {
    const int c = (int)((k / HW) % C);
    const float invstd = 1.0f / sqrtf(running_var[c] + eps);
    const float scale = (gamma ? gamma[c] : 1.0f) * invstd;
    const float shift = (beta ? beta[c] : 0.0f) - running_mean[c] * scale;
    out[k] = leaky((bias ? inp[k] + bias[c] : inp[k]) * scale + shift, alpha);
  }
}

__global__ void __launch_bounds__(kFusedThreads)
    fused_backward_kernel(float* __restrict__ dinp, float* __restrict__ dbias, float* __restrict__ dgamma,
                          float* __restrict__ dbeta, const float* __restrict__ dout, const float* __restrict__ mask,
                          const float* __restrict__ inp, const float* __restrict__ bias,
                          const float* __restrict__ gamma, const float* __restrict__ beta,
                          const float* __restrict__ save_mean, const float* __restrict__ save_invstd, int N, int C,
                          int HW, float alpha) {
  __shared__ float scratch[32];
  const int c = blockIdx.x;
  const int64_t count = (int64_t)N * HW;
  const float m = save_mean[c], invstd = save_invstd[c];
  const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f, bc = bias ? bias[c] : 0.0f;
  // dy at the BatchNorm output and x̂, for element k.
  auto grad = [&](int64_t k, float* xhat) {
    *xhat = (inp[k] + bc - m) * invstd;
    const float y = *xhat * g + b;
    const float d = mask ? dout[k] * mask[k] : dout[k];
    return y > 0.0f ? d : alpha * d;
  };
  float s1 = 0.0f, s2 = 0.0f;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    float xh;
    const float dy = grad(at(j, c, C, HW), &xh);
    s1 += dy;
    s2 += dy * xh;
  }
  const float sum_dy = block_sum(s1, scratch);
  const float sum_dy_xhat = block_sum(s2, scratch);
  if (threadIdx.x == 0) {
    if (dbeta) dbeta[c] += sum_dy;
    if (dgamma) dgamma[c] += sum_dy_xhat;
  }
  if (!dinp && !dbias) return;
  const float mean_dy = sum_dy / (float)count, mean_dy_xhat = sum_dy_xhat / (float)count, k = g * invstd;
  float sdx = 0.0f;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const int64_t e = at(j, c, C, HW);
    float xh;
    const float dy = grad(e, &xh);
    const float dx = k * (dy - mean_dy - xh * mean_dy_xhat);
    if (dinp) dinp[e] = dx;
    sdx += dx;
  }
  if (dbias) {
    const float t = block_sum(sdx, scratch);
    if (threadIdx.x == 0) dbias[c] += t;
  }
}

void check(const char* what, int N, int C, int HW) {
  if (N < 0 || C <= 0 || HW <= 0)
    throw std::invalid_argument(std::string(what) + ": bad shape N=" + std::to_string(N) + " C=" + std::to_string(C) +
                                " HW=" + std::to_string(HW));
}

}  // namespace

void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd, float* running_mean,
                                  float* running_var, const float* inp, const float* bias, const float* gamma,
                                  const float* beta, int N, int C, int HW, float momentum, float eps, float alpha,
                                  float p, uint64_t seed, uint64_t offset, const uint64_t* d_step,
                                  cudaStream_t stream) {
  check("bn_act_dropout_forward_train", N, C, HW);
  if (N == 0) return;
  const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  fused_forward_train_kernel<<<C, kFusedThreads, 0, stream>>>(out, mask, save_mean, save_invstd, running_mean,
                                                              running_var, inp, bias, gamma, beta, N, C, HW, momentum,
                                                              eps, alpha, p, keep_scale, seed, offset, d_step);
  CUDA_LAUNCH_CHECK();
}

void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma, const float* beta,
                         const float* running_mean, const float* running_var, int N, int C, int HW, float eps,
                         float alpha, cudaStream_t stream) {
  check("bn_act_forward_eval", N, C, HW);
  const int64_t total = (int64_t)N * C * HW;
  if (total == 0) return;
  fused_forward_eval_kernel<<<grid_for(total, 256, 8192), 256, 0, stream>>>(out, inp, bias, gamma, beta, running_mean,
                                                                           running_var, total, C, HW, eps, alpha);
  CUDA_LAUNCH_CHECK();
}

void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout,
                             const float* mask, const float* inp, const float* bias, const float* gamma,
                             const float* beta, const float* save_mean, const float* save_invstd, int N, int C,
                             int HW, float alpha, cudaStream_t stream) {
  check("bn_act_dropout_backward", N, C, HW);
  if (N == 0) return;
  fused_backward_kernel<<<C, kFusedThreads, 0, stream>>>(dinp, dbias, dgamma, dbeta, dout, mask, inp, bias, gamma, beta,
                                                         save_mean, save_invstd, N, C, HW, alpha);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
