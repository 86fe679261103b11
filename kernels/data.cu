// Data movement, random numbers and the step counter on the device.
//
// These are the pieces that keep a mini-batch off the host: batches are gathered from the
// device-resident dataset by index, noise and labels are drawn with Philox (src/philox.h, the same
// header the CPU reference uses, so both backends draw identical numbers), and the step counter
// that randomises them lives in device memory, so a captured graph replays with fresh randomness.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "../src/philox.h"
#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

__global__ void advance_step_kernel(uint64_t* step) { *step += 1; }

__global__ void store_row_kernel(float* __restrict__ slab, const float* __restrict__ values,
                                 int count, int capacity, const uint64_t* __restrict__ d_step) {
  float* row = slab + (int64_t)(*d_step % (uint64_t)capacity) * count;
  for (int j = threadIdx.x; j < count; j += blockDim.x) row[j] = values[j];
}

__global__ void fill_kernel(float* __restrict__ x, int64_t n, float value) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    x[i] = value;
}

// One block row per gathered row; threads stride the row.
__global__ void gather_rows_kernel(float* __restrict__ out, const float* __restrict__ src,
                                   const int32_t* __restrict__ idx, int n, int64_t row_size) {
  for (int r = blockIdx.y; r < n; r += gridDim.y) {
    const float* s = src + (int64_t)idx[r] * row_size;
    float* d = out + (int64_t)r * row_size;
    for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < row_size;
         j += (int64_t)gridDim.x * blockDim.x)
      d[j] = s[j];
  }
}

__global__ void gather_labels_kernel(int32_t* __restrict__ out, const int32_t* __restrict__ src,
                                     const int32_t* __restrict__ idx, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    out[i] = src[idx[i]];
}

// The formulas of src/ref/data.cpp, term by term (logf/cosf/sqrtf may differ from the host's by
// an ulp, which is why the tests compare randn within 1e-5 and not bit for bit).
__global__ void randn_kernel(float* __restrict__ out, int64_t n, float mean, float std,
                             uint64_t seed, uint64_t offset, const uint64_t* __restrict__ d_step) {
  const uint64_t c = step_counter(d_step, offset);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float u1 = philox_uniform(seed, c + 2 * (uint64_t)i) + (1.0f / 33554432.0f);
    const float u2 = philox_uniform(seed, c + 2 * (uint64_t)i + 1);
    const float r = sqrtf(-2.0f * logf(u1));
    out[i] = mean + std * r * cosf(6.2831853071795865f * u2);
  }
}

__global__ void randint_kernel(int32_t* __restrict__ out, int64_t n, int high, uint64_t seed,
                               uint64_t offset, const uint64_t* __restrict__ d_step) {
  const uint64_t c = step_counter(d_step, offset);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int v = (int)(philox_uniform(seed, c + (uint64_t)i) * (float)high);
    out[i] = v < high ? v : high - 1;
  }
}

// y += alpha·x, float4 over the aligned body; the first threads also take the < 4 tail.
__global__ void axpy_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t n,
                            float alpha, bool vec) {
  grid_stride_vec4(
      n, vec,
      [&](int64_t i) {
        const float4 a = reinterpret_cast<const float4*>(x)[i];
        float4 b = reinterpret_cast<float4*>(y)[i];
        b.x += alpha * a.x; b.y += alpha * a.y; b.z += alpha * a.z; b.w += alpha * a.w;
        reinterpret_cast<float4*>(y)[i] = b;
      },
      [&](int64_t i) { y[i] += alpha * x[i]; });
}

void check_n(const char* what, int64_t n) {
  if (n < 0) throw std::invalid_argument(std::string(what) + ": negative size " + std::to_string(n));
}

}  // namespace

void advance_step(uint64_t* d_step, cudaStream_t stream) {
  advance_step_kernel<<<1, 1, 0, stream>>>(d_step);
  CUDA_LAUNCH_CHECK();
}

void store_row(float* slab, const float* values, int count, int capacity, const uint64_t* d_step,
               cudaStream_t stream) {
  if (count <= 0 || capacity <= 0)
    throw std::invalid_argument("store_row: count and capacity must be positive (got " +
                                std::to_string(count) + ", " + std::to_string(capacity) + ")");
  store_row_kernel<<<1, 128, 0, stream>>>(slab, values, count, capacity, d_step);
  CUDA_LAUNCH_CHECK();
}

void fill(float* x, int64_t n, float value, cudaStream_t stream) {
  check_n("fill", n);
  if (n == 0) return;
  fill_kernel<<<grid_for(n, 256, 65535), 256, 0, stream>>>(x, n, value);
  CUDA_LAUNCH_CHECK();
}

void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row_size,
                 cudaStream_t stream) {
  if (n < 0 || row_size < 0)
    throw std::invalid_argument("gather_rows: negative row count or row size");
  if (n == 0 || row_size == 0) return;
  dim3 grid(grid_for(row_size, 256, 64), (unsigned)(n < 65535 ? n : 65535));
  gather_rows_kernel<<<grid, 256, 0, stream>>>(out, src, idx, n, row_size);
  CUDA_LAUNCH_CHECK();
}

void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n, cudaStream_t stream) {
  check_n("gather_labels", n);
  if (n == 0) return;
  gather_labels_kernel<<<grid_for(n, 256, 1024), 256, 0, stream>>>(out, src, idx, n);
  CUDA_LAUNCH_CHECK();
}

void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset,
           const uint64_t* d_step, cudaStream_t stream) {
  check_n("randn", n);
  if (n == 0) return;
  randn_kernel<<<grid_for(n, 256, 65535), 256, 0, stream>>>(out, n, mean, std, seed, offset, d_step);
  CUDA_LAUNCH_CHECK();
}

void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset,
             const uint64_t* d_step, cudaStream_t stream) {
  check_n("randint", n);
  if (high <= 0) throw std::invalid_argument("randint: high must be positive, got " + std::to_string(high));
  if (n == 0) return;
  randint_kernel<<<grid_for(n, 256, 65535), 256, 0, stream>>>(out, n, high, seed, offset, d_step);
  CUDA_LAUNCH_CHECK();
}

void axpy(float* y, const float* x, int64_t n, float alpha, cudaStream_t stream) {
  check_n("axpy", n);
  if (n == 0) return;
  const bool vec = aligned16(x) && aligned16(y);
  axpy_kernel<<<grid_for(vec ? (n + 3) / 4 : n, 256, 65535), 256, 0, stream>>>(y, x, n, alpha, vec);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
