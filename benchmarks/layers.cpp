// Layer benchmarks: every conv and linear layer of acgan28 and dcgan64, each direction timed on
// its own (forward, backward-data, backward-filter), after a check of all three against the CPU
// reference. FLOPs are the layer's multiply-adds ×2 (2·N·C_out·H_out·W_out·C_in·k² for conv,
// 2·N·C_in·H·W·C_out·k² for conv_transpose, 2·B·C_in·C_out for linear); biases are left out.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bench.h"
#include "src/ref/ops.h"
#ifdef GAN_HAVE_CUDA
#include "kernels/ops.h"
#endif

namespace gan::bench {
namespace {

enum class Kind { Linear, Conv, ConvT };

struct Layer {
  std::string model, name;
  Kind kind;
  ConvShape s;           // conv / conv_transpose
  int B = 0, C_in = 0, C_out = 0;  // linear
};

std::vector<Layer> model_layers(int B) {
  std::vector<Layer> v;
  auto lin = [&](const char* m, const char* n, int b, int ci, int co) {
    Layer l{m, n, Kind::Linear, {}};
    l.B = b; l.C_in = ci; l.C_out = co;
    v.push_back(l);
  };
  auto conv = [&](const char* m, const char* n, ConvShape s) { v.push_back({m, n, Kind::Conv, s}); };
  auto convt = [&](const char* m, const char* n, ConvShape s) { v.push_back({m, n, Kind::ConvT, s}); };
  // acgan28 (DESIGN.md): G input projections, two ConvTranspose blocks, output conv; D convs, heads.
  lin("acgan28", "G noise_linear", B, 100, 6272);
  lin("acgan28", "G label_linear", B, 50, 49);
  convt("acgan28", "G up.0", ConvShape::conv_transpose(B, 129, 7, 7, 128, 4, 2, 1));
  convt("acgan28", "G up.1", ConvShape::conv_transpose(B, 128, 14, 14, 128, 4, 2, 1));
  conv("acgan28", "G out_conv", ConvShape::conv(B, 128, 28, 28, 1, 7, 1, 3));
  conv("acgan28", "D conv.0", ConvShape::conv(B, 1, 28, 28, 128, 3, 2, 1));
  conv("acgan28", "D conv.1", ConvShape::conv(B, 128, 14, 14, 128, 3, 1, 1));
  conv("acgan28", "D conv.2", ConvShape::conv(B, 128, 14, 14, 128, 3, 2, 1));
  conv("acgan28", "D conv.3", ConvShape::conv(B, 128, 7, 7, 128, 3, 1, 1));
  lin("acgan28", "D head_adv", B, 6272, 1);
  lin("acgan28", "D head_class", B, 6272, 10);
  // dcgan64 (PyTorch's DCGAN example: nz 100, ngf = ndf = 64, nc 3)
  convt("dcgan64", "G main.0", ConvShape::conv_transpose(B, 100, 1, 1, 512, 4, 1, 0));
  convt("dcgan64", "G main.3", ConvShape::conv_transpose(B, 512, 4, 4, 256, 4, 2, 1));
  convt("dcgan64", "G main.6", ConvShape::conv_transpose(B, 256, 8, 8, 128, 4, 2, 1));
  convt("dcgan64", "G main.9", ConvShape::conv_transpose(B, 128, 16, 16, 64, 4, 2, 1));
  convt("dcgan64", "G main.12", ConvShape::conv_transpose(B, 64, 32, 32, 3, 4, 2, 1));
  conv("dcgan64", "D main.0", ConvShape::conv(B, 3, 64, 64, 64, 4, 2, 1));
  conv("dcgan64", "D main.2", ConvShape::conv(B, 64, 32, 32, 128, 4, 2, 1));
  conv("dcgan64", "D main.5", ConvShape::conv(B, 128, 16, 16, 256, 4, 2, 1));
  conv("dcgan64", "D main.8", ConvShape::conv(B, 256, 8, 8, 512, 4, 2, 1));
  conv("dcgan64", "D main.11", ConvShape::conv(B, 512, 4, 4, 1, 4, 1, 0));
  return v;
}

std::vector<float> randu(size_t n, uint32_t seed, float scale) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// |got − ref| ≤ atol + rtol·|ref| with atol a fraction of max|ref| (sums run in different orders).
bool check(const std::vector<float>& got, const std::vector<float>& ref, double frac, double rtol,
           std::string* why) {
  double m = 0;
  for (float x : ref) m = std::max(m, (double)std::fabs(x));
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs((double)got[i] - ref[i]);
    if (!(d <= frac * m + rtol * std::fabs(ref[i]))) {
      *why = "element " + std::to_string(i) + ": " + std::to_string(got[i]) + " vs reference " +
             std::to_string(ref[i]);
      return false;
    }
  }
  return true;
}

std::string shape_of(const Layer& l) {
  if (l.kind == Kind::Linear)
    return std::to_string(l.B) + "x" + std::to_string(l.C_in) + "->" + std::to_string(l.C_out);
  const ConvShape& s = l.s;
  return std::to_string(s.N) + "x" + std::to_string(s.C_in) + "x" + std::to_string(s.H) + "->" +
         std::to_string(s.C_out) + "x" + std::to_string(s.H_out) + " k" + std::to_string(s.KH) +
         "s" + std::to_string(s.stride);
}

}  // namespace

void bench_layers(Ops& ops, const Options& o, Report& r) {
  const bool gpu = ops.is_cuda();
  // The CPU runs a smaller batch: batch 128 through every dcgan layer takes minutes on a laptop.
  const int B = gpu ? 128 : 16;
  const int iters = o.iters ? o.iters : (gpu ? 50 : 3);
  // As in tests/gpu/test_gpu_layers.cpp: cuDNN's transform algorithms need a looser FP32 bound.
  // bf16 is checked against the CPU reference at bf16 (the same rounding points,
  // src/precision.h), within a bf16 rounding step (tests/gpu/test_gpu_precision.cpp).
  const Precision p = o.precision;
  const bool tf32 = p == Precision::Tf32, bf16 = p == Precision::Bf16;
  const double lin_frac = bf16 ? 5e-3 : tf32 ? 3e-3 : 2e-5, lin_rtol = bf16 ? 8e-3 : tf32 ? 3e-3 : 1e-4;
  const double conv_frac = bf16 ? 5e-3 : tf32 ? 3e-3 : 1e-4, conv_rtol = bf16 ? 8e-3 : tf32 ? 3e-3 : 1e-3;
  if (!gpu) r.note("layers ran on the CPU reference at batch " + std::to_string(B) + " (no GPU), without a separate check");
  for (const Layer& l : model_layers(B)) {
    if (!o.wants(l.model)) continue;
    size_t nx, ny, nw;
    double flops;
    if (l.kind == Kind::Linear) {
      nx = (size_t)l.B * l.C_in; ny = (size_t)l.B * l.C_out; nw = (size_t)l.C_in * l.C_out;
      flops = 2.0 * l.B * l.C_in * l.C_out;
    } else {
      const ConvShape& s = l.s;
      nx = (size_t)s.N * s.C_in * s.H * s.W;
      ny = (size_t)s.N * s.C_out * s.H_out * s.W_out;
      nw = (size_t)s.C_in * s.C_out * s.KH * s.KW;
      flops = l.kind == Kind::Conv ? 2.0 * s.N * s.C_out * s.H_out * s.W_out * s.C_in * s.KH * s.KW
                                   : 2.0 * s.N * s.C_in * s.H * s.W * s.C_out * s.KH * s.KW;
    }
    auto hx = randu(nx, 1, 1.0f), hw = randu(nw, 2, 0.05f), hdy = randu(ny, 3, 1.0f);
    auto bx = ops.alloc(nx * 4), bw = ops.alloc(nw * 4), by = ops.alloc(ny * 4), bdy = ops.alloc(ny * 4),
         bdx = ops.alloc(nx * 4), bdw = ops.alloc(nw * 4);
    float *x = (float*)bx->data(), *w = (float*)bw->data(), *y = (float*)by->data(),
          *dy = (float*)bdy->data(), *dx = (float*)bdx->data(), *dw = (float*)bdw->data();
    ops.copy_to_device(x, hx.data(), nx * 4);
    ops.copy_to_device(w, hw.data(), nw * 4);
    ops.copy_to_device(dy, hdy.data(), ny * 4);
    ops.fill(dw, (int64_t)nw, 0.0f);

    auto fwd = [&] {
      if (l.kind == Kind::Linear) ops.linear_forward(y, x, w, nullptr, l.B, l.C_in, l.C_out);
      else if (l.kind == Kind::Conv) ops.conv2d_forward(y, x, w, nullptr, l.s);
      else ops.conv_transpose2d_forward(y, x, w, nullptr, l.s);
    };
    auto bwd_data = [&] {
      if (l.kind == Kind::Linear) ops.linear_backward(dx, nullptr, nullptr, dy, x, w, l.B, l.C_in, l.C_out);
      else if (l.kind == Kind::Conv) ops.conv2d_backward(dx, nullptr, nullptr, dy, x, w, l.s);
      else ops.conv_transpose2d_backward(dx, nullptr, nullptr, dy, x, w, l.s);
    };
    auto bwd_filter = [&] {
      if (l.kind == Kind::Linear) ops.linear_backward(nullptr, dw, nullptr, dy, x, w, l.B, l.C_in, l.C_out);
      else if (l.kind == Kind::Conv) ops.conv2d_backward(nullptr, dw, nullptr, dy, x, w, l.s);
      else ops.conv_transpose2d_backward(nullptr, dw, nullptr, dy, x, w, l.s);
    };

    // Check all three directions against the reference once (on a GPU only: on the CPU the
    // backend is the reference).
    bool valid = true;
    std::string why;
    if (gpu) {
      fwd();
      bwd_data();
      bwd_filter();
      std::vector<float> gy(ny), gdx(nx), gdw(nw), ry(ny), rdx(nx), rdw(nw, 0.0f);
      ops.copy_to_host(gy.data(), y, ny * 4);
      ops.copy_to_host(gdx.data(), dx, nx * 4);
      ops.copy_to_host(gdw.data(), dw, nw * 4);
      if (l.kind == Kind::Linear) {
        ref::linear_forward(p, ry.data(), hx.data(), hw.data(), nullptr, l.B, l.C_in, l.C_out);
        ref::linear_backward(p, rdx.data(), rdw.data(), nullptr, hdy.data(), hx.data(), hw.data(), l.B, l.C_in, l.C_out);
      } else if (l.kind == Kind::Conv) {
        ref::conv2d_forward(p, ry.data(), hx.data(), hw.data(), nullptr, l.s);
        ref::conv2d_backward(p, rdx.data(), rdw.data(), nullptr, hdy.data(), hx.data(), hw.data(), l.s);
      } else {
        ref::conv_transpose2d_forward(p, ry.data(), hx.data(), hw.data(), nullptr, l.s);
        ref::conv_transpose2d_backward(p, rdx.data(), rdw.data(), nullptr, hdy.data(), hx.data(), hw.data(), l.s);
      }
      const bool lin = l.kind == Kind::Linear;
      const double frac = lin ? lin_frac : conv_frac, rtol = lin ? lin_rtol : conv_rtol;
      valid = check(gy, ry, frac, rtol, &why) && check(gdx, rdx, frac, rtol, &why) &&
              check(gdw, rdw, frac, rtol, &why);
    }
    const char* dirs[] = {"fwd", "bwd-data", "bwd-filter"};
    const std::function<void()> fns[] = {fwd, bwd_data, bwd_filter};
    for (int d = 0; d < 3; ++d) {
      Row row;
      row.section = "layers";
      row.device = ops.name();
      row.name = l.model + " " + l.name + " " + dirs[d];
      row.shape = shape_of(l);
      row.valid = valid;
      if (valid) {
        row.ms = median_ms(ops, fns[d], iters, gpu ? 3 : 1);
        row.tflops = flops / (row.ms * 1e-3) / 1e12;
      } else {
        row.note = why;
      }
      r.add(row);
    }
  }
}

}  // namespace gan::bench
