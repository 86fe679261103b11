// The CPU reference ops (src/ref/) against independent definitions: forwards against naive direct
// loops written here (direct convolution, scatter-form transposed convolution, double sums), hand
// computed values, and properties the op registry (tests/ops/cases.h) does not express: null
// gradients, large-batch chunking, thread-count determinism, exact accumulation. Every backward
// against finite differences, and CUDA against these, is the registry's (test_op_cases.cpp).
// Outputs start as NaN inside guard cells, so each check also proves every element is written.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "src/philox.h"
#include "src/ref/ops.h"
#include "tests/ops/op_case.h"

namespace gan {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

using opcases::away_from_zero;
using opcases::randu;

// An output buffer: NaN inside, sentinels in the guard cells on both sides.
class Out {
 public:
  explicit Out(size_t n, float fill = kNaN) : n_(n), buf_(n + 2 * kGuard, kSentinel) {
    std::fill(buf_.begin() + kGuard, buf_.begin() + kGuard + n, fill);
  }
  float* data() { return buf_.data() + kGuard; }
  const float* data() const { return buf_.data() + kGuard; }
  float operator[](size_t i) const { return data()[i]; }
  size_t size() const { return n_; }
  std::vector<float> vec() const { return {data(), data() + n_}; }
  void poison() { std::fill(data(), data() + n_, kNaN); }
  // Every element written (finite) and no guard cell touched.
  ::testing::AssertionResult written(const std::string& what) const {
    for (size_t i = 0; i < kGuard; ++i)
      if (buf_[i] != kSentinel || buf_[kGuard + n_ + i] != kSentinel)
        return ::testing::AssertionFailure() << what << ": write outside the buffer (guard cell " << i << ")";
    for (size_t i = 0; i < n_; ++i)
      if (!std::isfinite(data()[i]))
        return ::testing::AssertionFailure() << what << ": element " << i << " of " << n_ << " not written (" << data()[i] << ")";
    return ::testing::AssertionSuccess();
  }

 private:
  static constexpr size_t kGuard = 16;
  static constexpr float kSentinel = 1234.5f;
  size_t n_;
  std::vector<float> buf_;
};

// |got − want| ≤ atol + rtol·|want| for every element; names the worst one otherwise.
::testing::AssertionResult close(const std::string& what, const float* got, const float* want,
                                 size_t n, double atol, double rtol) {
  double worst = 0.0;
  size_t wi = 0;
  for (size_t i = 0; i < n; ++i) {
    const double err = std::fabs((double)got[i] - want[i]);
    const double tol = atol + rtol * std::fabs((double)want[i]);
    const double ratio = err <= tol ? 0.0 : tol > 0.0 ? err / tol : HUGE_VAL;  // NaN stays NaN
    if (!(ratio <= worst)) {  // NaN counts as worst
      worst = ratio;
      wi = i;
      if (std::isnan(ratio)) break;
    }
  }
  if (worst <= 1.0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": worst element " << wi << " of " << n << ": got "
                                       << got[wi] << ", want " << want[wi] << " (error "
                                       << std::fabs((double)got[wi] - want[wi]) << " > atol " << atol
                                       << " + rtol " << rtol << "·|want|)";
}
::testing::AssertionResult close(const std::string& what, const std::vector<float>& got,
                                 const std::vector<float>& want, double atol, double rtol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << what << ": size " << got.size() << " vs " << want.size();
  return close(what, got.data(), want.data(), got.size(), atol, rtol);
}

double dot(const float* a, const std::vector<float>& r) {
  double s = 0.0;
  for (size_t i = 0; i < r.size(); ++i) s += (double)a[i] * r[i];
  return s;
}

// ------------------------------------------------------------------ linear

void naive_linear(std::vector<float>& out, const std::vector<float>& x, const std::vector<float>& w,
                  const float* b, int B, int I, int O) {
  out.assign((size_t)B * O, 0.0f);
  for (int n = 0; n < B; ++n)
    for (int o = 0; o < O; ++o) {
      double s = b ? b[o] : 0.0;
      for (int i = 0; i < I; ++i) s += (double)x[n * I + i] * w[o * I + i];
      out[n * O + o] = (float)s;
    }
}

TEST(RefOps, LinearForwardMatchesNaive) {
  for (auto [B, I, O] : {std::tuple{1, 1, 1}, {1, 7, 3}, {3, 5, 7}, {64, 100, 49}, {5, 300, 10}}) {
    for (bool with_bias : {true, false}) {
      auto x = randu((size_t)B * I, 1), w = randu((size_t)O * I, 2), b = randu(O, 3);
      Out out((size_t)B * O);
      ref::linear_forward(out.data(), x.data(), w.data(), with_bias ? b.data() : nullptr, B, I, O);
      std::vector<float> want;
      naive_linear(want, x, w, with_bias ? b.data() : nullptr, B, I, O);
      std::string what = "linear " + std::to_string(B) + "x" + std::to_string(I) + "->" + std::to_string(O);
      ASSERT_TRUE(out.written(what));
      EXPECT_TRUE(close(what, out.vec(), want, 1e-5, 1e-5));
    }
  }
}

// Null gradients are skipped, and the others are unchanged by their absence.
TEST(RefOps, LinearBackwardNullGradients) {
  for (auto [B, I, O] : {std::tuple{1, 1, 1}, {1, 4, 3}, {3, 5, 7}, {4, 9, 2}}) {
    auto x = randu((size_t)B * I, 4), w = randu((size_t)O * I, 5), r = randu((size_t)B * O, 7);
    Out dx(x.size()), dw(w.size(), 0.0f), db(O, 0.0f);
    ref::linear_backward(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), B, I, O);
    std::string what = "linear " + std::to_string(B) + "x" + std::to_string(I) + "->" + std::to_string(O);
    Out dx2(x.size());
    ref::linear_backward(dx2.data(), nullptr, nullptr, r.data(), x.data(), w.data(), B, I, O);
    EXPECT_TRUE(close(what + " dinp alone", dx2.vec(), dx.vec(), 0, 0));
    Out dw2(w.size(), 0.0f);
    ref::linear_backward(nullptr, dw2.data(), nullptr, r.data(), x.data(), w.data(), B, I, O);
    EXPECT_TRUE(close(what + " dweight alone", dw2.vec(), dw.vec(), 1e-6, 1e-5));
  }
}

// ------------------------------------------------------------------ conv

struct ConvCase {
  int N, C_in, H, W, C_out, k, stride, pad;
  std::string str() const {
    return "N" + std::to_string(N) + " C" + std::to_string(C_in) + " " + std::to_string(H) + "x" +
           std::to_string(W) + " ->" + std::to_string(C_out) + " k" + std::to_string(k) + " s" +
           std::to_string(stride) + " p" + std::to_string(pad);
  }
};

// Includes batch 1, odd and non-square inputs, stride 2, pad 0/1/3, kernels 1/3/4/7, and for
// conv2d both paths: im2col + GEMM, and direct (stride 1 with at most 4 output channels).
const ConvCase kConvCases[] = {
    {1, 1, 3, 5, 1, 3, 1, 1}, {1, 2, 3, 5, 3, 3, 2, 1}, {2, 3, 5, 4, 2, 4, 2, 1},
    {1, 2, 3, 5, 2, 7, 1, 3}, {2, 2, 6, 7, 3, 1, 1, 0}, {3, 1, 7, 7, 2, 3, 2, 0},
    {2, 3, 8, 6, 4, 4, 2, 1}, {1, 3, 9, 9, 1, 7, 2, 3}, {2, 2, 5, 6, 5, 3, 1, 1},
    {1, 6, 5, 5, 6, 3, 1, 1}, {2, 3, 4, 4, 2, 4, 1, 0},  // DCGAN's last D layer: 4×4 → 1×1
    {1, 2, 7, 8, 3, 6, 1, 2}, {2, 2, 9, 5, 4, 2, 1, 1},
};
// ConvTranspose2d only (the conv of the same arguments would have no output): DCGAN's first
// generator layer, 1×1 → 4×4.
const ConvCase kConvTOnlyCases[] = {{2, 5, 1, 1, 3, 4, 1, 0}, {1, 2, 2, 3, 3, 4, 2, 1}};

std::vector<ConvCase> conv_cases(bool transposed) {
  std::vector<ConvCase> v(std::begin(kConvCases), std::end(kConvCases));
  if (transposed) v.insert(v.end(), std::begin(kConvTOnlyCases), std::end(kConvTOnlyCases));
  return v;
}

void direct_conv(std::vector<float>& out, const std::vector<float>& x, const std::vector<float>& w,
                 const float* b, const ConvShape& s) {
  out.assign((size_t)s.N * s.C_out * s.H_out * s.W_out, 0.0f);
  for (int n = 0; n < s.N; ++n)
    for (int co = 0; co < s.C_out; ++co)
      for (int oh = 0; oh < s.H_out; ++oh)
        for (int ow = 0; ow < s.W_out; ++ow) {
          double acc = b ? b[co] : 0.0;
          for (int ci = 0; ci < s.C_in; ++ci)
            for (int kh = 0; kh < s.KH; ++kh)
              for (int kw = 0; kw < s.KW; ++kw) {
                int ih = oh * s.stride - s.pad + kh, iw = ow * s.stride - s.pad + kw;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                acc += (double)x[((n * s.C_in + ci) * s.H + ih) * s.W + iw] *
                       w[((co * s.C_in + ci) * s.KH + kh) * s.KW + kw];
              }
          out[((n * s.C_out + co) * s.H_out + oh) * s.W_out + ow] = (float)acc;
        }
}

// Transposed convolution in its scatter form: every input pixel spreads weight·value over a window.
void direct_conv_transpose(std::vector<float>& out, const std::vector<float>& x,
                           const std::vector<float>& w, const float* b, const ConvShape& s) {
  std::vector<double> acc((size_t)s.N * s.C_out * s.H_out * s.W_out, 0.0);
  for (int n = 0; n < s.N; ++n)
    for (int ci = 0; ci < s.C_in; ++ci)
      for (int ih = 0; ih < s.H; ++ih)
        for (int iw = 0; iw < s.W; ++iw)
          for (int co = 0; co < s.C_out; ++co)
            for (int kh = 0; kh < s.KH; ++kh)
              for (int kw = 0; kw < s.KW; ++kw) {
                int oh = ih * s.stride - s.pad + kh, ow = iw * s.stride - s.pad + kw;
                if (oh < 0 || oh >= s.H_out || ow < 0 || ow >= s.W_out) continue;
                acc[((n * s.C_out + co) * s.H_out + oh) * s.W_out + ow] +=
                    (double)x[((n * s.C_in + ci) * s.H + ih) * s.W + iw] *
                    w[((ci * s.C_out + co) * s.KH + kh) * s.KW + kw];
              }
  out.resize(acc.size());
  const size_t plane = (size_t)s.H_out * s.W_out;
  for (size_t i = 0; i < acc.size(); ++i) out[i] = (float)(acc[i] + (b ? b[i / plane % s.C_out] : 0.0));
}

using ConvFwd = void (*)(float*, const float*, const float*, const float*, const ConvShape&);
using ConvBwd = void (*)(float*, float*, float*, const float*, const float*, const float*, const ConvShape&);

struct ConvOp {
  const char* name;
  bool transposed;
  ConvFwd fwd;
  ConvBwd bwd;
  ConvShape shape(const ConvCase& c) const {
    return transposed ? ConvShape::conv_transpose(c.N, c.C_in, c.H, c.W, c.C_out, c.k, c.stride, c.pad)
                      : ConvShape::conv(c.N, c.C_in, c.H, c.W, c.C_out, c.k, c.stride, c.pad);
  }
  size_t in_size(const ConvShape& s) const { return (size_t)s.N * s.C_in * s.H * s.W; }
  size_t out_size(const ConvShape& s) const { return (size_t)s.N * s.C_out * s.H_out * s.W_out; }
  size_t w_size(const ConvShape& s) const { return (size_t)s.C_in * s.C_out * s.KH * s.KW; }
  void direct(std::vector<float>& out, const std::vector<float>& x, const std::vector<float>& w,
              const float* b, const ConvShape& s) const {
    transposed ? direct_conv_transpose(out, x, w, b, s) : direct_conv(out, x, w, b, s);
  }
};
const ConvOp kConv{"conv2d", false, ref::conv2d_forward, ref::conv2d_backward};
const ConvOp kConvT{"conv_transpose2d", true, ref::conv_transpose2d_forward, ref::conv_transpose2d_backward};

void check_conv_forward(const ConvOp& op) {
  for (const ConvCase& c : conv_cases(op.transposed)) {
    ConvShape s = op.shape(c);
    for (bool with_bias : {true, false}) {
      auto x = randu(op.in_size(s), 11), w = randu(op.w_size(s), 12), b = randu(s.C_out, 13);
      Out out(op.out_size(s));
      op.fwd(out.data(), x.data(), w.data(), with_bias ? b.data() : nullptr, s);
      std::vector<float> want;
      op.direct(want, x, w, with_bias ? b.data() : nullptr, s);
      std::string what = std::string(op.name) + " " + c.str() + (with_bias ? " bias" : "");
      ASSERT_TRUE(out.written(what));
      EXPECT_TRUE(close(what, out.vec(), want, 1e-5, 1e-5));
    }
  }
}

// Each gradient alone equals the same gradient computed with the others.
void check_conv_null_gradients(const ConvOp& op) {
  for (const ConvCase& c : conv_cases(op.transposed)) {
    ConvShape s = op.shape(c);
    auto x = randu(op.in_size(s), 21), w = randu(op.w_size(s), 22), r = randu(op.out_size(s), 24);
    Out dx(x.size()), dw(w.size(), 0.0f), db(s.C_out, 0.0f);
    op.bwd(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), s);
    std::string what = std::string(op.name) + " " + c.str();
    Out dx2(x.size()), dw2(w.size(), 0.0f);
    op.bwd(dx2.data(), nullptr, nullptr, r.data(), x.data(), w.data(), s);
    op.bwd(nullptr, dw2.data(), nullptr, r.data(), x.data(), w.data(), s);
    EXPECT_TRUE(close(what + " dinp alone", dx2.vec(), dx.vec(), 0, 0));
    EXPECT_TRUE(close(what + " dweight alone", dw2.vec(), dw.vec(), 1e-6, 1e-5));
  }
}

TEST(RefOps, Conv2dForwardMatchesDirect) { check_conv_forward(kConv); }
TEST(RefOps, Conv2dBackwardNullGradients) { check_conv_null_gradients(kConv); }
TEST(RefOps, ConvTranspose2dForwardMatchesDirect) { check_conv_forward(kConvT); }
TEST(RefOps, ConvTranspose2dBackwardNullGradients) { check_conv_null_gradients(kConvT); }

// Shapes big enough that the implementation splits the batch into several GEMM chunks (its column
// matrix is capped at a few MB), including a last chunk of one image. Forward against the direct
// loops; backward through the adjoint identities, which hold for any size:
//   Σ dout·F(x, w) = Σ dinp·x = Σ dweight·w   (F bias-free, linear in x and in w).
TEST(RefOps, ConvLargeBatchChunks) {
  // 5 output channels: above the direct path's limit, so conv2d goes through im2col too.
  const ConvCase cases[] = {{3, 32, 54, 54, 5, 3, 1, 1}, {2, 64, 62, 62, 5, 3, 1, 1},
                            {2, 64, 30, 30, 1, 7, 1, 3}};
  for (const ConvOp* op : {&kConv, &kConvT}) {
    for (ConvCase c : cases) {
      if (op->transposed) std::swap(c.C_in, c.C_out);  // the transposed conv's big side is its output
      ConvShape s = op->shape(c);
      auto x = randu(op->in_size(s), 31), w = randu(op->w_size(s), 32);
      auto r = randu(op->out_size(s), 33);
      Out out(op->out_size(s));
      op->fwd(out.data(), x.data(), w.data(), nullptr, s);
      std::string what = std::string(op->name) + " " + c.str();
      ASSERT_TRUE(out.written(what));
      std::vector<float> want;
      op->direct(want, x, w, nullptr, s);
      EXPECT_TRUE(close(what, out.vec(), want, 1e-4, 1e-4));
      Out dx(x.size()), dw(w.size(), 0.0f);
      op->bwd(dx.data(), dw.data(), nullptr, r.data(), x.data(), w.data(), s);
      ASSERT_TRUE(dx.written(what + " dinp"));
      const double lhs = dot(out.data(), r), by_x = dot(dx.data(), x), by_w = dot(dw.data(), w);
      EXPECT_NEAR(by_x, lhs, 1e-4 * (1.0 + std::fabs(lhs))) << what << " dinp adjoint";
      EXPECT_NEAR(by_w, lhs, 1e-4 * (1.0 + std::fabs(lhs))) << what << " dweight adjoint";
    }
  }
}

// Results are bit-identical whatever the thread count (work is split over outputs only), on
// both conv2d paths (im2col + GEMM, and direct) and the transposed conv.
TEST(RefOps, ConvDeterministicAcrossThreadCounts) {
  // Each shape is above the thresholds at which its GEMMs and loops go parallel (parallel.h).
  for (const auto& [op, c] : {std::pair{&kConv, ConvCase{8, 32, 14, 14, 32, 3, 1, 1}},
                              std::pair{&kConv, ConvCase{8, 64, 28, 28, 1, 7, 1, 3}},
                              std::pair{&kConvT, ConvCase{8, 64, 7, 7, 32, 4, 2, 1}}}) {
    ConvShape s = op->shape(c);
    auto x = randu(op->in_size(s), 41), w = randu(op->w_size(s), 42);
    auto b = randu(s.C_out, 43), r = randu(op->out_size(s), 44);
    auto run = [&](int threads) {
      const int saved = omp_get_max_threads();
      omp_set_num_threads(threads);
      std::vector<float> out(r.size()), dx(x.size()), dw(w.size(), 0.0f), db(s.C_out, 0.0f);
      op->fwd(out.data(), x.data(), w.data(), b.data(), s);
      op->bwd(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), s);
      omp_set_num_threads(saved);
      out.insert(out.end(), dx.begin(), dx.end());
      out.insert(out.end(), dw.begin(), dw.end());
      out.insert(out.end(), db.begin(), db.end());
      return out;
    };
    const std::vector<float> one = run(1);
    for (int t : {2, 3, 4}) EXPECT_TRUE(run(t) == one) << op->name << " " << c.str() << ": " << t << " threads differ from 1";
  }
}

// ------------------------------------------------------------------ batchnorm

struct BnCase {
  int N, C, HW;
};
const BnCase kBnCases[] = {{1, 3, 7}, {3, 2, 5}, {4, 3, 1}, {2, 1, 33}};

TEST(RefOps, BatchNormTrainForwardAndRunningStats) {
  for (auto [N, C, HW] : kBnCases) {
    const size_t n = (size_t)N * C * HW;
    auto x = randu(n, 51, -2.0f, 3.0f), g = randu(C, 52, 0.5f, 1.5f), b = randu(C, 53);
    auto rm0 = randu(C, 54), rv0 = randu(C, 55, 0.5f, 2.0f);
    Out out(n), mean(C), invstd(C), rm(C), rv(C);
    std::copy(rm0.begin(), rm0.end(), rm.data());
    std::copy(rv0.begin(), rv0.end(), rv.data());
    const float momentum = 0.1f, eps = 1e-5f;
    ref::batchnorm_forward_train(out.data(), mean.data(), invstd.data(), rm.data(), rv.data(),
                                 x.data(), g.data(), b.data(), N, C, HW, momentum, eps);
    std::string what = "batchnorm N" + std::to_string(N) + " C" + std::to_string(C) + " HW" + std::to_string(HW);
    ASSERT_TRUE(out.written(what));
    std::vector<float> want(n), want_mean(C), want_invstd(C), want_rm(C), want_rv(C);
    for (int c = 0; c < C; ++c) {
      double s = 0, sq = 0;
      const int cnt = N * HW;
      for (int i = 0; i < N; ++i)
        for (int j = 0; j < HW; ++j) s += x[(i * C + c) * HW + j];
      const double m = s / cnt;
      for (int i = 0; i < N; ++i)
        for (int j = 0; j < HW; ++j) sq += (x[(i * C + c) * HW + j] - m) * (x[(i * C + c) * HW + j] - m);
      const double var = sq / cnt, is = 1.0 / std::sqrt(var + eps);
      for (int i = 0; i < N; ++i)
        for (int j = 0; j < HW; ++j)
          want[(i * C + c) * HW + j] = (float)((x[(i * C + c) * HW + j] - m) * is * g[c] + b[c]);
      want_mean[c] = (float)m;
      want_invstd[c] = (float)is;
      // torch.nn.BatchNorm: running stats move by momentum toward the batch mean and the
      // UNBIASED batch variance.
      want_rm[c] = (float)((1 - momentum) * rm0[c] + momentum * m);
      want_rv[c] = (float)((1 - momentum) * rv0[c] + momentum * (cnt > 1 ? sq / (cnt - 1) : var));
    }
    EXPECT_TRUE(close(what + " out", out.vec(), want, 1e-4, 1e-4));
    EXPECT_TRUE(close(what + " save_mean", mean.vec(), want_mean, 1e-6, 1e-5));
    EXPECT_TRUE(close(what + " save_invstd", invstd.vec(), want_invstd, 1e-6, 1e-5));
    EXPECT_TRUE(close(what + " running_mean", rm.vec(), want_rm, 1e-6, 1e-5));
    EXPECT_TRUE(close(what + " running_var", rv.vec(), want_rv, 1e-6, 1e-5));
  }
}

TEST(RefOps, BatchNormEvalUsesRunningStats) {
  const int N = 2, C = 3, HW = 5;
  auto x = randu(N * C * HW, 61), g = randu(C, 62), b = randu(C, 63);
  auto rm = randu(C, 64), rv = randu(C, 65, 0.2f, 3.0f);
  Out out(x.size());
  ref::batchnorm_forward_eval(out.data(), x.data(), g.data(), b.data(), rm.data(), rv.data(), N, C, HW, 1e-5f);
  ASSERT_TRUE(out.written("batchnorm eval"));
  std::vector<float> want(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int c = (int)(i / HW % C);
    want[i] = (float)((x[i] - rm[c]) / std::sqrt((double)rv[c] + 1e-5) * g[c] + b[c]);
  }
  EXPECT_TRUE(close("batchnorm eval", out.vec(), want, 1e-5, 1e-5));
}

// ------------------------------------------------------------------ pointwise

TEST(RefOps, ActivationsForwardMatchFormulas) {
  struct Case {
    Act act;
    const char* name;
    double (*f)(double);
  };
  const float alpha = 0.2f;
  const Case cases[] = {
      {Act::LeakyRelu, "leaky_relu", [](double x) { return x > 0 ? x : 0.2 * x; }},
      {Act::Relu, "relu", [](double x) { return x > 0 ? x : 0.0; }},
      {Act::Tanh, "tanh", [](double x) { return std::tanh(x); }},
      {Act::Sigmoid, "sigmoid", [](double x) { return 1.0 / (1.0 + std::exp(-x)); }},
  };
  for (const Case& c : cases) {
    for (int64_t n : {1, 7, 100}) {
      auto x = away_from_zero(n, 81);
      for (auto& v : x) v *= 3.0f;
      Out out(n);
      ref::activation_forward(c.act, out.data(), x.data(), n, alpha);
      std::string what = std::string(c.name) + " n" + std::to_string(n);
      ASSERT_TRUE(out.written(what));
      std::vector<float> want(n);
      for (int64_t i = 0; i < n; ++i) want[i] = (float)c.f(x[i]);
      EXPECT_TRUE(close(what + " forward", out.vec(), want, 1e-6, 1e-5));
    }
  }
  // Saturated extremes stay finite.
  const float big[] = {-1000.0f, 1000.0f};
  float out[2];
  ref::activation_forward(Act::Sigmoid, out, big, 2, 0.0f);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 1.0f);
}

TEST(RefOps, DropoutMaskDeterminism) {
  const int64_t n = 100000;
  const float p = 0.4f;
  auto x = randu(n, 91);
  Out out1(n), mask1(n), out2(n), mask2(n), out3(n), mask3(n);
  ref::dropout_forward(out1.data(), mask1.data(), x.data(), n, p, 1234, 0);
  ref::dropout_forward(out2.data(), mask2.data(), x.data(), n, p, 1234, 0);
  ref::dropout_forward(out3.data(), mask3.data(), x.data(), n, p, 1234, 777);
  ASSERT_TRUE(out1.written("dropout out"));
  ASSERT_TRUE(mask1.written("dropout mask"));
  EXPECT_TRUE(mask1.vec() == mask2.vec()) << "same seed and offset must give the same mask";
  int64_t kept = 0, same = 0;
  const float scale = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(mask1[i] == 0.0f || mask1[i] == scale) << "mask[" << i << "] = " << mask1[i];
    // The contract: keep exactly when philox_uniform(seed, offset + i) >= p.
    ASSERT_EQ(mask1[i] != 0.0f, philox_uniform(1234, (uint64_t)i) >= p) << "element " << i;
    ASSERT_EQ(out1[i], x[i] * mask1[i]);
    kept += mask1[i] != 0.0f;
    same += mask1[i] == mask3[i];
  }
  // Keep fraction 1 − p, within 5 standard deviations of a binomial.
  const double frac = (double)kept / n, sd = std::sqrt(p * (1 - p) / n);
  EXPECT_NEAR(frac, 1.0 - p, 5 * sd);
  // A different offset draws an independent mask: agreement ≈ p² + (1−p)² = 0.52.
  EXPECT_NEAR((double)same / n, p * p + (1 - p) * (1 - p), 0.02);
  // Offset shifts the stream: offset 777 at i equals offset 0 at 777 + i.
  Out out4(n), mask4(n);
  ref::dropout_forward(out4.data(), mask4.data(), x.data(), n, p, 1234, 0);
  for (int64_t i = 0; i + 777 < n; i += 97) ASSERT_EQ(mask3[i], mask4[i + 777]);
  // Another seed, another mask.
  ref::dropout_forward(out4.data(), mask4.data(), x.data(), n, p, 1235, 0);
  EXPECT_FALSE(mask4.vec() == mask1.vec());
  // Short masks at offsets that straddle the implementation's counter groups, and a large
  // step-shifted offset (CpuOps passes step·2^40 + offset), element by element.
  const uint64_t seed = 0x123456789abcdefull;
  for (auto [len, off] : {std::pair<int64_t, uint64_t>{1, 63}, {5, 62}, {130, 3}, {64, 64},
                          {200, (uint64_t(7) << 40) + 5}}) {
    Out o(len), m(len);
    ref::dropout_forward(o.data(), m.data(), x.data(), len, p, seed, off);
    ASSERT_TRUE(m.written("dropout mask n" + std::to_string(len)));
    for (int64_t i = 0; i < len; ++i)
      ASSERT_EQ(m[i] != 0.0f, philox_uniform(seed, off + (uint64_t)i) >= p) << "n " << len << " offset " << off << " element " << i;
  }
}

TEST(RefOps, DropoutZeroRateKeepsEverything) {
  const int64_t n = 33;
  auto x = randu(n, 92);
  Out out(n), mask(n);
  ref::dropout_forward(out.data(), mask.data(), x.data(), n, 0.0f, 7, 0);
  ASSERT_TRUE(mask.written("dropout p=0 mask"));
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(mask[i], 1.0f);
    EXPECT_EQ(out[i], x[i]);
  }
}

TEST(RefOps, ConcatForwardCopiesChannels) {
  for (auto [N, Ca, Cb, HW] : {std::tuple{1, 1, 1, 1}, {2, 3, 1, 5}, {3, 128, 1, 49}}) {
    auto a = randu((size_t)N * Ca * HW, 101), b = randu((size_t)N * Cb * HW, 102);
    Out out((size_t)N * (Ca + Cb) * HW);
    ref::concat_forward(out.data(), a.data(), b.data(), N, Ca, Cb, HW);
    ASSERT_TRUE(out.written("concat"));
    for (int n = 0; n < N; ++n)
      for (int c = 0; c < Ca + Cb; ++c)
        for (int i = 0; i < HW; ++i) {
          float want = c < Ca ? a[((size_t)n * Ca + c) * HW + i] : b[((size_t)n * Cb + c - Ca) * HW + i];
          ASSERT_EQ(out[((size_t)n * (Ca + Cb) + c) * HW + i], want) << "n" << n << " c" << c << " i" << i;
        }
  }
}


TEST(RefOps, EmbeddingForwardAndBadLabel) {
  const int B = 6, num = 4, dim = 5;
  const int32_t labels[B] = {2, 0, 2, 3, 2, 1};  // repeated labels must accumulate
  auto table = randu((size_t)num * dim, 111);
  Out out((size_t)B * dim);
  ref::embedding_forward(out.data(), labels, table.data(), B, num, dim);
  ASSERT_TRUE(out.written("embedding"));
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < dim; ++j) ASSERT_EQ(out[b * dim + j], table[labels[b] * dim + j]);
  const int32_t bad[1] = {num};
  EXPECT_THROW(ref::embedding_forward(out.data(), bad, table.data(), 1, num, dim), std::out_of_range);
}

// ------------------------------------------------------------------ losses

TEST(RefOps, BceLogitsValueAccuracyAndStability) {
  const int B = 9;
  auto x = away_from_zero(B, 121);
  for (auto& v : x) v *= 4.0f;
  std::vector<float> t = {1, 0, 1, 1, 0, 0, 1, 0, 0.3f};
  const float scale = 1.5f;
  float loss = kNaN, correct = kNaN;
  Out dx(B);
  ref::bce_logits(&loss, &correct, dx.data(), x.data(), t.data(), B, scale);
  ASSERT_TRUE(dx.written("bce dlogits"));
  double want = 0;
  int hits = 0;
  for (int b = 0; b < B; ++b) {
    const double s = 1.0 / (1.0 + std::exp(-(double)x[b]));
    want -= t[b] * std::log(s) + (1 - t[b]) * std::log(1 - s);
    hits += (x[b] > 0) == (t[b] > 0.5f);
  }
  EXPECT_NEAR(loss, want / B, 1e-6 * (1 + want / B));
  EXPECT_EQ(correct, (float)hits);
  // Stable for extreme logits: ℓ(±100, t) is finite and exact.
  const float ex[2] = {100.0f, -100.0f}, et[2] = {0.0f, 0.0f};
  float el, ed[2];
  ref::bce_logits(&el, nullptr, ed, ex, et, 2, 1.0f);
  EXPECT_NEAR(el, 50.0f, 1e-4);  // (100 + 0)/2
  EXPECT_NEAR(ed[0], 0.5f, 1e-6);
  EXPECT_NEAR(ed[1], 0.0f, 1e-6);
}

TEST(RefOps, SoftmaxXentValueAccuracyAndStability) {
  for (auto [B, C] : {std::pair{1, 1}, {1, 10}, {5, 10}, {7, 3}}) {
    auto x = randu((size_t)B * C, 131, -3.0f, 3.0f);
    std::vector<int32_t> y(B);
    for (int b = 0; b < B; ++b) y[b] = (b * 7 + 3) % C;
    const float scale = 0.7f;
    float loss = kNaN, correct = kNaN;
    Out dx((size_t)B * C);
    ref::softmax_xent(&loss, &correct, dx.data(), x.data(), y.data(), B, C, scale);
    std::string what = "softmax_xent B" + std::to_string(B) + " C" + std::to_string(C);
    ASSERT_TRUE(dx.written(what));
    double want = 0;
    int hits = 0;
    for (int b = 0; b < B; ++b) {
      double z = 0;
      int arg = 0;
      for (int c = 0; c < C; ++c) {
        z += std::exp((double)x[b * C + c]);
        if (x[b * C + c] > x[b * C + arg]) arg = c;
      }
      want += std::log(z) - x[b * C + y[b]];
      hits += arg == y[b];
    }
    EXPECT_NEAR(loss, want / B, 1e-5) << what;
    EXPECT_EQ(correct, (float)hits) << what;
  }
  // Stable for huge logits (a naive exp would overflow to inf).
  const float big[3] = {1000.0f, 0.0f, -1000.0f};
  const int32_t lab[1] = {1};
  float l, c, d[3];
  ref::softmax_xent(&l, &c, d, big, lab, 1, 3, 1.0f);
  EXPECT_NEAR(l, 1000.0f, 1e-3);
  EXPECT_EQ(c, 0.0f);
  EXPECT_NEAR(d[0], 1.0f, 1e-6);
  EXPECT_NEAR(d[1], -1.0f, 1e-6);
}

// ------------------------------------------------------------------ adam

// Worked by hand with lr 0.1, β1 0.5, β2 0.75, ε 0.5 (values exact in binary), p₀ = 1:
//   t=1, g=2:  m = 1, v = 1, m̂ = 1/0.5 = 2, v̂ = 1/0.25 = 4, p = 1 − 0.1·2/(2 + 0.5) = 0.92
//   t=2, g=4:  m = 0.5 + 2 = 2.5, v = 0.75 + 4 = 4.75, m̂ = 2.5/0.75, v̂ = 4.75/0.4375,
//              p = 0.92 − 0.1·(10/3)/(√10.857142… + 0.5) = 0.832165543…
// With weight decay 0.5 (g ← g + 0.5·p, as torch.optim.Adam):
//   t=1: g = 2.5, m = 1.25, v = 1.5625, p = 1 − 0.1·2.5/(2.5 + 0.5) = 0.916666…
//   t=2: g = 4 + 0.458333… , m = 2.854166…, v = 6.141059…, p = 0.827051632…
TEST(RefOps, AdamMatchesHandComputedTwoSteps) {
  for (bool decay : {false, true}) {
    AdamHyper h;
    h.lr = 0.1f;
    h.beta1 = 0.5f;
    h.beta2 = 0.75f;
    h.eps = 0.5f;
    h.weight_decay = decay ? 0.5f : 0.0f;
    float p[2] = {1.0f, 1.0f}, m[2] = {0, 0}, v[2] = {0, 0}, g[2] = {2.0f, 2.0f};
    std::vector<AdamParam> params = {{&p[0], &g[0], &m[0], &v[0], 1}, {&p[1], &g[1], &m[1], &v[1], 1}};
    ref::adam_update(params, h, 1);
    EXPECT_FLOAT_EQ(m[0], decay ? 1.25f : 1.0f);
    EXPECT_FLOAT_EQ(v[0], decay ? 1.5625f : 1.0f);
    EXPECT_FLOAT_EQ(p[0], decay ? 0.91666667f : 0.92f);
    g[0] = g[1] = 4.0f;
    ref::adam_update(params, h, 2);
    EXPECT_NEAR(p[0], decay ? 0.8270516321 : 0.8321655435, 1e-6);
    EXPECT_EQ(p[1], p[0]) << "every tensor in the list is updated";
  }
  AdamHyper h;
  float p = 0, m = 0, v = 0, g = 0;
  std::vector<AdamParam> params = {{&p, &g, &m, &v, 1}};
  EXPECT_THROW(ref::adam_update(params, h, 0), std::invalid_argument);
}

// ------------------------------------------------------------------ image grid

TEST(RefOps, ImageGridExactPixels) {
  // 3 grey 2×2 images in a 2×2 grid with 1 pixel of padding: a 5×5 picture, the fourth cell empty.
  const float imgs[12] = {-1.0f, 1.0f, 0.0f, -0.5f,     // round(63.75) = 64
                          2.0f, -3.0f, 0.5f, -0.999f,   // clamped; round(191.25) = 191; round(0.1275) = 0
                          0.004f, 0.996f, -0.996f, kNaN};  // 128.01 → 128, 254.49 → 254, 0.51 → 1
  uint8_t out[25];
  std::fill(out, out + 25, 77);
  ref::image_grid(out, imgs, 3, 1, 2, 2, 2, 2, 1);
  const uint8_t want[25] = {
      0,   255, 0, 255, 0,    //
      128, 64,  0, 191, 0,    //
      0,   0,   0, 0,   0,    // padding row
      128, 254, 0, 0,   0,    // image 2 (NaN → 0), then the empty cell
      1,   0,   0, 0,   0,
  };
  for (int i = 0; i < 25; ++i) EXPECT_EQ(out[i], want[i]) << "pixel (" << i / 5 << ", " << i % 5 << ")";

  // Colour: HWC interleaving, no padding, 1×2 grid.
  const float rgb[2 * 3 * 1 * 1] = {1.0f, -1.0f, 0.0f,   // image 0: r, g, b
                                    -1.0f, 0.0f, 1.0f};  // image 1
  uint8_t out2[6];
  ref::image_grid(out2, rgb, 2, 3, 1, 1, 1, 2, 0);
  const uint8_t want2[6] = {255, 0, 128, 0, 128, 255};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out2[i], want2[i]) << "byte " << i;
}

// ------------------------------------------------------------------ accumulation

// Parameter gradients accumulate: two backward calls from zero give exactly twice one call.
TEST(RefOps, BackwardTwiceDoublesParameterGradients) {
  auto twice = [](const std::string& what, const std::function<void(float*, float*)>& bwd, size_t nw, size_t nb) {
    std::vector<float> w1(nw, 0.0f), b1(nb, 0.0f), w2(nw, 0.0f), b2(nb, 0.0f);
    bwd(w1.data(), b1.data());
    bwd(w2.data(), b2.data());
    bwd(w2.data(), b2.data());
    for (auto& v : w1) v *= 2;
    for (auto& v : b1) v *= 2;
    EXPECT_TRUE(close(what + " dweight", w2, w1, 0, 1e-6));
    EXPECT_TRUE(close(what + " dbias", b2, b1, 0, 1e-6));
  };
  {
    const int B = 3, I = 5, O = 4;
    auto x = randu(B * I, 141), w = randu(O * I, 142), r = randu(B * O, 143);
    twice("linear", [&](float* dw, float* db) {
      ref::linear_backward(nullptr, dw, db, r.data(), x.data(), w.data(), B, I, O);
    }, w.size(), O);
  }
  for (const ConvOp* op : {&kConv, &kConvT}) {
    ConvShape s = op->shape({2, 3, 5, 4, 2, 4, 2, 1});
    auto x = randu(op->in_size(s), 144), w = randu(op->w_size(s), 145), r = randu(op->out_size(s), 146);
    twice(op->name, [&](float* dw, float* db) { op->bwd(nullptr, dw, db, r.data(), x.data(), w.data(), s); },
          w.size(), s.C_out);
  }
  {
    const int N = 2, C = 3, HW = 4;
    auto x = randu(N * C * HW, 147), g = randu(C, 148), r = randu(N * C * HW, 149);
    std::vector<float> out(x.size()), mean(C), invstd(C);
    ref::batchnorm_forward_train(out.data(), mean.data(), invstd.data(), nullptr, nullptr, x.data(),
                                 g.data(), nullptr, N, C, HW, 0.1f, 1e-5f);
    twice("batchnorm", [&](float* dg, float* db) {
      ref::batchnorm_backward(nullptr, dg, db, r.data(), x.data(), g.data(), mean.data(), invstd.data(), N, C, HW);
    }, C, C);
  }
  {
    const int32_t labels[3] = {1, 0, 1};
    auto r = randu(3 * 4, 150);
    twice("embedding", [&](float* dt, float*) { ref::embedding_backward(dt, r.data(), labels, 3, 2, 4); }, 8, 0);
  }
}

}  // namespace
}  // namespace gan

namespace gan {
namespace {

// Opt-in: milliseconds per call (best of 3 after a warm-up) for the default AC-GAN's conv layers
// at batch 64, forward and backward (all gradients):
//   build/test_core --gtest_filter='RefOps.DISABLED_ConvBenchmark' --gtest_also_run_disabled_tests
TEST(RefOps, DISABLED_ConvBenchmark) {
  struct Layer {
    const char* what;
    const ConvOp* op;
    ConvCase c;
  };
  const Layer layers[] = {
      {"D conv1 1->128 k3 s2 28x28", &kConv, {64, 1, 28, 28, 128, 3, 2, 1}},
      {"D conv2 128->128 k3 s1 14x14", &kConv, {64, 128, 14, 14, 128, 3, 1, 1}},
      {"D conv3 128->128 k3 s2 14x14", &kConv, {64, 128, 14, 14, 128, 3, 2, 1}},
      {"D conv4 128->128 k3 s1 7x7", &kConv, {64, 128, 7, 7, 128, 3, 1, 1}},
      {"G convT1 129->128 k4 s2 7x7", &kConvT, {64, 129, 7, 7, 128, 4, 2, 1}},
      {"G convT2 128->128 k4 s2 14x14", &kConvT, {64, 128, 14, 14, 128, 4, 2, 1}},
      {"G conv 128->1 k7 s1 28x28", &kConv, {64, 128, 28, 28, 1, 7, 1, 3}},
  };
  auto best_ms = [](const std::function<void()>& f) {
    double best = 1e30;
    for (int rep = 0; rep < 4; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      f();
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (rep > 0) best = std::min(best, ms);
    }
    return best;
  };
  for (const Layer& l : layers) {
    ConvShape s = l.op->shape(l.c);
    auto x = randu(l.op->in_size(s), 1), w = randu(l.op->w_size(s), 2), b = randu(s.C_out, 3);
    std::vector<float> out(l.op->out_size(s)), dx(x.size()), dw(w.size()), db(s.C_out);
    const double flops = 2.0 * s.N * s.C_in * s.C_out * s.KH * s.KW *
                         (l.op->transposed ? (double)s.H * s.W : (double)s.H_out * s.W_out);
    const double fwd = best_ms([&] { l.op->fwd(out.data(), x.data(), w.data(), b.data(), s); });
    const double bwd = best_ms([&] {
      l.op->bwd(dx.data(), dw.data(), db.data(), out.data(), x.data(), w.data(), s);
    });
    std::printf("%-32s forward %8.2f ms (%6.1f GFLOP/s)  backward %8.2f ms (%6.1f GFLOP/s)\n", l.what,
                fwd, flops / fwd * 1e-6, bwd, 2 * flops / bwd * 1e-6);
  }
}

}  // namespace
}  // namespace gan
