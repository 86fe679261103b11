// BatchNorm over (N, HW) per channel, forward (training and eval) and backward.
//
// Layout choice: one 1024-thread block owns one channel and walks its N·HW values (N planes of
// HW contiguous floats) in a flat index, float4 at a time when HW is a multiple of 4. The
// statistics take ONE pass of shifted sums (see the kernel) with per-thread float partials and
// the fixed-order block reduction of common.cuh, so results are deterministic and never use float
// atomics. With C=128 that is ~one block per SM on an H100/H200. Forward-train moves the data 3
// times (statistics read; normalise read + write), backward 5 (sums read x and dy; dx reads both
// again and writes): once a tensor outgrows L2 a two-pass op cannot match a copy's 2 moves, which
// bounds these kernels' fraction of copy bandwidth (2/3 and 3/5 at best). Parameter gradients
// accumulate (+=), dinp is written (=), as everywhere (src/ops.h).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

constexpr int kBnThreads = 1024;
static_assert(block_sum_ok<kBnThreads>(), "block_sum needs whole warps, at most 32 of them");

// Calls f(x, idx) for every value of channel c, idx being its flat offset in the tensor.
template <bool V4, class F>
__device__ __forceinline__ void for_channel(int c, int N, int C, int HW, F f) {
  if (V4) {
    const int hw4 = HW >> 2;
    const int64_t total = (int64_t)N * hw4;
#pragma unroll 4
    for (int64_t j = threadIdx.x; j < total; j += blockDim.x) {
      const int n = (int)(j / hw4), i = (int)(j - (int64_t)n * hw4);
      f(((int64_t)n * C + c) * HW + 4 * (int64_t)i);
    }
  } else {
    const int64_t total = (int64_t)N * HW;
#pragma unroll 4
    for (int64_t j = threadIdx.x; j < total; j += blockDim.x) {
      const int n = (int)(j / HW), i = (int)(j - (int64_t)n * HW);
      f(((int64_t)n * C + c) * HW + i);
    }
  }
}

template <bool V4>
__global__ void __launch_bounds__(kBnThreads, 1)
    batchnorm_forward_train_kernel(float* __restrict__ out, float* __restrict__ save_mean,
                                   float* __restrict__ save_invstd, float* __restrict__ running_mean,
                                   float* __restrict__ running_var, const float* __restrict__ inp,
                                   const float* __restrict__ gamma, const float* __restrict__ beta,
                                   int N, int C, int HW, float momentum, float eps) {
  __shared__ float scratch[32];
  const int c = blockIdx.x;
  const int64_t count = (int64_t)N * HW;

  // One pass for both moments, shifted by a pivot K taken from the channel itself (its first
  // value): Σ(x−mean)² = Σ(x−K)² − (Σ(x−K))²/n loses about (mean−K)²/var of relative precision,
  // small for a K drawn from the data (the unshifted Σx² − n·mean² is what cancels badly). Saves
  // a full read of the channel against the two-pass form.
  const float pivot = inp[(int64_t)c * HW];
  float s1 = 0.0f, s2 = 0.0f;
  for_channel<V4>(c, N, C, HW, [&](int64_t k) {
    if (V4) {
      const float4 x = *reinterpret_cast<const float4*>(inp + k);
      const float a = x.x - pivot, b = x.y - pivot, d = x.z - pivot, e = x.w - pivot;
      s1 += (a + b) + (d + e);
      s2 += (a * a + b * b) + (d * d + e * e);
    } else {
      const float a = inp[k] - pivot;
      s1 += a;
      s2 += a * a;
    }
  });
  s1 = block_sum(s1, scratch);
  s2 = block_sum(s2, scratch);
  const float shift = s1 / (float)count;
  const float mean = pivot + shift;
  const float sq = fmaxf(s2 - s1 * shift, 0.0f);  // Σ(x − mean)²
  const float var = sq / (float)count;
  const float invstd = 1.0f / sqrtf(var + eps);
  const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
  const float scale = invstd * g;

  for_channel<V4>(c, N, C, HW, [&](int64_t k) {
    if (V4) {
      const float4 x = *reinterpret_cast<const float4*>(inp + k);
      float4 y;
      y.x = (x.x - mean) * scale + b;
      y.y = (x.y - mean) * scale + b;
      y.z = (x.z - mean) * scale + b;
      y.w = (x.w - mean) * scale + b;
      *reinterpret_cast<float4*>(out + k) = y;
    } else {
      out[k] = (inp[k] - mean) * scale + b;
    }
  });

  if (threadIdx.x == 0)
    store_channel_stats(c, mean, invstd, var, sq, count, momentum, save_mean, save_invstd, running_mean, running_var);
}

__global__ void batchnorm_forward_eval_kernel(float* __restrict__ out, const float* __restrict__ inp,
                                              const float* __restrict__ gamma,
                                              const float* __restrict__ beta,
                                              const float* __restrict__ running_mean,
                                              const float* __restrict__ running_var, int64_t total,
                                              int C, int HW, float eps) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x) {
    const int c = (int)((k / HW) % C);
    const float invstd = 1.0f / sqrtf(running_var[c] + eps);
    const float scale = (gamma ? gamma[c] : 1.0f) * invstd;
    const float shift = (beta ? beta[c] : 0.0f) - running_mean[c] * scale;
    out[k] = inp[k] * scale + shift;
  }
}

// x̂ = (x − mean)·invstd, dβ += Σdy, dγ += Σdy·x̂, dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)).
template <bool V4>
__global__ void __launch_bounds__(kBnThreads, 1)
    batchnorm_backward_kernel(float* __restrict__ dinp, float* __restrict__ dgamma,
                              float* __restrict__ dbeta, const float* __restrict__ dout,
                              const float* __restrict__ inp, const float* __restrict__ gamma,
                              const float* __restrict__ save_mean,
                              const float* __restrict__ save_invstd, int N, int C, int HW) {
  __shared__ float scratch[32];
  const int c = blockIdx.x;
  const int64_t count = (int64_t)N * HW;
  const float mean = save_mean[c], invstd = save_invstd[c];

  float sdy = 0.0f, sdyx = 0.0f;
  for_channel<V4>(c, N, C, HW, [&](int64_t k) {
    if (V4) {
      const float4 x = *reinterpret_cast<const float4*>(inp + k);
      const float4 d = *reinterpret_cast<const float4*>(dout + k);
      sdy += (d.x + d.y) + (d.z + d.w);
      sdyx += (d.x * ((x.x - mean) * invstd) + d.y * ((x.y - mean) * invstd)) +
              (d.z * ((x.z - mean) * invstd) + d.w * ((x.w - mean) * invstd));
    } else {
      const float d = dout[k];
      sdy += d;
      sdyx += d * ((inp[k] - mean) * invstd);
    }
  });
  sdy = block_sum(sdy, scratch);
  sdyx = block_sum(sdyx, scratch);
  if (threadIdx.x == 0) {
    if (dbeta) dbeta[c] += sdy;
    if (dgamma) dgamma[c] += sdyx;
  }
  if (!dinp) return;
  const float mdy = sdy / (float)count, mdyx = sdyx / (float)count;
  const float k0 = (gamma ? gamma[c] : 1.0f) * invstd;
  for_channel<V4>(c, N, C, HW, [&](int64_t k) {
    if (V4) {
      const float4 x = *reinterpret_cast<const float4*>(inp + k);
      const float4 d = *reinterpret_cast<const float4*>(dout + k);
      float4 r;
      r.x = k0 * (d.x - mdy - ((x.x - mean) * invstd) * mdyx);
      r.y = k0 * (d.y - mdy - ((x.y - mean) * invstd) * mdyx);
      r.z = k0 * (d.z - mdy - ((x.z - mean) * invstd) * mdyx);
      r.w = k0 * (d.w - mdy - ((x.w - mean) * invstd) * mdyx);
      *reinterpret_cast<float4*>(dinp + k) = r;
    } else {
      dinp[k] = k0 * (dout[k] - mdy - ((inp[k] - mean) * invstd) * mdyx);
    }
  });
}

void check_bn(const char* what, int N, int C, int HW) {
  if (N < 1 || C < 1 || HW < 1)
    throw std::invalid_argument(std::string(what) + ": N, C and HW must be positive (got N=" +
                                std::to_string(N) + " C=" + std::to_string(C) +
                                " HW=" + std::to_string(HW) + ")");
}

bool vec4_ok(int HW, std::initializer_list<const void*> ptrs) {
  if (HW % 4) return false;
  for (const void* p : ptrs)
    if (p && !aligned16(p)) return false;
  return true;
}

void launch_forward_train(float* out, float* save_mean, float* save_invstd, float* running_mean,
                          float* running_var, const float* inp, const float* gamma,
                          const float* beta, int N, int C, int HW, float momentum, float eps,
                          cudaStream_t stream) {
  if (vec4_ok(HW, {out, inp}))
    batchnorm_forward_train_kernel<true><<<C, kBnThreads, 0, stream>>>(
        out, save_mean, save_invstd, running_mean, running_var, inp, gamma, beta, N, C, HW,
        momentum, eps);
  else
    batchnorm_forward_train_kernel<false><<<C, kBnThreads, 0, stream>>>(
        out, save_mean, save_invstd, running_mean, running_var, inp, gamma, beta, N, C, HW,
        momentum, eps);
  CUDA_LAUNCH_CHECK();
}

void launch_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                         const float* running_mean, const float* running_var, int N, int C, int HW,
                         float eps, cudaStream_t stream) {
  const int64_t total = (int64_t)N * C * HW;
  batchnorm_forward_eval_kernel<<<grid_for(total, 256), 256, 0, stream>>>(
      out, inp, gamma, beta, running_mean, running_var, total, C, HW, eps);
  CUDA_LAUNCH_CHECK();
}

void launch_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                     const float* gamma, const float* save_mean, const float* save_invstd, int N,
                     int C, int HW, cudaStream_t stream) {
  if (vec4_ok(HW, {dinp, dout, inp}))
    batchnorm_backward_kernel<true><<<C, kBnThreads, 0, stream>>>(
        dinp, dgamma, dbeta, dout, inp, gamma, save_mean, save_invstd, N, C, HW);
  else
    batchnorm_backward_kernel<false><<<C, kBnThreads, 0, stream>>>(
        dinp, dgamma, dbeta, dout, inp, gamma, save_mean, save_invstd, N, C, HW);
  CUDA_LAUNCH_CHECK();
}

}  // namespace

void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd, float* running_mean,
                             float* running_var, const float* inp, const float* gamma,
                             const float* beta, int N, int C, int HW, float momentum, float eps,
                             cudaStream_t stream) {
  check_bn("batchnorm_forward_train", N, C, HW);
  if (!out || !inp) throw std::invalid_argument("batchnorm_forward_train: null out or inp");
  launch_forward_train(out, save_mean, save_invstd, running_mean, running_var, inp, gamma, beta, N,
                       C, HW, momentum, eps, stream);
}

void batchnorm_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                            const float* running_mean, const float* running_var, int N, int C,
                            int HW, float eps, cudaStream_t stream) {
  check_bn("batchnorm_forward_eval", N, C, HW);
  if (!out || !inp || !running_mean || !running_var)
    throw std::invalid_argument("batchnorm_forward_eval: null out, inp or running statistics");
  launch_forward_eval(out, inp, gamma, beta, running_mean, running_var, N, C, HW, eps, stream);
}

void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout,
                        const float* inp, const float* gamma, const float* save_mean,
                        const float* save_invstd, int N, int C, int HW, cudaStream_t stream) {
  check_bn("batchnorm_backward", N, C, HW);
  if (!dout || !inp || !save_mean || !save_invstd)
    throw std::invalid_argument("batchnorm_backward: null dout, inp or saved statistics");
  launch_backward(dinp, dgamma, dbeta, dout, inp, gamma, save_mean, save_invstd, N, C, HW, stream);
}

}  // namespace gan::cuda
