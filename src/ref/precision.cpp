// The matrix ops at a reduced precision: the fp32 reference with the rounding points of
// src/precision.h applied, so that the CPU backend reproduces what the GPU computes in tf32 or bf16
// (up to the order of the fp32 sums). fp32 calls the plain reference unchanged.
#include <vector>

#include "ops.h"
#include "parallel.h"

namespace gan::ref {

void round_array(Precision p, float* x, int64_t n) {
  if (p == Precision::Fp32) return;
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
  for (int64_t i = 0; i < n; ++i) x[i] = round_to(p, x[i]);
}

namespace {

// A rounded copy of x[0..n) in one of a few per-thread scratch vectors (slot 0..3).
const float* rounded(Precision p, const float* x, int64_t n, int slot) {
  thread_local std::vector<float> scratch[4];
  std::vector<float>& s = scratch[slot];
  if ((int64_t)s.size() < n) s.resize((size_t)n);
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
  for (int64_t i = 0; i < n; ++i) s[(size_t)i] = round_to(p, x[i]);
  return s.data();
}

std::vector<float>& increment_scratch(int64_t n) {
  thread_local std::vector<float> s;
  s.assign((size_t)n, 0.0f);
  return s;
}

// dst += round(inc): a bf16 weight-gradient increment added to the fp32 gradient.
void add_rounded(Precision p, float* dst, const float* inc, int64_t n) {
#pragma omp parallel for schedule(static) if (n > kParallelMemory)
  for (int64_t i = 0; i < n; ++i) dst[i] += round_to(p, inc[i]);
}

void add_channel_bias(float* x, const float* bias, int N, int C, int64_t hw) {
#pragma omp parallel for schedule(static) if ((int64_t)N * C * hw > kParallelMemory)
  for (int64_t nc = 0; nc < (int64_t)N * C; ++nc) {
    const float b = bias[nc % C];
    float* row = x + nc * hw;
    for (int64_t i = 0; i < hw; ++i) row[i] += b;
  }
}

int64_t in_elems(const ConvShape& s) { return (int64_t)s.N * s.C_in * s.H * s.W; }
int64_t out_elems(const ConvShape& s) { return (int64_t)s.N * s.C_out * s.H_out * s.W_out; }
int64_t weight_elems(const ConvShape& s) { return (int64_t)s.C_in * s.C_out * s.KH * s.KW; }

}  // namespace

void linear_forward(Precision p, float* out, const float* inp, const float* weight, const float* bias, int B,
                    int C_in, int C_out) {
  if (p == Precision::Fp32) return linear_forward(out, inp, weight, bias, B, C_in, C_out);
  linear_forward(out, rounded(p, inp, (int64_t)B * C_in, 0), rounded(p, weight, (int64_t)C_out * C_in, 1), bias, B,
                 C_in, C_out);
  if (p == Precision::Bf16) round_array(p, out, (int64_t)B * C_out);
}

void linear_backward(Precision p, float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int B, int C_in, int C_out) {
  if (p == Precision::Fp32) return linear_backward(dinp, dweight, dbias, dout, inp, weight, B, C_in, C_out);
  const float* rdout = rounded(p, dout, (int64_t)B * C_out, 0);
  if (dinp) {
    linear_backward(dinp, nullptr, nullptr, rdout, nullptr, rounded(p, weight, (int64_t)C_out * C_in, 1), B, C_in,
                    C_out);
    if (p == Precision::Bf16) round_array(p, dinp, (int64_t)B * C_in);
  }
  if (dweight)
    linear_backward(nullptr, dweight, nullptr, rdout, rounded(p, inp, (int64_t)B * C_in, 2), nullptr, B, C_in, C_out);
  // The bias gradient sums the fp32 incoming gradient, as the GPU's bias kernel does.
  if (dbias) linear_backward(nullptr, nullptr, dbias, dout, nullptr, nullptr, B, C_in, C_out);
}

namespace {

template <class Forward>
void conv_forward_at(Precision p, Forward forward, float* out, const float* inp, const float* weight,
                     const float* bias, const ConvShape& s) {
  if (p == Precision::Fp32) return forward(out, inp, weight, bias, s);
  forward(out, rounded(p, inp, in_elems(s), 0), rounded(p, weight, weight_elems(s), 1), nullptr, s);
  if (p == Precision::Bf16) round_array(p, out, out_elems(s));
  if (bias) add_channel_bias(out, bias, s.N, s.C_out, (int64_t)s.H_out * s.W_out);
}

}  // namespace

void conv2d_forward(Precision p, float* out, const float* inp, const float* weight, const float* bias,
                    const ConvShape& s) {
  using F = void (*)(float*, const float*, const float*, const float*, const ConvShape&);
  conv_forward_at(p, static_cast<F>(conv2d_forward), out, inp, weight, bias, s);
}

void conv_transpose2d_forward(Precision p, float* out, const float* inp, const float* weight, const float* bias,
                              const ConvShape& s) {
  using F = void (*)(float*, const float*, const float*, const float*, const ConvShape&);
  conv_forward_at(p, static_cast<F>(conv_transpose2d_forward), out, inp, weight, bias, s);
}

namespace {

template <class Backward>
void conv_backward_at(Precision p, Backward backward, float* dinp, float* dweight, float* dbias, const float* dout,
                      const float* inp, const float* weight, const ConvShape& s) {
  if (p == Precision::Fp32) return backward(dinp, dweight, dbias, dout, inp, weight, s);
  const float* rdout = rounded(p, dout, out_elems(s), 0);
  if (dinp) {
    backward(dinp, nullptr, nullptr, rdout, nullptr, rounded(p, weight, weight_elems(s), 1), s);
    if (p == Precision::Bf16) round_array(p, dinp, in_elems(s));
  }
  if (dweight) {
    const float* rinp = rounded(p, inp, in_elems(s), 2);
    if (p == Precision::Bf16) {
      // The GPU's bf16 weight gradient is a bf16 tensor added to the fp32 one.
      std::vector<float>& inc = increment_scratch(weight_elems(s));
      backward(nullptr, inc.data(), nullptr, rdout, rinp, nullptr, s);
      add_rounded(p, dweight, inc.data(), weight_elems(s));
    } else {
      backward(nullptr, dweight, nullptr, rdout, rinp, nullptr, s);
    }
  }
  if (dbias) backward(nullptr, nullptr, dbias, dout, nullptr, nullptr, s);
}

}  // namespace

void conv2d_backward(Precision p, float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, const ConvShape& s) {
  conv_backward_at(p, [](float* a, float* b, float* c, const float* d, const float* e, const float* f,
                         const ConvShape& g) { conv2d_backward(a, b, c, d, e, f, g); },
                   dinp, dweight, dbias, dout, inp, weight, s);
}

void conv_transpose2d_backward(Precision p, float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, const ConvShape& s) {
  conv_backward_at(p, [](float* a, float* b, float* c, const float* d, const float* e, const float* f,
                         const ConvShape& g) { conv_transpose2d_backward(a, b, c, d, e, f, g); },
                   dinp, dweight, dbias, dout, inp, weight, s);
}

}  // namespace gan::ref
