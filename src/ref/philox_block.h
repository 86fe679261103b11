// Philox uniforms in bulk for the CPU: the same numbers as gan::philox_uniform (src/philox.h),
// computed 16 Philox blocks (64 uniforms) at a time with the ten rounds as the outer loop, so
// the compiler vectorises across blocks (32×32→64-bit multiplies are one instruction per 8 or 16
// lanes). Calling philox_uniform per element instead computes each 4-number block four times and
// is ~40 ms for one dropout mask of the AC-GAN discriminator at batch 64.
// The round function restates philox4x32_10; RefOps.DropoutMaskDeterminism checks every element
// of a mask against philox_uniform, so the two cannot drift apart unnoticed.
#pragma once
#include <cstdint>

#include "../philox.h"

namespace gan::ref {

constexpr int kPhiloxBatch = 16;  // blocks per call; 4 uniforms each

// u[4·j + l] = philox_uniform(seed, 4·(first_block + j) + l) for j < kPhiloxBatch, l < 4.
inline void philox_uniform_blocks(uint64_t seed, uint64_t first_block, float* u) {
  uint32_t c0[kPhiloxBatch], c1[kPhiloxBatch], c2[kPhiloxBatch], c3[kPhiloxBatch];
  for (int j = 0; j < kPhiloxBatch; ++j) {
    const uint64_t block = first_block + (uint64_t)j;
    c0[j] = (uint32_t)block;
    c1[j] = (uint32_t)(block >> 32);
    c2[j] = 0x6761u;  // the stream word philox_uniform uses
    c3[j] = 0;
  }
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    for (int j = 0; j < kPhiloxBatch; ++j) {
      const uint64_t p0 = (uint64_t)0xD2511F53u * c0[j], p1 = (uint64_t)0xCD9E8D57u * c2[j];
      const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[j] ^ k0, n1 = (uint32_t)p1;
      const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[j] ^ k1, n3 = (uint32_t)p0;
      c0[j] = n0;
      c1[j] = n1;
      c2[j] = n2;
      c3[j] = n3;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  const float scale = 1.0f / 16777216.0f;
  for (int j = 0; j < kPhiloxBatch; ++j) {
    u[4 * j + 0] = (float)(c0[j] >> 8) * scale;
    u[4 * j + 1] = (float)(c1[j] >> 8) * scale;
    u[4 * j + 2] = (float)(c2[j] >> 8) * scale;
    u[4 * j + 3] = (float)(c3[j] >> 8) * scale;
  }
}

}  // namespace gan::ref
