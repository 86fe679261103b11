// The vector type the CPU kernels are written in: GCC/Clang vector extensions sized to the widest
// ISA the compiler targets (-march=native: AVX-512, else AVX2, else 128-bit SSE/NEON). The
// compiler emits the FMAs, broadcasts and unaligned loads itself, so one kernel source serves
// every machine and there are no intrinsics to keep in step.
#pragma once
#include <cstring>

namespace gan::ref::simd {

#if defined(__AVX512F__)
constexpr int VL = 16;
#elif defined(__AVX__)
constexpr int VL = 8;
#else
constexpr int VL = 4;
#endif

typedef float vf __attribute__((vector_size(VL * sizeof(float))));

// Unaligned load and store.
inline vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

// Σ of the lanes, lane 0 first: a fixed order, so the result does not depend on the schedule.
inline float hsum(vf v) {
  float s = 0.0f;
  for (int l = 0; l < VL; ++l) s += v[l];
  return s;
}

}  // namespace gan::ref::simd
