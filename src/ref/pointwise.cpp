// Element-wise ops (activations, dropout), concat and embedding. All are memory-bound loops split
// over outputs; each output element depends on one input element (or, for embedding's backward,
// on a fixed sequence of batch rows), so thread count never changes a result.
//
// Dropout draws u_i = philox_uniform(seed, offset + i), the same function the CUDA kernel calls,
// and keeps element i when u_i ≥ p: keep probability 1 − p, and a pure function of (seed, offset, i).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "ops.h"
#include "parallel.h"
#include "philox_block.h"

namespace gan::ref {
namespace {

inline float sigmoid(float x) {
  // exp of a non-positive argument only, so neither branch overflows.
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

void check_label(int32_t label, int num, int b, const char* op) {
  if (label < 0 || label >= num)
    throw std::out_of_range(std::string(op) + ": label " + std::to_string(label) + " at batch row " +
                            std::to_string(b) + " is outside [0, " + std::to_string(num) +
                            "); check the dataset's labels against the model's class count");
}
}  // namespace

void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha) {
  switch (act) {
    case Act::LeakyRelu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) out[i] = inp[i] > 0.0f ? inp[i] : alpha * inp[i];
      break;
    case Act::Relu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
      break;
    case Act::Tanh:
#pragma omp parallel for schedule(static) if (n > kParallelCompute)
      for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(inp[i]);
      break;
    case Act::Sigmoid:
#pragma omp parallel for schedule(static) if (n > kParallelCompute)
      for (int64_t i = 0; i < n; ++i) out[i] = sigmoid(inp[i]);
      break;
  }
}

// LeakyRelu and Relu differentiate through inp (so the kink is at inp = 0, as in PyTorch);
// Tanh and Sigmoid through out, which they already computed.
void activation_backward(Act act, float* dinp, const float* dout, const float* inp, const float* out,
                         int64_t n, float alpha) {
  if (!dinp) return;
  switch (act) {
    case Act::LeakyRelu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = inp[i] > 0.0f ? dout[i] : alpha * dout[i];
      break;
    case Act::Relu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
      break;
    case Act::Tanh:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
      break;
    case Act::Sigmoid:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
      break;
  }
}

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

void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW) {
  const int64_t sa = (int64_t)Ca * HW, sb = (int64_t)Cb * HW;
#pragma omp parallel for schedule(static) if (N * (sa + sb) > kParallelMemory)
  for (int n = 0; n < N; ++n) {
    float* o = out + n * (sa + sb);
    std::memcpy(o, a + n * sa, (size_t)sa * sizeof(float));
    std::memcpy(o + sa, b + n * sb, (size_t)sb * sizeof(float));
  }
}

void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW) {
  const int64_t sa = (int64_t)Ca * HW, sb = (int64_t)Cb * HW;
#pragma omp parallel for schedule(static) if (N * (sa + sb) > kParallelMemory)
  for (int n = 0; n < N; ++n) {
    const float* d = dout + n * (sa + sb);
    if (da) std::memcpy(da + n * sa, d, (size_t)sa * sizeof(float));
    if (db) std::memcpy(db + n * sb, d + sa, (size_t)sb * sizeof(float));
  }
}

void embedding_forward(float* out, const int32_t* labels, const float* table, int B, int num,
                       int dim) {
  for (int b = 0; b < B; ++b) check_label(labels[b], num, b, "embedding_forward");
  for (int b = 0; b < B; ++b)
    std::memcpy(out + (int64_t)b * dim, table + (int64_t)labels[b] * dim, (size_t)dim * sizeof(float));
}

// Rows that share a label add up in batch order, so the sum is the same on every run.
void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num,
                        int dim) {
  if (!dtable) return;
  for (int b = 0; b < B; ++b) check_label(labels[b], num, b, "embedding_backward");
  for (int b = 0; b < B; ++b) {
    float* t = dtable + (int64_t)labels[b] * dim;
    const float* d = dout + (int64_t)b * dim;
    for (int j = 0; j < dim; ++j) t[j] += d[j];
  }
}

}  // namespace gan::ref
