// Image grid for the PNG artifacts: NCHW floats in [-1, 1] to one HWC uint8 picture, images laid
// out row by row with `pad` black pixels between cells. Every output byte is written (pad and
// empty cells are 0), so the caller may hand over uninitialised memory.
#include <cmath>
#include <cstring>

#include "ops.h"

namespace gan::ref {

void image_grid(uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows, int cols,
                int pad) {
  const int64_t GH = (int64_t)rows * H + (int64_t)(rows - 1) * pad;
  const int64_t GW = (int64_t)cols * W + (int64_t)(cols - 1) * pad;
  if (GH <= 0 || GW <= 0) return;
  std::memset(out, 0, (size_t)(GH * GW * C));
  const int cells = rows * cols < N ? rows * cols : N;
  for (int i = 0; i < cells; ++i) {
    const int64_t y0 = (int64_t)(i / cols) * (H + pad), x0 = (int64_t)(i % cols) * (W + pad);
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const float v = std::round((imgs[(((int64_t)i * C + c) * H + y) * W + x] + 1.0f) * 127.5f);
          // NaN fails both comparisons and stays black.
          const uint8_t q = v >= 255.0f ? 255 : v > 0.0f ? (uint8_t)v : 0;
          out[((y0 + y) * GW + x0 + x) * C + c] = q;
        }
  }
}

}  // namespace gan::ref
