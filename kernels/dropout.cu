// Inverted dropout with Philox masks: mask[i] = philox_uniform(seed, c + i) >= p ? 1/(1−p) : 0,
// c = step·2^40 + offset read from the device step counter (src/ops.h).
//
// One Philox4x32-10 call yields four uniforms, so each thread owns one Philox block (four
// consecutive counters) and writes the up-to-four elements that fall in it: a quarter of the
// generator work of one call per element, and the same bits as the CPU reference's per-element
// philox_uniform. The first element's position inside its block depends on c, which is only known
// on the device, so the grid covers n/4 + 2 blocks and each thread skips what lies outside [0, n).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "../src/philox.h"
#include "common.cuh"
#include "device_logic.h"
#include "ops.h"

namespace gan::cuda {
namespace {

__global__ void dropout_forward_kernel(float* __restrict__ out, float* __restrict__ mask,
                                       const float* __restrict__ inp, int64_t n, float p,
                                       float keep_scale, uint64_t seed, uint64_t offset,
                                       const uint64_t* __restrict__ d_step, int64_t nblocks) {
  const uint64_t c = step_counter(d_step, offset);
  for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < nblocks;
       t += (int64_t)gridDim.x * blockDim.x)
    dropout_philox_block((uint64_t)t, c, n, seed, p, keep_scale, inp, out, mask);
}

__global__ void dropout_backward_kernel(float* __restrict__ dinp, const float* __restrict__ dout,
                                        const float* __restrict__ mask, int64_t n, bool vec) {
  grid_stride_vec4(
      n, vec,
      [&](int64_t i) {
        const float4 d = reinterpret_cast<const float4*>(dout)[i];
        const float4 m = reinterpret_cast<const float4*>(mask)[i];
        reinterpret_cast<float4*>(dinp)[i] = make_float4(d.x * m.x, d.y * m.y, d.z * m.z, d.w * m.w);
      },
      [&](int64_t i) { dinp[i] = dout[i] * mask[i]; });
}

}  // namespace

void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed,
                     uint64_t offset, const uint64_t* d_step, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("dropout_forward: negative size");
  if (!(p >= 0.0f && p <= 1.0f))
    throw std::invalid_argument("dropout_forward: rate must be in [0, 1], got " + std::to_string(p));
  if (n == 0) return;
  const int64_t nblocks = dropout_philox_blocks(n);
  dropout_forward_kernel<<<grid_for(nblocks, 256, 8192), 256, 0, stream>>>(
      out, mask, inp, n, p, p < 1.0f ? 1.0f / (1.0f - p) : 0.0f, seed, offset, d_step, nblocks);
  CUDA_LAUNCH_CHECK();
}

void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n,
                      cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("dropout_backward: negative size");
  if (n == 0 || !dinp) return;
  const bool vec = aligned16(dinp) && aligned16(dout) && aligned16(mask);
  dropout_backward_kernel<<<grid_for(vec ? (n + 3) / 4 : n, 256, 8192), 256, 0, stream>>>(
      dinp, dout, mask, n, vec);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
