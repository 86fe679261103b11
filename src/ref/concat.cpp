// Concat along channels (kernels/concat.cu's twin): a copy per image, split over images.
#include <cstring>

#include "ops.h"
#include "parallel.h"

namespace gan::ref {

void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW) {
  const int64_t sa = (int64_t)Ca * HW, sb = (int64_t)Cb * HW;
#pragma omp parallel for schedule(static) if (N * (sa + sb) > kParallelMemory)
  for (int n = 0; n < N; ++n) {
    float* o = out + n * (sa + sb);
    std::memcpy(o, a + n * sa, (size_t)sa * sizeof(float));
    std::memcpy(o + sa, b + n * sb, (size_t)sb * sizeof(float));
  }
}

void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW) {
  const int64_t sa = (int64_t)Ca * HW, sb = (int64_t)Cb * HW;
#pragma omp parallel for schedule(static) if (N * (sa + sb) > kParallelMemory)
  for (int n = 0; n < N; ++n) {
    const float* d = dout + n * (sa + sb);
    if (da) std::memcpy(da + n * sa, d, (size_t)sa * sizeof(float));
    if (db) std::memcpy(db + n * sb, d + sa, (size_t)sb * sizeof(float));
  }
}

}  // namespace gan::ref
