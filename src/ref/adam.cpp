// Adam exactly as torch.optim.Adam (non-amsgrad, non-fused) computes it, step counted from 1:
//   g ← g + wd·p                        (only when weight_decay ≠ 0, L2 as torch does, not AdamW)
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
// which is p − lr·m̂/(√v̂ + ε). The bias corrections are computed in double, as torch does with
// Python floats, then the per-element arithmetic runs in float. Elements are independent.
#include <cmath>
#include <stdexcept>
#include <string>

#include "ops.h"
#include "parallel.h"

namespace gan::ref {

void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t step) {
  if (step < 1)
    throw std::invalid_argument("adam_update: step is " + std::to_string(step) +
                                "; steps are counted from 1 (the first update is step 1)");
  const double bc1 = 1.0 - std::pow((double)h.beta1, (double)step);
  const double bc2 = 1.0 - std::pow((double)h.beta2, (double)step);
  const float step_size = (float)((double)h.lr / bc1);
  const float bc2_sqrt = (float)std::sqrt(bc2);
  const float b1 = h.beta1, b2 = h.beta2, eps = h.eps, wd = h.weight_decay;
  for (const AdamParam& t : params) {
    float* p = t.param;
    const float* gr = t.grad;
    float* m = t.m;
    float* v = t.v;
#pragma omp parallel for schedule(static) if (t.n > kParallelCompute)
    for (int64_t i = 0; i < t.n; ++i) {
      const float g = wd != 0.0f ? gr[i] + wd * p[i] : gr[i];
      m[i] = b1 * m[i] + (1.0f - b1) * g;
      v[i] = b2 * v[i] + (1.0f - b2) * g * g;
      const float denom = std::sqrt(v[i]) / bc2_sqrt + eps;
      p[i] -= step_size * (m[i] / denom);
    }
  }
}

}  // namespace gan::ref
