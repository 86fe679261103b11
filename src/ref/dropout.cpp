// Dropout (kernels/dropout.cu's twin). It draws u_i = philox_uniform(seed, offset + i), the same
// function the CUDA kernel calls, and keeps element i when u_i ≥ p: keep probability 1 − p, and a
// pure function of (seed, offset, i), so thread count never changes a result.
#include <algorithm>

#include "ops.h"
#include "parallel.h"
#include "philox_block.h"

namespace gan::ref {

void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed,
                     uint64_t offset) {
  if (p <= 0.0f) {  // identity; no draws, so p = 0 costs nothing and the mask is exactly 1
    for (int64_t i = 0; i < n; ++i) {
      mask[i] = 1.0f;
      out[i] = inp[i];
    }
    return;
  }
  const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  // Element i uses counter c = offset + i. Groups of kPhiloxBatch·4 consecutive counters, aligned
  // to a group boundary, share one bulk Philox call; each group is one thread's.
  constexpr uint64_t G = kPhiloxBatch * 4;
  const uint64_t first = offset / G, last = (offset + (uint64_t)n - 1) / G;
  const int64_t groups = n > 0 ? (int64_t)(last - first + 1) : 0;
#pragma omp parallel for schedule(static) if (n > kParallelCompute)
  for (int64_t g = 0; g < groups; ++g) {
    float u[G];
    const uint64_t c_begin = (first + (uint64_t)g) * G;
    philox_uniform_blocks(seed, c_begin / 4, u);
    // Counters of this group that belong to [offset, offset + n).
    const uint64_t lo = c_begin < offset ? offset - c_begin : 0;
    const uint64_t hi = std::min<uint64_t>(G, offset + (uint64_t)n - c_begin);
    for (uint64_t j = lo; j < hi; ++j) {
      const int64_t i = (int64_t)(c_begin + j - offset);
      const float m = u[j] >= p ? keep_scale : 0.0f;
      mask[i] = m;
      out[i] = inp[i] * m;
    }
  }
}

void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n) {
  if (!dinp) return;
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
  for (int64_t i = 0; i < n; ++i) dinp[i] = dout[i] * mask[i];
}

}  // namespace gan::ref
