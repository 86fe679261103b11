// The index arithmetic of two kernels, as plain __host__ __device__ functions, so the CPU tests
// (tests/gpu/test_gpu_host_logic.cpp) check it without a GPU:
//  - dropout: each thread owns one Philox block (4 counters) and writes the elements of [c, c+n)
//    that fall in it, whatever c mod 4 is;
//  - Adam's multi-tensor table: tensors cut into fixed chunks, a block finds its tensor by binary
//    search over each tensor's first chunk.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../src/ops.h"
#include "../src/philox.h"

namespace gan::cuda {

// Philox block `first + t` of the stream starting at counter c: writes mask/out for the (up to
// four) elements i = 4·block + j − c inside [0, n). Same bits as philox_uniform(seed, c + i).
GAN_HD void dropout_philox_block(uint64_t t, uint64_t c, int64_t n, uint64_t seed, float p,
                                 float keep_scale, const float* inp, float* out, float* mask) {
  const uint64_t block = (c >> 2) + t;
  const Philox4 r = philox4x32_10((uint32_t)block, (uint32_t)(block >> 32), 0x6761u, 0,
                                  (uint32_t)seed, (uint32_t)(seed >> 32));
  for (int j = 0; j < 4; ++j) {
    const int64_t i = (int64_t)(block * 4 + (uint64_t)j - c);  // negative before the start
    if (i < 0 || i >= n) continue;
    const float u = (float)(r.v[j] >> 8) * (1.0f / 16777216.0f);
    const float m = u >= p ? keep_scale : 0.0f;
    mask[i] = m;
    out[i] = inp[i] * m;
  }
}

// Philox blocks that cover [c, c + n) for any c: at most n/4 + 2.
inline int64_t dropout_philox_blocks(int64_t n) { return n / 4 + 2; }

constexpr int kAdamChunk = 2048;  // elements per block of the Adam kernel

struct AdamDesc {
  float* p;
  const float* g;
  float* m;
  float* v;
  int64_t n;
  int64_t chunk0;  // index of this tensor's first chunk in the grid
};

// AdamPlan uploads the table byte for byte, and g++ (host) and nvcc (device) must agree on it.
static_assert(std::is_trivially_copyable<AdamDesc>::value && std::is_standard_layout<AdamDesc>::value &&
                  sizeof(AdamDesc) == 4 * sizeof(void*) + 2 * sizeof(int64_t) && alignof(AdamDesc) == 8,
              "AdamDesc is copied to the device as raw bytes");

// The descriptor table and the total chunk count (the grid size).
inline std::vector<AdamDesc> adam_table(const std::vector<AdamParam>& params, int64_t* chunks) {
  std::vector<AdamDesc> t;
  int64_t c = 0;
  for (const AdamParam& a : params) {
    t.push_back({a.param, a.grad, a.m, a.v, a.n, c});
    c += (a.n + kAdamChunk - 1) / kAdamChunk;
  }
  *chunks = c;
  return t;
}

// The tensor that owns `chunk`: the last one whose first chunk is <= chunk.
GAN_HD int adam_owner(const AdamDesc* table, int tensors, int64_t chunk) {
  int lo = 0, hi = tensors - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (table[mid].chunk0 <= chunk) lo = mid; else hi = mid - 1;
  }
  return lo;
}

}  // namespace gan::cuda
