// The arithmetic precision of the matrix work (--precision fp32|tf32|bf16) and the rounding
// functions that define it, shared by the CPU reference (which applies them where the GPU rounds,
// so that `--device cpu --precision bf16` reproduces the GPU's numerics up to summation order) and
// by the tests. Plain C++: no CUDA header.
//
// Where each precision rounds (the same points on both backends; src/ref/precision.cpp on the CPU,
// kernels/linear.cpp, kernels/conv.cpp and kernels/bf16.cu on CUDA):
//   fp32  nothing: IEEE single precision throughout.
//   tf32  the matrix inputs of linear and conv (activations, weights, incoming gradients) go to a
//         10-bit mantissa (round_tf32); products are summed in fp32; outputs stay fp32.
//   bf16  the matrix inputs go to bfloat16 (round_bf16; 8-bit mantissa); products are summed in
//         fp32; every output of a matrix op that the GPU stores as bf16 is rounded again: conv's
//         forward output and input gradient, and conv's weight-gradient increment (before it is
//         added to the fp32 gradient); linear's output and input gradient are rounded too (the
//         GPU rounds them after cuBLAS writes fp32), linear's weight gradient accumulates in fp32.
//         Biases are added in fp32 after the rounding (conv) or inside the fp32 sum (linear).
//         Master weights, Adam's moments, BatchNorm statistics and the losses stay fp32.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace gan {

enum class Precision { Fp32, Tf32, Bf16 };

inline const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Fp32: return "fp32";
    case Precision::Tf32: return "tf32";
    case Precision::Bf16: return "bf16";
  }
  return "?";
}

// "fp32" | "tf32" | "bf16" → true and *out; anything else → false.
inline bool parse_precision(const std::string& s, Precision* out) {
  for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16})
    if (s == precision_name(p)) {
      *out = p;
      return true;
    }
  return false;
}

// Round-to-nearest-even to `keep` mantissa bits (of float's 23), as a float. NaN stays NaN (the
// quiet bit is set so that dropping low bits cannot turn it into infinity), ±inf stays ±inf, and a
// finite value past the largest representable one rounds to ±inf, as the hardware conversions do.
template <int Keep>
inline float round_mantissa(float x) {
  static_assert(Keep > 0 && Keep < 23, "keep between 1 and 22 mantissa bits");
  constexpr int drop = 23 - Keep;
  constexpr uint32_t mask = ~((1u << drop) - 1u);
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) {
    if (u & 0x007fffffu) u |= 0x00400000u;  // NaN: quiet, and stays NaN
    u &= mask;
  } else {
    u += ((1u << (drop - 1)) - 1u) + ((u >> drop) & 1u);  // ties to even
    u &= mask;
  }
  float r;
  std::memcpy(&r, &u, sizeof r);
  return r;
}

// bfloat16 (8 exponent bits, 7 stored mantissa bits): as __float2bfloat16_rn.
inline float round_bf16(float x) { return round_mantissa<7>(x); }
// TF32 (8 exponent bits, 10 stored mantissa bits): what tensor cores see of an fp32 input.
inline float round_tf32(float x) { return round_mantissa<10>(x); }

inline float round_to(Precision p, float x) {
  switch (p) {
    case Precision::Fp32: return x;
    case Precision::Tf32: return round_tf32(x);
    case Precision::Bf16: return round_bf16(x);
  }
  return x;
}

}  // namespace gan
