// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator, so the i-th random number is a pure function of (key, i). The CPU
// reference and the CUDA kernels include this same header, which is why a seed gives the same
// dropout masks and noise on both backends and on every run.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define GAN_HD __host__ __device__ __forceinline__
#else
#define GAN_HD inline
#endif

namespace gan {

struct Philox4 {
  uint32_t v[4];
};

GAN_HD uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = (uint64_t)a * (uint64_t)b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

// counter = (c0,c1,c2,c3), key = (k0,k1); ten rounds.
GAN_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                             uint32_t k1) {
  const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = philox_mulhilo(M0, c0, &hi0);
    uint32_t lo1 = philox_mulhilo(M1, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += W0; k1 += W1;
  }
  Philox4 out = {{c0, c1, c2, c3}};
  return out;
}

// Uniform in [0,1) with 24 random bits: exactly representable, identical on host and device.
GAN_HD float philox_uniform(uint64_t seed, uint64_t index) {
  uint64_t block = index >> 2;
  Philox4 r = philox4x32_10((uint32_t)block, (uint32_t)(block >> 32), 0x6761u /* stream "ga" */, 0,
                            (uint32_t)seed, (uint32_t)(seed >> 32));
  return (float)(r.v[index & 3] >> 8) * (1.0f / 16777216.0f);
}

}  // namespace gan
