// BatchNorm over (N, HW) per channel, PyTorch's semantics: training normalises with the biased
// batch variance and moves the running variance with the unbiased one (momentum m:
// running = (1 − m)·running + m·batch). Every reduction is per channel and one thread owns a
// channel. Each plane (one image, one channel) is summed in 16 interleaved float lanes, which GCC
// vectorises without -ffast-math because the order is spelled out, and planes are combined in
// double: deterministic, and accurate when N·HW is large (a 128×28×28 batch sums 100k values).
#include <cmath>

#include "lane_sum.h"
#include "ops.h"
#include "parallel.h"

namespace gan::ref {

void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd, float* running_mean,
                             float* running_var, const float* inp, const float* gamma,
                             const float* beta, int N, int C, int HW, float momentum, float eps) {
  const int64_t count = (int64_t)N * HW;
  if (count <= 0) return;  // no statistics to take (and none to move the running ones by)
#pragma omp parallel for schedule(static) if (count * C > kParallelCompute)
  for (int c = 0; c < C; ++c) {
    double sum = 0.0;
    for (int n = 0; n < N; ++n) {
      const float* x = inp + ((int64_t)n * C + c) * HW;
      sum += lane_sum(HW, [x](int i) { return x[i]; });
    }
    const float m = (float)(sum / (double)count);
    double sq = 0.0;  // two passes: Σ(x − mean)² does not cancel the way Σx² − n·mean² does
    for (int n = 0; n < N; ++n) {
      const float* x = inp + ((int64_t)n * C + c) * HW;
      sq += lane_sum(HW, [x, m](int i) { return (x[i] - m) * (x[i] - m); });
    }
    const double var = sq / (double)count;
    const float invstd = (float)(1.0 / std::sqrt(var + (double)eps));
    const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
    for (int n = 0; n < N; ++n) {
      const float* x = inp + ((int64_t)n * C + c) * HW;
      float* y = out + ((int64_t)n * C + c) * HW;
      for (int i = 0; i < HW; ++i) y[i] = (x[i] - m) * invstd * g + b;
    }
    if (save_mean) save_mean[c] = m;
    if (save_invstd) save_invstd[c] = invstd;
    // PyTorch uses the unbiased variance for the running estimate (and the biased one when a
    // channel holds a single value, where the unbiased one is undefined).
    const double unbiased = count > 1 ? sq / (double)(count - 1) : var;
    if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m;
    if (running_var)
      running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (float)unbiased;
  }
}

void batchnorm_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                            const float* running_mean, const float* running_var, int N, int C,
                            int HW, float eps) {
#pragma omp parallel for collapse(2) schedule(static) if ((int64_t)N * C * HW > kParallelMemory)
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      const EvalAffine a(c, gamma, beta, running_mean, running_var, eps);
      const float* x = inp + ((int64_t)n * C + c) * HW;
      float* y = out + ((int64_t)n * C + c) * HW;
      for (int i = 0; i < HW; ++i) y[i] = x[i] * a.scale + a.shift;
    }
  }
}

// With x̂ = (x − mean)·invstd and g = dout·γ:
//   dβ = Σ dout, dγ = Σ dout·x̂, dx = invstd·(g − mean(g) − x̂·mean(g·x̂)).
void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout,
                        const float* inp, const float* gamma, const float* save_mean,
                        const float* save_invstd, int N, int C, int HW) {
  const int64_t count = (int64_t)N * HW;
#pragma omp parallel for schedule(static) if (count * C > kParallelCompute)
  for (int c = 0; c < C; ++c) {
    const float m = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int n = 0; n < N; ++n) {
      const float* x = inp + ((int64_t)n * C + c) * HW;
      const float* dy = dout + ((int64_t)n * C + c) * HW;
      sum_dy += lane_sum(HW, [dy](int i) { return dy[i]; });
      sum_dy_xhat += lane_sum(HW, [=](int i) { return dy[i] * ((x[i] - m) * invstd); });
    }
    if (dbeta) dbeta[c] += (float)sum_dy;
    if (dgamma) dgamma[c] += (float)sum_dy_xhat;
    if (!dinp) continue;
    const float g = gamma ? gamma[c] : 1.0f;
    const float mean_dy = (float)(sum_dy / (double)count);
    const float mean_dy_xhat = (float)(sum_dy_xhat / (double)count);
    const float k = g * invstd;
    for (int n = 0; n < N; ++n) {
      const float* x = inp + ((int64_t)n * C + c) * HW;
      const float* dy = dout + ((int64_t)n * C + c) * HW;
      float* dx = dinp + ((int64_t)n * C + c) * HW;
      for (int i = 0; i < HW; ++i) {
        const float xhat = (x[i] - m) * invstd;
        dx[i] = k * (dy[i] - mean_dy - xhat * mean_dy_xhat);
      }
    }
  }
}

}  // namespace gan::ref
