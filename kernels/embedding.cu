// Embedding lookup and its gradient.
//
// The backward pass is the one design choice: instead of scattering dout rows into dtable with
// float atomics (whose order, and so whose rounding, changes from run to run), one thread owns one
// (class, dim) entry of dtable and sums the batch rows whose label is that class, in batch order.
// That reads dout num times, which is cheap at the model's sizes (10 classes × 50 dims × B=128)
// and makes the result deterministic. dtable accumulates (+=) like every parameter gradient.
// Labels outside [0, num) contribute nothing (forward writes zeros for them); callers validate
// labels when they upload them.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

__global__ void embedding_forward_kernel(float* __restrict__ out, const int32_t* __restrict__ labels,
                                         const float* __restrict__ table, int B, int num, int dim) {
  const int64_t total = (int64_t)B * dim;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x) {
    const int b = (int)(k / dim), d = (int)(k - (int64_t)b * dim);
    const int label = labels[b];
    out[k] = (label >= 0 && label < num) ? table[(int64_t)label * dim + d] : 0.0f;
  }
}

__global__ void embedding_backward_kernel(float* __restrict__ dtable, const float* __restrict__ dout,
                                          const int32_t* __restrict__ labels, int B, int num,
                                          int dim) {
  const int64_t total = (int64_t)num * dim;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x) {
    const int cls = (int)(k / dim), d = (int)(k - (int64_t)cls * dim);
    float s = 0.0f;
    for (int b = 0; b < B; ++b)
      if (labels[b] == cls) s += dout[(int64_t)b * dim + d];
    dtable[k] += s;
  }
}

void check_shape(const char* what, int B, int num, int dim) {
  if (B < 0 || num <= 0 || dim <= 0)
    throw std::invalid_argument(std::string(what) + ": bad shape B=" + std::to_string(B) +
                                " num=" + std::to_string(num) + " dim=" + std::to_string(dim));
}

}  // namespace

void embedding_forward(float* out, const int32_t* labels, const float* table, int B, int num,
                       int dim, cudaStream_t stream) {
  check_shape("embedding_forward", B, num, dim);
  if (B == 0) return;
  const int64_t total = (int64_t)B * dim;
  embedding_forward_kernel<<<grid_for(total, 256, 4096), 256, 0, stream>>>(out, labels, table, B, num, dim);
  CUDA_LAUNCH_CHECK();
}

void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num,
                        int dim, cudaStream_t stream) {
  check_shape("embedding_backward", B, num, dim);
  if (B == 0 || !dtable) return;
  const int64_t total = (int64_t)num * dim;
  embedding_backward_kernel<<<grid_for(total, 128, 4096), 128, 0, stream>>>(dtable, dout, labels, B, num, dim);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
