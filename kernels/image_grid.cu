// Image grid for the PNGs: N images [C,H,W] in [−1,1] → one HWC uint8 canvas of rows×cols cells
// separated by `pad` zero pixels. A thread per output byte; the canvas is small (10×10 cells of
// 28×28 or 64×64), so the point is only that samples never leave the device as floats.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

__global__ void image_grid_kernel(uint8_t* __restrict__ out, const float* __restrict__ imgs, int N,
                                  int C, int H, int W, int cols, int GH, int GW, int pad) {
  const int64_t total = (int64_t)GH * GW * C;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)gridDim.x * blockDim.x) {
    const int ch = (int)(k % C);
    const int64_t px = k / C;
    const int gy = (int)(px / GW), gx = (int)(px - (int64_t)gy * GW);
    const int cy = gy / (H + pad), y = gy - cy * (H + pad);
    const int cx = gx / (W + pad), x = gx - cx * (W + pad);
    const int i = cy * cols + cx;
    uint8_t v = 0;
    if (y < H && x < W && i < N) {
      const float f = roundf((imgs[(((int64_t)i * C + ch) * H + y) * W + x] + 1.0f) * 127.5f);
      v = (uint8_t)fminf(fmaxf(f, 0.0f), 255.0f);
    }
    out[k] = v;
  }
}

}  // namespace

void image_grid(uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows, int cols,
                int pad, cudaStream_t stream) {
  if (N < 0 || C <= 0 || H <= 0 || W <= 0 || rows <= 0 || cols <= 0 || pad < 0)
    throw std::invalid_argument("image_grid: bad shape N=" + std::to_string(N) + " C=" +
                                std::to_string(C) + " H=" + std::to_string(H) + " W=" +
                                std::to_string(W) + " rows=" + std::to_string(rows) + " cols=" +
                                std::to_string(cols) + " pad=" + std::to_string(pad));
  const int GH = rows * H + (rows - 1) * pad, GW = cols * W + (cols - 1) * pad;
  const int64_t total = (int64_t)GH * GW * C;
  image_grid_kernel<<<grid_for(total, 256, 4096), 256, 0, stream>>>(out, imgs, N, C, H, W, cols, GH, GW, pad);
  CUDA_LAUNCH_CHECK();
}

}  // namespace gan::cuda
