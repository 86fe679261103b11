// Linear (PyTorch layout: weight [C_out, C_in]) as three GEMMs. Parameter gradients accumulate
// (beta = 1), the input gradient is written (beta = 0). dbias sums over the batch per output
// column, one thread per column range, so it is deterministic.
#include "ops.h"
#include "parallel.h"

namespace gan::ref {

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int B,
                    int C_in, int C_out) {
  // out[B, C_out] = inp[B, C_in] · weight[C_out, C_in]ᵀ
  sgemm(false, true, B, C_out, C_in, 1.0f, inp, C_in, weight, C_in, 0.0f, out, C_out);
  if (!bias) return;
#pragma omp parallel for schedule(static) if ((int64_t)B * C_out > kParallelMemory)
  for (int b = 0; b < B; ++b)
    for (int o = 0; o < C_out; ++o) out[(int64_t)b * C_out + o] += bias[o];
}

void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int B, int C_in, int C_out) {
  // dinp[B, C_in] = dout[B, C_out] · weight[C_out, C_in]
  if (dinp) sgemm(false, false, B, C_in, C_out, 1.0f, dout, C_out, weight, C_in, 0.0f, dinp, C_in);
  // dweight[C_out, C_in] += dout[B, C_out]ᵀ · inp[B, C_in]
  if (dweight)
    sgemm(true, false, C_out, C_in, B, 1.0f, dout, C_out, inp, C_in, 1.0f, dweight, C_in);
  if (dbias) {
#pragma omp parallel for schedule(static) if ((int64_t)B * C_out > kParallelMemory)
    for (int o = 0; o < C_out; ++o) {
      float s = 0.0f;
      for (int b = 0; b < B; ++b) s += dout[(int64_t)b * C_out + o];
      dbias[o] += s;
    }
  }
}

}  // namespace gan::ref
