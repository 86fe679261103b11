// The two GAN losses, each fused with its gradient and its accuracy count. Both are written to be
// stable for any logit: BCE uses max(x,0) − x·t + log1p(e^−|x|) (PyTorch's BCEWithLogitsLoss),
// softmax subtracts the row maximum before exponentiating. Batch sums run in double, serially:
// B is at most a few hundred, so there is nothing to gain from threads and determinism is free.
#include <cmath>
#include <stdexcept>
#include <string>

#include "ops.h"

namespace gan::ref {

void bce_logits(float* loss, float* correct, float* dlogits, const float* logits,
                const float* targets, int B, float scale) {
  double sum = 0.0;
  int hits = 0;
  for (int b = 0; b < B; ++b) {
    const float x = logits[b], t = targets[b];
    sum += (double)std::fmax(x, 0.0f) - (double)x * t + std::log1p(std::exp(-std::fabs((double)x)));
    hits += (x > 0.0f) == (t > 0.5f);
    if (dlogits) {
      const float e = std::exp(-std::fabs(x));  // σ(x) without overflow for either sign
      const float sig = x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
      dlogits[b] = scale * (sig - t) / (float)B;
    }
  }
  if (loss) loss[0] = B > 0 ? (float)(sum / B) : 0.0f;
  if (correct) correct[0] = (float)hits;
}

void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits,
                  const int32_t* labels, int B, int C, float scale) {
  double sum = 0.0;
  int hits = 0;
  for (int b = 0; b < B; ++b) {
    const float* x = logits + (int64_t)b * C;
    const int32_t y = labels[b];
    if (y < 0 || y >= C)
      throw std::out_of_range("softmax_xent: label " + std::to_string(y) + " at batch row " +
                              std::to_string(b) + " is outside [0, " + std::to_string(C) +
                              "); check the dataset's labels against the model's class count");
    int arg = 0;
    for (int c = 1; c < C; ++c)
      if (x[c] > x[arg]) arg = c;  // first maximum wins ties, like torch.argmax
    const float mx = x[arg];
    double z = 0.0;
    for (int c = 0; c < C; ++c) z += std::exp((double)(x[c] - mx));
    const double lse = std::log(z);
    sum += lse - (double)(x[y] - mx);
    hits += arg == y;
    if (dlogits) {
      float* d = dlogits + (int64_t)b * C;
      for (int c = 0; c < C; ++c) {
        const float p = (float)(std::exp((double)(x[c] - mx)) / z);
        d[c] = scale * (p - (c == y ? 1.0f : 0.0f)) / (float)B;
      }
    }
  }
  if (loss) loss[0] = B > 0 ? (float)(sum / B) : 0.0f;
  if (correct) correct[0] = (float)hits;
}

}  // namespace gan::ref
