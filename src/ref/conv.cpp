// Conv2d and ConvTranspose2d as im2col/col2im + one sgemm per chunk of images.
//
// Both ops share one geometry: an image C×H×W seen through a KH×KW window (stride, pad) at each
// point of an Ho×Wo grid. Conv2d's image is its input and the grid its output; ConvTranspose2d is
// the adjoint of that conv (its weight [C_in, C_out, kh, kw] is exactly the conv weight of the
// reverse direction), so its image is its output and the grid its input. Hence:
//   conv forward      out   = W · im2col(inp)            conv_t forward   out  = col2im(Wᵀ · inp)
//   conv dweight     += dout · im2col(inp)ᵀ              conv_t dweight  += inp · im2col(dout)ᵀ
//   conv dinp         = col2im(Wᵀ · dout)                conv_t dinp      = W · im2col(dout)
// Images are batched into chunks so one GEMM sees N = chunk·Ho·Wo columns (the model's 14×14 and
// 7×7 grids are too narrow alone); the chunk is capped so the column matrix stays a few MB. A
// backward pass runs im2col once per chunk (conv_t feeds both gradients from it; conv reuses the
// buffer for dinp's columns), and the gathered dout serves both GEMMs. The chunk size depends only
// on the shapes, and dweight accumulates chunk after chunk, so results are deterministic.
// Stride-1 convs with very few output channels skip im2col (conv_direct.cpp).
#include <algorithm>
#include <cstring>

#include "conv_direct.h"
#include "ops.h"
#include "parallel.h"
#include "scratch.h"

namespace gan::ref {
namespace {

constexpr int64_t kColBudget = int64_t(1) << 21;  // floats in a column matrix (8 MB)

struct Geom {
  int C, H, W;      // the image
  int KH, KW, stride, pad;
  int Ho, Wo;       // the grid of window positions
  int64_t rows() const { return (int64_t)C * KH * KW; }
  int64_t grid() const { return (int64_t)Ho * Wo; }
  int64_t image() const { return (int64_t)C * H * W; }
};

Geom conv_geom(const ConvShape& s) {
  return {s.C_in, s.H, s.W, s.KH, s.KW, s.stride, s.pad, s.H_out, s.W_out};
}
Geom conv_t_geom(const ConvShape& s) {
  return {s.C_out, s.H_out, s.W_out, s.KH, s.KW, s.stride, s.pad, s.H, s.W};
}

int chunk_images(const Geom& g, int N) {
  int64_t per_image = std::max<int64_t>(1, g.rows() * g.grid());
  return (int)std::max<int64_t>(1, std::min<int64_t>(kColBudget / per_image, N));
}

// Grid columns [lo, hi) whose window column kw lands inside the image (the rest read padding).
inline void valid_range(int k, int stride, int pad, int size, int grid, int* lo, int* hi) {
  // i = o·stride − pad + k must satisfy 0 ≤ i < size.
  int l = pad - k > 0 ? (pad - k + stride - 1) / stride : 0;
  int h = size - 1 + pad - k >= 0 ? (size - 1 + pad - k) / stride + 1 : 0;
  *lo = std::min(l, grid);
  *hi = std::max(*lo, std::min(h, grid));
}

// col[r][n·grid + g] for r = (c, kh, kw): nb images from img (NCHW).
void im2col(const float* img, int nb, const Geom& g, float* col) {
  const int64_t rows = g.rows(), grid = g.grid(), cols = nb * grid;
#pragma omp parallel for collapse(2) schedule(static) if (rows * cols > kParallelMemory)
  for (int64_t r = 0; r < rows; ++r) {
    for (int n = 0; n < nb; ++n) {
      const int kw = (int)(r % g.KW), kh = (int)(r / g.KW % g.KH), c = (int)(r / g.KW / g.KH);
      const float* src = img + n * g.image() + (int64_t)c * g.H * g.W;
      float* dst = col + r * cols + n * grid;
      int ow_lo, ow_hi;
      valid_range(kw, g.stride, g.pad, g.W, g.Wo, &ow_lo, &ow_hi);
      for (int oh = 0; oh < g.Ho; ++oh) {
        float* d = dst + (int64_t)oh * g.Wo;
        const int ih = oh * g.stride - g.pad + kh;
        if (ih < 0 || ih >= g.H) {
          std::fill(d, d + g.Wo, 0.0f);
          continue;
        }
        const float* s = src + (int64_t)ih * g.W;
        const int off = kw - g.pad;  // column ow reads s[ow·stride + off]
        std::fill(d, d + ow_lo, 0.0f);
        if (g.stride == 1) {
          if (ow_hi > ow_lo)
            std::memcpy(d + ow_lo, s + ow_lo + off, (size_t)(ow_hi - ow_lo) * sizeof(float));
        } else {
          for (int ow = ow_lo; ow < ow_hi; ++ow) d[ow] = s[ow * g.stride + off];
        }
        std::fill(d + ow_hi, d + g.Wo, 0.0f);
      }
    }
  }
}

// img = Σ over windows of col (the adjoint of im2col); nb images, written, not accumulated.
// One thread per (image, channel) plane, so every pixel's sum has a fixed order.
void col2im(const float* col, int nb, const Geom& g, float* img) {
  const int64_t grid = g.grid(), cols = nb * grid;
#pragma omp parallel for collapse(2) schedule(static) if (g.rows() * cols > kParallelMemory)
  for (int n = 0; n < nb; ++n) {
    for (int c = 0; c < g.C; ++c) {
      float* dst = img + n * g.image() + (int64_t)c * g.H * g.W;
      std::fill(dst, dst + (int64_t)g.H * g.W, 0.0f);
      for (int kh = 0; kh < g.KH; ++kh) {
        for (int kw = 0; kw < g.KW; ++kw) {
          const int64_t r = ((int64_t)c * g.KH + kh) * g.KW + kw;
          const float* src = col + r * cols + n * grid;
          int ow_lo, ow_hi;
          valid_range(kw, g.stride, g.pad, g.W, g.Wo, &ow_lo, &ow_hi);
          for (int oh = 0; oh < g.Ho; ++oh) {
            const int ih = oh * g.stride - g.pad + kh;
            if (ih < 0 || ih >= g.H) continue;
            float* d = dst + (int64_t)ih * g.W;
            const float* s = src + (int64_t)oh * g.Wo;
            const int off = kw - g.pad;
            for (int ow = ow_lo; ow < ow_hi; ++ow) d[ow * g.stride + off] += s[ow];
          }
        }
      }
    }
  }
}

// dst[c][n·hw + i] = src[n][c][i]: nb NCHW images as one [C, nb·HW] matrix.
void gather(const float* src, int nb, int C, int64_t hw, float* dst) {
#pragma omp parallel for collapse(2) schedule(static) if (nb * C * hw > kParallelMemory)
  for (int c = 0; c < C; ++c)
    for (int n = 0; n < nb; ++n)
      std::memcpy(dst + ((int64_t)c * nb + n) * hw, src + ((int64_t)n * C + c) * hw,
                  (size_t)hw * sizeof(float));
}

// dst[n][c][i] = src[c][n·hw + i] + bias[c] (bias may be null): the inverse of gather.
void scatter(const float* src, int nb, int C, int64_t hw, const float* bias, float* dst) {
#pragma omp parallel for collapse(2) schedule(static) if (nb * C * hw > kParallelMemory)
  for (int n = 0; n < nb; ++n)
    for (int c = 0; c < C; ++c) {
      const float* s = src + ((int64_t)c * nb + n) * hw;
      float* d = dst + ((int64_t)n * C + c) * hw;
      const float b = bias ? bias[c] : 0.0f;
      for (int64_t i = 0; i < hw; ++i) d[i] = s[i] + b;
    }
}

void add_bias(float* x, const float* bias, int N, int C, int64_t hw) {
  if (!bias) return;
#pragma omp parallel for collapse(2) schedule(static) if (N * C * hw > kParallelMemory)
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c) {
      float* d = x + ((int64_t)n * C + c) * hw;
      for (int64_t i = 0; i < hw; ++i) d[i] += bias[c];
    }
}

// dbias[c] += Σ_{n,i} dout[n][c][i], one thread per channel.
void bias_grad(float* dbias, const float* dout, int N, int C, int64_t hw) {
  if (!dbias) return;
#pragma omp parallel for schedule(static) if (N * C * hw > kParallelMemory)
  for (int c = 0; c < C; ++c) {
    double s = 0.0;
    for (int n = 0; n < N; ++n) {
      const float* d = dout + ((int64_t)n * C + c) * hw;
      float lanes[16] = {};  // fixed interleaved lanes: vectorised, same order every run
      int64_t i = 0;
      for (; i + 16 <= hw; i += 16)
        for (int l = 0; l < 16; ++l) lanes[l] += d[i + l];
      for (; i < hw; ++i) s += d[i];
      for (int l = 0; l < 16; ++l) s += lanes[l];
    }
    dbias[c] += (float)s;
  }
}

}  // namespace

void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const ConvShape& s) {
  if (conv2d_direct_applies(s)) return conv2d_direct_forward(out, inp, weight, bias, s);
  const Geom g = conv_geom(s);
  const int64_t rows = g.rows(), grid = g.grid(), out_image = (int64_t)s.C_out * grid;
  const int chunk = chunk_images(g, s.N);
  for (int n0 = 0; n0 < s.N; n0 += chunk) {
    const int nb = std::min(chunk, s.N - n0);
    const int64_t cols = nb * grid;
    float* col = scratch(kConvCol, rows * cols);
    im2col(inp + n0 * g.image(), nb, g, col);
    float* o = out + n0 * out_image;
    float* dst = nb == 1 ? o : scratch(kConvTmp, s.C_out * cols);
    sgemm(false, false, s.C_out, (int)cols, (int)rows, 1.0f, weight, (int)rows, col, (int)cols,
          0.0f, dst, (int)cols);
    if (nb == 1)
      add_bias(o, bias, 1, s.C_out, grid);
    else
      scatter(dst, nb, s.C_out, grid, bias, o);
  }
}

void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, const ConvShape& s) {
  const Geom g = conv_geom(s);
  const int64_t rows = g.rows(), grid = g.grid(), out_image = (int64_t)s.C_out * grid;
  bias_grad(dbias, dout, s.N, s.C_out, grid);
  if (!dinp && !dweight) return;
  if (conv2d_direct_applies(s)) return conv2d_direct_backward(dinp, dweight, dout, inp, weight, s);
  const int chunk = chunk_images(g, s.N);
  for (int n0 = 0; n0 < s.N; n0 += chunk) {
    const int nb = std::min(chunk, s.N - n0);
    const int64_t cols = nb * grid;
    const float* dO = dout + n0 * out_image;  // as [C_out, cols]
    if (nb > 1) {
      float* t = scratch(kConvGather, s.C_out * cols);
      gather(dO, nb, s.C_out, grid, t);
      dO = t;
    }
    float* col = scratch(kConvCol, rows * cols);
    if (dweight) {
      im2col(inp + n0 * g.image(), nb, g, col);
      sgemm(false, true, s.C_out, (int)rows, (int)cols, 1.0f, dO, (int)cols, col, (int)cols, 1.0f,
            dweight, (int)rows);
    }
    if (dinp) {
      sgemm(true, false, (int)rows, (int)cols, s.C_out, 1.0f, weight, (int)rows, dO, (int)cols,
            0.0f, col, (int)cols);
      col2im(col, nb, g, dinp + n0 * g.image());
    }
  }
}

void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                              const ConvShape& s) {
  const Geom g = conv_t_geom(s);
  const int64_t rows = g.rows(), grid = g.grid();
  const int chunk = chunk_images(g, s.N);
  for (int n0 = 0; n0 < s.N; n0 += chunk) {
    const int nb = std::min(chunk, s.N - n0);
    const int64_t cols = nb * grid;
    const float* x = inp + n0 * (int64_t)s.C_in * grid;  // as [C_in, cols]
    if (nb > 1) {
      float* t = scratch(kConvGather, s.C_in * cols);
      gather(x, nb, s.C_in, grid, t);
      x = t;
    }
    float* col = scratch(kConvCol, rows * cols);
    sgemm(true, false, (int)rows, (int)cols, s.C_in, 1.0f, weight, (int)rows, x, (int)cols, 0.0f,
          col, (int)cols);
    float* o = out + n0 * g.image();
    col2im(col, nb, g, o);
    add_bias(o, bias, nb, s.C_out, (int64_t)s.H_out * s.W_out);
  }
}

void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, const ConvShape& s) {
  const Geom g = conv_t_geom(s);
  const int64_t rows = g.rows(), grid = g.grid(), inp_image = (int64_t)s.C_in * grid;
  bias_grad(dbias, dout, s.N, s.C_out, (int64_t)s.H_out * s.W_out);
  if (!dinp && !dweight) return;
  const int chunk = chunk_images(g, s.N);
  for (int n0 = 0; n0 < s.N; n0 += chunk) {
    const int nb = std::min(chunk, s.N - n0);
    const int64_t cols = nb * grid;
    float* col = scratch(kConvCol, rows * cols);
    im2col(dout + n0 * g.image(), nb, g, col);
    if (dinp) {
      float* di = dinp + n0 * inp_image;
      float* dst = nb == 1 ? di : scratch(kConvTmp, s.C_in * cols);
      sgemm(false, false, s.C_in, (int)cols, (int)rows, 1.0f, weight, (int)rows, col, (int)cols,
            0.0f, dst, (int)cols);
      if (nb > 1) scatter(dst, nb, s.C_in, grid, nullptr, di);
    }
    if (dweight) {
      const float* x = inp + n0 * inp_image;
      if (nb > 1) {
        float* t = scratch(kConvGather, s.C_in * cols);
        gather(x, nb, s.C_in, grid, t);
        x = t;
      }
      sgemm(false, true, s.C_in, (int)rows, (int)cols, 1.0f, x, (int)cols, col, (int)cols, 1.0f,
            dweight, (int)rows);
    }
  }
}

}  // namespace gan::ref
