// bf16 for the matrix work (--precision bf16; src/precision.h says where it rounds): conversions
// between the fp32 tensors every op keeps and the bf16 copies cuBLAS and cuDNN read and write, and
// the scratch those copies live in.
//
// The conversions are __float2bfloat16_rn (round to nearest even: src/precision.h's round_bf16,
// which the CPU reference applies at the same points) and the exact widening back. The scratch is
// one growing block per slot and device; it grows only outside a CUDA graph capture (the
// warm-up step of kernels/graph.h sees every shape first), and a replaced block is kept, not freed,
// since captured graphs hold its address.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void to_bf16_kernel(__nv_bfloat16* __restrict__ out, const float* __restrict__ in, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = __float2bfloat16_rn(in[i]);
}

__global__ void from_bf16_kernel(float* __restrict__ out, const __nv_bfloat16* __restrict__ in, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = __bfloat162float(in[i]);
}

__global__ void add_bf16_kernel(float* __restrict__ out, const __nv_bfloat16* __restrict__ in, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] += __bfloat162float(in[i]);
}

__global__ void round_bf16_kernel(float* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    x[i] = __bfloat162float(__float2bfloat16_rn(x[i]));
}

struct Slot {
  void* p = nullptr;
  size_t bytes = 0;
};
struct Pool {
  Slot slots[kBf16ScratchSlots];
  std::vector<void*> retired;
};
std::mutex g_pool_mu;

}  // namespace

void to_bf16(void* out, const float* in, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  to_bf16_kernel<<<grid_for(n, kThreads, 8192), kThreads, 0, stream>>>((__nv_bfloat16*)out, in, n);
  CUDA_LAUNCH_CHECK();
}

void from_bf16(float* out, const void* in, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  from_bf16_kernel<<<grid_for(n, kThreads, 8192), kThreads, 0, stream>>>(out, (const __nv_bfloat16*)in, n);
  CUDA_LAUNCH_CHECK();
}

void add_bf16(float* out, const void* in, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  add_bf16_kernel<<<grid_for(n, kThreads, 8192), kThreads, 0, stream>>>(out, (const __nv_bfloat16*)in, n);
  CUDA_LAUNCH_CHECK();
}

void round_bf16_inplace(float* x, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  round_bf16_kernel<<<grid_for(n, kThreads, 8192), kThreads, 0, stream>>>(x, n);
  CUDA_LAUNCH_CHECK();
}

void* bf16_scratch(int slot, int64_t elems, cudaStream_t stream) {
  if (slot < 0 || slot >= kBf16ScratchSlots) throw std::logic_error("bf16_scratch: no slot " + std::to_string(slot));
  const size_t bytes = (size_t)(elems > 0 ? elems : 1) * 2;
  std::lock_guard<std::mutex> lock(g_pool_mu);
  static std::map<int, Pool*> per_device;  // for the life of the process, as the cuBLAS handles
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  Pool*& pool = per_device[dev];
  if (!pool) pool = new Pool;
  Slot& s = pool->slots[slot];
  if (bytes <= s.bytes) return s.p;
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream, &st));
  if (st != cudaStreamCaptureStatusNone)
    throw std::runtime_error("bf16 scratch would have to grow to " + std::to_string(bytes) +
                             " bytes inside a CUDA graph capture; run the step once before capturing it");
  if (s.p) pool->retired.push_back(s.p);
  s.p = nullptr;
  s.bytes = 0;
  CUDA_CHECK(cudaMalloc(&s.p, bytes));
  s.bytes = bytes;
  return s.p;
}

}  // namespace gan::cuda
