// Data movement and random numbers on the CPU. The random ops are pure functions of
// (seed, offset, i) through Philox, so the CUDA backend draws exactly the same numbers.
#include <cmath>

#include "../philox.h"
#include "ops.h"

namespace gan::ref {

void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row_size) {
#pragma omp parallel for schedule(static) if (n * row_size > 65536)
  for (int i = 0; i < n; ++i) {
    const float* s = src + (int64_t)idx[i] * row_size;
    float* d = out + (int64_t)i * row_size;
    for (int64_t j = 0; j < row_size; ++j) d[j] = s[j];
  }
}

void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n) {
  for (int i = 0; i < n; ++i) out[i] = src[idx[i]];
}

void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    // Box–Muller; u1 is moved off 0 so the log is finite.
    float u1 = philox_uniform(seed, offset + 2 * (uint64_t)i) + (1.0f / 33554432.0f);
    float u2 = philox_uniform(seed, offset + 2 * (uint64_t)i + 1);
    float r = std::sqrt(-2.0f * std::log(u1));
    out[i] = mean + std * r * std::cos(6.2831853071795865f * u2);
  }
}

void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) {
    int v = (int)(philox_uniform(seed, offset + (uint64_t)i) * (float)high);
    out[i] = v < high ? v : high - 1;
  }
}

void axpy(float* y, const float* x, int64_t n, float alpha) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace gan::ref

namespace gan::ref {

void store_row(float* slab, const float* values, int count, int capacity, uint64_t step) {
  float* row = slab + (int64_t)(step % (uint64_t)capacity) * count;
  for (int j = 0; j < count; ++j) row[j] = values[j];
}

}  // namespace gan::ref
