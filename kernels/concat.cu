// Concatenation along channels of two NCHW tensors (the generator joins its 7×7 label map to the
// 128 noise maps) and the split of the gradient back. One thread per output element: a plain
// copy, bandwidth-bound, with one integer division to find the channel.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

// Element k of the concatenated [N, Ca+Cb, HW] tensor: true when it comes from a (else b), with
// its index there in *j.
__device__ __forceinline__ bool concat_source(int64_t k, int Ca, int Cb, int HW, int64_t* j) {
  const int64_t plane = k / HW;
  const int i = (int)(k - plane * HW);
  const int64_t n = plane / (Ca + Cb);
  const int c = (int)(plane - n * (Ca + Cb));
  *j = c < Ca ? (n * Ca + c) * HW + i : (n * Cb + (c - Ca)) * HW + i;
  return c < Ca;
}

__global__ void concat_forward_kernel(float* __restrict__ out, const float* __restrict__ a,
                                      const float* __restrict__ b, int64_t total, int Ca, int Cb,
                                      int HW) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x) {
    int64_t j;
    out[k] = concat_source(k, Ca, Cb, HW, &j) ? a[j] : b[j];
  }
}

__global__ void concat_backward_kernel(float* __restrict__ da, float* __restrict__ db,
                                       const float* __restrict__ dout, int64_t total, int Ca,
                                       int Cb, int HW) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x) {
    int64_t j;
    float* d = concat_source(k, Ca, Cb, HW, &j) ? da : db;
    if (d) d[j] = dout[k];
  }
}

void check_shape(const char* what, int N, int Ca, int Cb, int HW) {
  if (N < 0 || Ca < 0 || Cb < 0 || HW <= 0 || Ca + Cb <= 0)
    throw std::invalid_argument(std::string(what) + ": bad shape N=" + std::to_string(N) +
                                " Ca=" + std::to_string(Ca) + " Cb=" + std::to_string(Cb) +
                                " HW=" + std::to_string(HW));
}

}  // namespace

void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW,
                    cudaStream_t stream) {
  check_shape("concat_forward", N, Ca, Cb, HW);
  const int64_t total = (int64_t)N * (Ca + Cb) * HW;
  if (total == 0) return;
  concat_forward_kernel<<<grid_for(total, 256, 8192), 256, 0, stream>>>(out, a, b, total, Ca, Cb, HW);
  CUDA_LAUNCH_CHECK();
}

void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW,
                     cudaStream_t stream) {
  check_shape("concat_backward", N, Ca, Cb, HW);
  const int64_t total = (int64_t)N * (Ca + Cb) * HW;
  if (total == 0 || (!da && !db)) return;
  concat_backward_kernel<<<grid_for(total, 256, 8192), 256, 0, stream>>>(da, db, dout, total, Ca, Cb, HW);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
