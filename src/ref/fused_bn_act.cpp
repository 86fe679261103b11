// Bias + BatchNorm + LeakyReLU + dropout in one pass (src/ops.h: bn_act_dropout_*), the reference.
//
// It is the unfused sequence (channel bias add, batchnorm_forward_train / _eval, LeakyReLU,
// dropout_forward; and backward in reverse) computed element by element with the same
// expressions in the same order: the batch statistics by batchnorm.cpp's lane sums, y = (x − m)·
// invstd·γ + β, a = y > 0 ? y : α·y, out = a·mask with mask from philox_uniform(seed, offset + i).
// So it is bit-identical to the unfused sequence on the CPU (tests/core/test_fused.cpp), which is
// why the models use it on every backend. What it saves is memory traffic: the unfused sequence
// writes and re-reads the BatchNorm output and the activation (two tensors per layer kept for
// backward); the fused one keeps only its input, the mask and its output, and backward recomputes
// y from the input and the saved statistics.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../philox.h"
#include "lane_sum.h"
#include "ops.h"
#include "parallel.h"

namespace gan::ref {
namespace {
inline float leaky(float y, float alpha) { return y > 0.0f ? y : alpha * y; }

// The dropout multiplier of element i (1 when p ≤ 0): exactly dropout_forward's.
inline float keep_mask(float p, float keep_scale, uint64_t seed, uint64_t offset, int64_t i) {
  if (p <= 0.0f) return 1.0f;
  return philox_uniform(seed, offset + (uint64_t)i) >= p ? keep_scale : 0.0f;
}

}  // namespace

void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd, float* running_mean,
                                  float* running_var, const float* inp, const float* bias, const float* gamma,
                                  const float* beta, int N, int C, int HW, float momentum, float eps, float alpha,
                                  float p, uint64_t seed, uint64_t offset) {
  const int64_t count = (int64_t)N * HW;
  if (count <= 0) return;
  const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
#pragma omp parallel for schedule(static) if (count * C > kParallelCompute)
  for (int c = 0; c < C; ++c) {
    const float bc = bias ? bias[c] : 0.0f;
    // x' = x + bias, as conv's bias add stores it (one rounding), then batchnorm.cpp's two passes.
    auto xb = [&](const float* x, int i) { return bias ? x[i] + bc : x[i]; };
    double sum = 0.0;
    for (int n = 0; n < N; ++n) {
      const float* x = inp + ((int64_t)n * C + c) * HW;
      sum += lane_sum(HW, [&](int i) { return xb(x, i); });
    }
    const float m = (float)(sum / (double)count);
    double sq = 0.0;
    for (int n = 0; n < N; ++n) {
      const float* x = inp + ((int64_t)n * C + c) * HW;
      sq += lane_sum(HW, [&](int i) { return (xb(x, i) - m) * (xb(x, i) - m); });
    }
    const double var = sq / (double)count;
    const float invstd = (float)(1.0 / std::sqrt(var + (double)eps));
    const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
    for (int n = 0; n < N; ++n) {
      const int64_t base = ((int64_t)n * C + c) * HW;
      const float* x = inp + base;
      for (int i = 0; i < HW; ++i) {
        const float y = (xb(x, i) - m) * invstd * g + b;
        const float k = keep_mask(p, keep_scale, seed, offset, base + i);
        if (mask) mask[base + i] = k;
        out[base + i] = p <= 0.0f ? leaky(y, alpha) : leaky(y, alpha) * k;
      }
    }
    if (save_mean) save_mean[c] = m;
    if (save_invstd) save_invstd[c] = invstd;
    const double unbiased = count > 1 ? sq / (double)(count - 1) : var;
    if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m;
    if (running_var) running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (float)unbiased;
  }
}

void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma, const float* beta,
                         const float* running_mean, const float* running_var, int N, int C, int HW, float eps,
                         float alpha) {
#pragma omp parallel for collapse(2) schedule(static) if ((int64_t)N * C * HW > kParallelMemory)
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      const EvalAffine a(c, gamma, beta, running_mean, running_var, eps);
      const float bc = bias ? bias[c] : 0.0f;
      const float* x = inp + ((int64_t)n * C + c) * HW;
      float* y = out + ((int64_t)n * C + c) * HW;
      for (int i = 0; i < HW; ++i) y[i] = leaky((bias ? x[i] + bc : x[i]) * a.scale + a.shift, alpha);
    }
  }
}

void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout,
                             const float* mask, const float* inp, const float* bias, const float* gamma,
                             const float* beta, const float* save_mean, const float* save_invstd, int N, int C,
                             int HW, float alpha) {
  const int64_t count = (int64_t)N * HW;
  if (count <= 0) return;
#pragma omp parallel for schedule(static) if (count * C > kParallelCompute)
  for (int c = 0; c < C; ++c) {
    const float m = save_mean[c], invstd = save_invstd[c];
    const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f, bc = bias ? bias[c] : 0.0f;
    // dy (the gradient at the BatchNorm output) of one plane, as dropout_backward and
    // activation_backward would have stored it.
    std::vector<float> dy((size_t)HW), xs((size_t)HW);
    auto plane = [&](int n) {
      const int64_t base = ((int64_t)n * C + c) * HW;
      for (int i = 0; i < HW; ++i) {
        const float x = bias ? inp[base + i] + bc : inp[base + i];
        const float y = (x - m) * invstd * g + b;
        const float d = mask ? dout[base + i] * mask[base + i] : dout[base + i];
        dy[(size_t)i] = y > 0.0f ? d : alpha * d;
        xs[(size_t)i] = x;
      }
    };
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int n = 0; n < N; ++n) {
      plane(n);
      const float* d = dy.data();
      const float* x = xs.data();
      sum_dy += lane_sum(HW, [d](int i) { return d[i]; });
      sum_dy_xhat += lane_sum(HW, [=](int i) { return d[i] * ((x[i] - m) * invstd); });
    }
    if (dbeta) dbeta[c] += (float)sum_dy;
    if (dgamma) dgamma[c] += (float)sum_dy_xhat;
    if (!dinp && !dbias) continue;
    const float mean_dy = (float)(sum_dy / (double)count);
    const float mean_dy_xhat = (float)(sum_dy_xhat / (double)count);
    const float k = g * invstd;
    double sum_dx = 0.0;
    for (int n = 0; n < N; ++n) {
      plane(n);
      const int64_t base = ((int64_t)n * C + c) * HW;
      for (int i = 0; i < HW; ++i) {
        const float xhat = (xs[(size_t)i] - m) * invstd;
        const float dx = k * (dy[(size_t)i] - mean_dy - xhat * mean_dy_xhat);
        if (dinp) dinp[base + i] = dx;
      }
      // The bias gradient is the per-channel sum of dx, as channel_bias_grad sums it.
      if (dbias) {
        if (dinp) {
          for (int i = 0; i < HW; ++i) sum_dx += dinp[base + i];
        } else {
          for (int i = 0; i < HW; ++i) {
            const float xhat = (xs[(size_t)i] - m) * invstd;
            sum_dx += k * (dy[(size_t)i] - mean_dy - xhat * mean_dy_xhat);
          }
        }
      }
    }
    if (dbias) dbias[c] += (float)sum_dx;
  }
}

}  // namespace gan::ref
