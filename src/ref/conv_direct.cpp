// Direct stride-1 Conv2d for layers with very few output channels, such as the AC-GAN generator's
// last layer (128 → 1, 7×7). Through im2col such a layer is all memory traffic: the column matrix
// is KH·KW times the input (49×, ~20 MB per 28×28 image) and the GEMM has one row to amortise it.
//
// Here planes are first copied into zero-bordered buffers (so no loop tests a boundary). The
// forward pass and the input gradient hold a block of ROWS output rows × W_BLOCK = 2·VL columns
// in registers and sweep the kernel taps; each input row loaded serves every output row it
// touches, so loads stay below FMAs. The weight gradient holds one kernel row's KW taps in
// registers (KW is a template parameter up to 7) while it sweeps the image.
//   forward  out[co][oh][ow]  = Σ w[co][ci][kh][kw] · xpad[ci][oh+kh][ow+kw]
//   dinp     dx[ci][ih][iw]   = Σ w[co][ci][KH−1−a][KW−1−b] · dypad[co][ih+a][iw+b]  (full corr.)
//   dweight  dw[co][ci][kh][kw] += Σ_{n,oh,ow} dy[co][oh][ow] · xpad[ci][oh+kh][ow+kw]
// Each output (plane strip, or weight) is owned by one thread and summed in a fixed order.
#include "conv_direct.h"

#include <algorithm>
#include <vector>

#include "parallel.h"
#include "parallel_errors.h"
#include "scratch.h"
#include "simd.h"

namespace gan::ref {
namespace {

using simd::VL;
using simd::vf;
constexpr int W_BLOCK = 2 * VL;
constexpr int MAX_ROWS = 4;     // output rows per register block (fewer with more channels)
constexpr int MAX_KW = 16;      // widest kernel the direct path takes


double work(const ConvShape& s) {
  return 2.0 * s.N * s.C_out * s.C_in * s.KH * s.KW * s.H_out * s.W_out;
}

int round_up(int x, int m) { return (x + m - 1) / m * m; }

// dst (rows × cols, zero) ← src (h × w) placed at (top, left).
void pad_plane(const float* src, int h, int w, int top, int left, int rows, int cols, float* dst) {
  std::fill(dst, dst + (int64_t)rows * cols, 0.0f);
  for (int y = 0; y < h; ++y)
    std::copy(src + (int64_t)y * w, src + (int64_t)(y + 1) * w, dst + (int64_t)(y + top) * cols + left);
}

// The zero-bordered input plane the forward pass and dweight read: pad on every side, then
// enough extra zero rows and columns that whole row blocks and strips stay inside.
struct InputPad {
  int rows, cols;
  explicit InputPad(const ConvShape& s)
      : rows(round_up(s.H_out, MAX_ROWS) + s.KH - 1), cols(round_up(s.W_out, W_BLOCK) + s.KW - 1) {}
  int64_t plane() const { return (int64_t)rows * cols; }
};

// Output rows per block: ROWS·C_OUT·2 accumulators must fit the register file with room for loads.
template <int C_OUT>
constexpr int rows_for() {
  return C_OUT == 1 ? 4 : C_OUT == 2 ? 2 : 1;
}

template <int C_OUT>
void forward_image(float* out, const float* xp, const float* weight, const float* bias,
                   const ConvShape& s, const InputPad& P) {
  constexpr int ROWS = rows_for<C_OUT>();
  const int taps = s.KH * s.KW;
  const int64_t out_plane = (int64_t)s.H_out * s.W_out, w_co = (int64_t)s.C_in * taps;
  for (int oh0 = 0; oh0 < s.H_out; oh0 += ROWS) {
    for (int j0 = 0; j0 < s.W_out; j0 += W_BLOCK) {
      vf acc[ROWS][C_OUT][2] = {};
      for (int ci = 0; ci < s.C_in; ++ci) {
        const float* x = xp + ci * P.plane() + (int64_t)oh0 * P.cols + j0;
        const float* w = weight + (int64_t)ci * taps;
        for (int r = 0; r < ROWS + s.KH - 1; ++r) {  // input row oh0 + r
          const float* xr = x + (int64_t)r * P.cols;
          for (int kw = 0; kw < s.KW; ++kw) {
            const vf x0 = simd::load(xr + kw), x1 = simd::load(xr + kw + VL);
            for (int i = 0; i < ROWS; ++i) {  // output row oh0 + i sees it through kh = r − i
              const int kh = r - i;
              if (kh < 0 || kh >= s.KH) continue;
              for (int co = 0; co < C_OUT; ++co) {
                const float wv = w[co * w_co + kh * s.KW + kw];
                acc[i][co][0] += wv * x0;
                acc[i][co][1] += wv * x1;
              }
            }
          }
        }
      }
      const int nw = std::min(W_BLOCK, s.W_out - j0);
      for (int i = 0; i < ROWS && oh0 + i < s.H_out; ++i) {
        for (int co = 0; co < C_OUT; ++co) {
          float strip[W_BLOCK];
          simd::store(strip, acc[i][co][0]);
          simd::store(strip + VL, acc[i][co][1]);
          float* o = out + co * out_plane + (int64_t)(oh0 + i) * s.W_out + j0;
          const float b = bias ? bias[co] : 0.0f;
          for (int j = 0; j < nw; ++j) o[j] = strip[j] + b;
        }
      }
    }
  }
}

template <int C_OUT>
void forward(float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s) {
  const InputPad P(s);
  const int64_t in_plane = (int64_t)s.H * s.W, out_plane = (int64_t)s.H_out * s.W_out;
  ParallelErrors errors;  // scratch() may throw bad_alloc
#pragma omp parallel for schedule(static) if (work(s) > kParallelFlops)
  for (int n = 0; n < s.N; ++n) errors.run([&] {
    float* xp = scratch(kConvCol, (size_t)(s.C_in * P.plane()));
    for (int ci = 0; ci < s.C_in; ++ci)
      pad_plane(inp + ((int64_t)n * s.C_in + ci) * in_plane, s.H, s.W, s.pad, s.pad, P.rows, P.cols,
                xp + ci * P.plane());
    forward_image<C_OUT>(out + (int64_t)n * C_OUT * out_plane, xp, weight, bias, s, P);
  });
  errors.rethrow();
}

// dinp: the full correlation of dout with the flipped kernel; one thread per image.
template <int C_OUT>
void backward_input(float* dinp, const float* dout, const float* weight, const ConvShape& s) {
  constexpr int ROWS = MAX_ROWS;
  const int taps = s.KH * s.KW;
  const int qh = s.KH - 1 - s.pad, qw = s.KW - 1 - s.pad;  // dout's border in the padded copy
  const int rows = round_up(s.H, ROWS) + s.KH - 1, cols = round_up(s.W, W_BLOCK) + s.KW - 1;
  const int64_t plane = (int64_t)rows * cols, in_plane = (int64_t)s.H * s.W;
  const int64_t out_plane = (int64_t)s.H_out * s.W_out;
  ParallelErrors errors;  // scratch() may throw bad_alloc
#pragma omp parallel for schedule(static) if (work(s) > kParallelFlops)
  for (int n = 0; n < s.N; ++n) errors.run([&] {
    float* dyp = scratch(kConvTmp, (size_t)(C_OUT * plane));
    for (int co = 0; co < C_OUT; ++co)
      pad_plane(dout + ((int64_t)n * C_OUT + co) * out_plane, s.H_out, s.W_out, qh, qw, rows, cols,
                dyp + co * plane);
    for (int ci = 0; ci < s.C_in; ++ci) {
      float* dx = dinp + ((int64_t)n * s.C_in + ci) * in_plane;
      for (int ih0 = 0; ih0 < s.H; ih0 += ROWS) {
        for (int j0 = 0; j0 < s.W; j0 += W_BLOCK) {
          vf acc[ROWS][2] = {};
          for (int co = 0; co < C_OUT; ++co) {
            const float* w = weight + ((int64_t)co * s.C_in + ci) * taps;
            for (int r = 0; r < ROWS + s.KH - 1; ++r) {  // dout row ih0 + r of the padded copy
              const float* yr = dyp + co * plane + (int64_t)(ih0 + r) * cols + j0;
              for (int b = 0; b < s.KW; ++b) {
                const vf y0 = simd::load(yr + b), y1 = simd::load(yr + b + VL);
                for (int i = 0; i < ROWS; ++i) {
                  const int a = r - i;
                  if (a < 0 || a >= s.KH) continue;
                  const float wv = w[(s.KH - 1 - a) * s.KW + (s.KW - 1 - b)];
                  acc[i][0] += wv * y0;
                  acc[i][1] += wv * y1;
                }
              }
            }
          }
          const int nw = std::min(W_BLOCK, s.W - j0);
          for (int i = 0; i < ROWS && ih0 + i < s.H; ++i) {
            float strip[W_BLOCK];
            simd::store(strip, acc[i][0]);
            simd::store(strip + VL, acc[i][1]);
            std::copy(strip, strip + nw, dx + (int64_t)(ih0 + i) * s.W + j0);
          }
        }
      }
    }
  });
  errors.rethrow();
}

// sum[kh·KW + kw] += Σ_{oh,ow} y[oh][ow] · x[oh+kh][ow+kw] for one image and one (co, ci).
// KW_FIXED > 0 makes the tap loop constant so the accumulators stay in registers; 0 = s.KW.
template <int KW_FIXED>
void weight_taps(const float* xp, int xcols, const float* yp, int ycols, const ConvShape& s,
                 double* sum) {
  constexpr int KW_CAP = KW_FIXED > 0 ? KW_FIXED : MAX_KW;
  const int KW = KW_FIXED > 0 ? KW_FIXED : s.KW;
  for (int kh = 0; kh < s.KH; ++kh) {
    vf acc[KW_CAP][2] = {};
    for (int oh = 0; oh < s.H_out; ++oh) {
      const float* xr = xp + (int64_t)(oh + kh) * xcols;
      const float* yr = yp + (int64_t)oh * ycols;
      for (int j0 = 0; j0 < s.W_out; j0 += W_BLOCK) {
        const vf y0 = simd::load(yr + j0), y1 = simd::load(yr + j0 + VL);
        for (int kw = 0; kw < KW; ++kw) {
          acc[kw][0] += y0 * simd::load(xr + j0 + kw);
          acc[kw][1] += y1 * simd::load(xr + j0 + kw + VL);
        }
      }
    }
    for (int kw = 0; kw < KW; ++kw) sum[kh * KW + kw] += (double)simd::hsum(acc[kw][0] + acc[kw][1]);
  }
}

// dweight for every (co, ci): one thread per pair, images summed in double in order.
template <int C_OUT>
void backward_weight(float* dweight, const float* dout, const float* inp, const ConvShape& s) {
  const InputPad P(s);
  const int taps = s.KH * s.KW;
  const int ycols = round_up(s.W_out, W_BLOCK);  // dout rows zero-extended to whole strips
  const int64_t in_plane = (int64_t)s.H * s.W, out_plane = (int64_t)s.H_out * s.W_out;
  void (*taps_fn)(const float*, int, const float*, int, const ConvShape&, double*);
  switch (s.KW) {
    case 1: taps_fn = weight_taps<1>; break;
    case 2: taps_fn = weight_taps<2>; break;
    case 3: taps_fn = weight_taps<3>; break;
    case 4: taps_fn = weight_taps<4>; break;
    case 5: taps_fn = weight_taps<5>; break;
    case 7: taps_fn = weight_taps<7>; break;
    default: taps_fn = weight_taps<0>; break;
  }
  ParallelErrors errors;  // scratch() and the sums may throw bad_alloc
#pragma omp parallel for collapse(2) schedule(static) if (work(s) > kParallelFlops)
  for (int co = 0; co < C_OUT; ++co) {
    for (int ci = 0; ci < s.C_in; ++ci) errors.run([&] {
      float* xp = scratch(kConvCol, (size_t)P.plane());
      float* yp = scratch(kConvTmp, (size_t)s.H_out * ycols);
      std::vector<double> sum(taps, 0.0);
      for (int n = 0; n < s.N; ++n) {
        pad_plane(inp + ((int64_t)n * s.C_in + ci) * in_plane, s.H, s.W, s.pad, s.pad, P.rows, P.cols, xp);
        pad_plane(dout + ((int64_t)n * C_OUT + co) * out_plane, s.H_out, s.W_out, 0, 0, s.H_out, ycols, yp);
        taps_fn(xp, P.cols, yp, ycols, s, sum.data());
      }
      float* dw = dweight + ((int64_t)co * s.C_in + ci) * taps;
      for (int t = 0; t < taps; ++t) dw[t] += (float)sum[t];
    });
  }
  errors.rethrow();
}

template <int C_OUT>
void backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
              const ConvShape& s) {
  if (dinp) backward_input<C_OUT>(dinp, dout, weight, s);
  if (dweight) backward_weight<C_OUT>(dweight, dout, inp, s);
}

}  // namespace

bool conv2d_direct_applies(const ConvShape& s) {
  // pad ≤ k − 1 keeps the full correlation of the input gradient a plain zero border.
  return s.stride == 1 && s.C_out >= 1 && s.C_out <= kDirectMaxOutChannels && s.KW <= MAX_KW &&
         s.pad <= s.KH - 1 && s.pad <= s.KW - 1;
}

void conv2d_direct_forward(float* out, const float* inp, const float* weight, const float* bias,
                           const ConvShape& s) {
  switch (s.C_out) {
    case 1: return forward<1>(out, inp, weight, bias, s);
    case 2: return forward<2>(out, inp, weight, bias, s);
    case 3: return forward<3>(out, inp, weight, bias, s);
    default: return forward<4>(out, inp, weight, bias, s);
  }
}

void conv2d_direct_backward(float* dinp, float* dweight, const float* dout, const float* inp,
                            const float* weight, const ConvShape& s) {
  switch (s.C_out) {
    case 1: return backward<1>(dinp, dweight, dout, inp, weight, s);
    case 2: return backward<2>(dinp, dweight, dout, inp, weight, s);
    case 3: return backward<3>(dinp, dweight, dout, inp, weight, s);
    default: return backward<4>(dinp, dweight, dout, inp, weight, s);
  }
}

}  // namespace gan::ref
