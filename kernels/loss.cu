// Losses fused with their gradients and the metric reductions (loss, number correct).
//
// One block of kLossThreads threads handles the whole batch: per-sample terms are computed and
// their gradients written in the same pass, and the block reduces loss and correct-count in a
// fixed order, writing loss[0] and correct[0] on the device. The batch is the model's B (≤ a few
// hundred), where a single block costs one launch and no host round trip; the fixed block size is
// what makes the sums repeatable. Formulas are src/ops.h's:
//   BCE: ℓ = max(x,0) − x·t + log(1 + e^−|x|), dx = scale·(σ(x) − t)/B, correct: (x>0) == (t>0.5)
//   CE : ℓ = logsumexp(x) − x[label],  dx = scale·(softmax(x) − onehot)/B, correct: argmax == label
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

constexpr int kLossThreads = 256;
static_assert(block_sum_ok<kLossThreads>(), "block_sum needs whole warps, at most 32 of them");

__global__ void __launch_bounds__(kLossThreads)
    bce_logits_kernel(float* __restrict__ loss, float* __restrict__ correct,
                      float* __restrict__ dlogits, const float* __restrict__ logits,
                      const float* __restrict__ targets, int B, float scale) {
  __shared__ float scratch[32];
  float l = 0.0f, ok = 0.0f;
  const float inv_b = 1.0f / (float)B;
  for (int b = threadIdx.x; b < B; b += blockDim.x) {
    const float x = logits[b], t = targets[b];
    l += fmaxf(x, 0.0f) - x * t + log1pf(expf(-fabsf(x)));
    ok += ((x > 0.0f) == (t > 0.5f)) ? 1.0f : 0.0f;
    if (dlogits) {
      const float e = expf(-fabsf(x));  // σ(x) without overflow for either sign
      const float sig = x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
      dlogits[b] = scale * (sig - t) / (float)B;
    }
  }
  l = block_sum(l, scratch);
  ok = block_sum(ok, scratch);
  if (threadIdx.x == 0) {
    if (loss) loss[0] = l * inv_b;
    if (correct) correct[0] = ok;
  }
}

// A thread per row: C is the class count (10), small enough to keep in a loop.
__global__ void __launch_bounds__(kLossThreads)
    softmax_xent_kernel(float* __restrict__ loss, float* __restrict__ correct,
                        float* __restrict__ dlogits, const float* __restrict__ logits,
                        const int32_t* __restrict__ labels, int B, int C, float scale) {
  __shared__ float scratch[32];
  float l = 0.0f, ok = 0.0f;
  const float inv_b = 1.0f / (float)B;
  for (int b = threadIdx.x; b < B; b += blockDim.x) {
    const float* x = logits + (int64_t)b * C;
    const int label = labels[b];
    float mx = x[0];
    int arg = 0;
    for (int c = 1; c < C; ++c)
      if (x[c] > mx) { mx = x[c]; arg = c; }
    float se = 0.0f;
    for (int c = 0; c < C; ++c) se += expf(x[c] - mx);
    const float lse = mx + logf(se);
    const bool valid = label >= 0 && label < C;
    l += valid ? lse - x[label] : 0.0f;
    ok += (arg == label) ? 1.0f : 0.0f;
    if (dlogits) {
      float* d = dlogits + (int64_t)b * C;
      for (int c = 0; c < C; ++c)
        d[c] = scale * (expf(x[c] - mx) / se - (c == label ? 1.0f : 0.0f)) / (float)B;
    }
  }
  l = block_sum(l, scratch);
  ok = block_sum(ok, scratch);
  if (threadIdx.x == 0) {
    if (loss) loss[0] = l * inv_b;
    if (correct) correct[0] = ok;
  }
}

}  // namespace

void bce_logits(float* loss, float* correct, float* dlogits, const float* logits,
                const float* targets, int B, float scale, cudaStream_t stream) {
  if (B <= 0) throw std::invalid_argument("bce_logits: batch must be positive, got " + std::to_string(B));
  if (!logits || !targets) throw std::invalid_argument("bce_logits: null logits or targets");
  bce_logits_kernel<<<1, kLossThreads, 0, stream>>>(loss, correct, dlogits, logits, targets, B, scale);
  CUDA_LAUNCH_CHECK();
}

void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits,
                  const int32_t* labels, int B, int C, float scale, cudaStream_t stream) {
  if (B <= 0 || C <= 0)
    throw std::invalid_argument("softmax_xent: bad shape B=" + std::to_string(B) + " C=" + std::to_string(C));
  if (!logits || !labels) throw std::invalid_argument("softmax_xent: null logits or labels");
  softmax_xent_kernel<<<1, kLossThreads, 0, stream>>>(loss, correct, dlogits, logits, labels, B, C, scale);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
