// Activations (kernels/activation.cu's twin): memory-bound loops split over outputs; each output
// element depends on one input element, so thread count never changes a result.
#include <cmath>

#include "ops.h"
#include "parallel.h"

namespace gan::ref {
namespace {

inline float sigmoid(float x) {
  // exp of a non-positive argument only, so neither branch overflows.
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

}  // namespace

void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha) {
  switch (act) {
    case Act::LeakyRelu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) out[i] = inp[i] > 0.0f ? inp[i] : alpha * inp[i];
      break;
    case Act::Relu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
      break;
    case Act::Tanh:
#pragma omp parallel for schedule(static) if (n > kParallelCompute)
      for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(inp[i]);
      break;
    case Act::Sigmoid:
#pragma omp parallel for schedule(static) if (n > kParallelCompute)
      for (int64_t i = 0; i < n; ++i) out[i] = sigmoid(inp[i]);
      break;
  }
}

// LeakyRelu and Relu differentiate through inp (so the kink is at inp = 0, as in PyTorch);
// Tanh and Sigmoid through out, which they already computed.
void activation_backward(Act act, float* dinp, const float* dout, const float* inp, const float* out,
                         int64_t n, float alpha) {
  if (!dinp) return;
  switch (act) {
    case Act::LeakyRelu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = inp[i] > 0.0f ? dout[i] : alpha * dout[i];
      break;
    case Act::Relu:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
      break;
    case Act::Tanh:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
      break;
    case Act::Sigmoid:
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
      for (int64_t i = 0; i < n; ++i) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
      break;
  }
}

}  // namespace gan::ref
