// Bias broadcast and bias gradients for linear (rows of C) and conv (channels of NCHW).
//
// Linear's bias is written into `out` before the GEMM, which then accumulates (beta = 1): one
// pass fewer than adding it afterwards. The gradients are per-column / per-channel sums in a fixed
// order (a thread per column when there are enough columns to coalesce, else a block per column
// with the deterministic block reduction), accumulated (+=) like every parameter gradient.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

__global__ void bias_rows_set_kernel(float* __restrict__ out, const float* __restrict__ bias,
                                     int64_t total, int C) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x)
    out[k] = bias[k % C];
}

// One thread per column, walking the rows: neighbouring threads read neighbouring floats.
__global__ void bias_rows_grad_thread_kernel(float* __restrict__ dbias, const float* __restrict__ dout,
                                             int B, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float s = 0.0f;
  for (int b = 0; b < B; ++b) s += dout[(int64_t)b * C + c];
  dbias[c] += s;
}

// One block per column, for the few-column case (C = 1 for the real/fake head).
__global__ void bias_rows_grad_block_kernel(float* __restrict__ dbias, const float* __restrict__ dout,
                                            int B, int C) {
  __shared__ float scratch[32];
  const int c = blockIdx.x;
  float s = 0.0f;
  for (int b = threadIdx.x; b < B; b += blockDim.x) s += dout[(int64_t)b * C + c];
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) dbias[c] += s;
}

__global__ void channel_bias_add_kernel(float* __restrict__ out, const float* __restrict__ bias,
                                        int64_t total, int C, int HW) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x)
    out[k] += bias[(k / HW) % C];
}

__global__ void channel_bias_grad_kernel(float* __restrict__ dbias, const float* __restrict__ dout,
                                         int N, int C, int HW) {
  __shared__ float scratch[32];
  const int c = blockIdx.x;
  const int64_t total = (int64_t)N * HW;
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < total; j += blockDim.x) {
    const int n = (int)(j / HW), i = (int)(j - (int64_t)n * HW);
    s += dout[((int64_t)n * C + c) * HW + i];
  }
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) dbias[c] += s;
}

}  // namespace

void bias_rows_set(float* out, const float* bias, int B, int C, cudaStream_t stream) {
  if (B < 0 || C <= 0) throw std::invalid_argument("bias_rows_set: bad shape");
  const int64_t total = (int64_t)B * C;
  if (total == 0) return;
  bias_rows_set_kernel<<<grid_for(total, 256, 8192), 256, 0, stream>>>(out, bias, total, C);
  CUDA_LAUNCH_CHECK();
}

void bias_rows_grad(float* dbias, const float* dout, int B, int C, cudaStream_t stream) {
  if (B < 0 || C <= 0) throw std::invalid_argument("bias_rows_grad: bad shape");
  if (B == 0) return;
  if (C >= 256)
    bias_rows_grad_thread_kernel<<<(C + 127) / 128, 128, 0, stream>>>(dbias, dout, B, C);
  else
    bias_rows_grad_block_kernel<<<C, 256, 0, stream>>>(dbias, dout, B, C);
  CUDA_LAUNCH_CHECK();
}

void channel_bias_add(float* out, const float* bias, int N, int C, int HW, cudaStream_t stream) {
  if (N < 0 || C <= 0 || HW <= 0) throw std::invalid_argument("channel_bias_add: bad shape");
  const int64_t total = (int64_t)N * C * HW;
  if (total == 0) return;
  channel_bias_add_kernel<<<grid_for(total, 256, 8192), 256, 0, stream>>>(out, bias, total, C, HW);
  CUDA_LAUNCH_CHECK();
}

void channel_bias_grad(float* dbias, const float* dout, int N, int C, int HW, cudaStream_t stream) {
  if (N < 0 || C <= 0 || HW <= 0) throw std::invalid_argument("channel_bias_grad: bad shape");
  if (N == 0) return;
  channel_bias_grad_kernel<<<C, 512, 0, stream>>>(dbias, dout, N, C, HW);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
