// What BatchNorm (batchnorm.cpp) and the fused block (fused_bn_act.cpp) compute alike, so the two
// are bit-identical.
//
// Σ f(i) for i < n in kLanes fixed interleaved float lanes, the tail and the lanes combined in
// double: GCC vectorises it without -ffast-math because the order is spelled out, and the order
// is the same on every machine. BatchNorm's statistics (batchnorm.cpp) and the fused block
// (fused_bn_act.cpp) sum with it, so the two are bit-identical.
#pragma once
#include <cmath>

namespace gan::ref {

constexpr int kLanes = 16;

template <class F>
inline double lane_sum(int n, F f) {
  float acc[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += f(i + l);
  double s = 0.0;
  for (; i < n; ++i) s += f(i);
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

// Eval-mode BatchNorm of channel c as y = x·scale + shift (from the running statistics).
struct EvalAffine {
  float scale, shift;
  EvalAffine(int c, const float* gamma, const float* beta, const float* running_mean, const float* running_var,
             float eps) {
    const float invstd = 1.0f / std::sqrt(running_var[c] + eps);
    scale = (gamma ? gamma[c] : 1.0f) * invstd;
    shift = (beta ? beta[c] : 0.0f) - running_mean[c] * scale;
  }
};

}  // namespace gan::ref
