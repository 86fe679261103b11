// Σ f(i) for i < n in kLanes fixed interleaved float lanes, the tail and the lanes combined in
// double: GCC vectorises it without -ffast-math because the order is spelled out, and the order
// is the same on every machine. BatchNorm's statistics (batchnorm.cpp) and the fused block
// (fused_bn_act.cpp) sum with it, so the two are bit-identical.
#pragma once

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

}  // namespace gan::ref
