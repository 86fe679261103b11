// --precision bf16 on CUDA against the CPU reference at the same precision (src/precision.h: the
// CPU rounds where the GPU does, so only the order of the fp32 sums differs): the conversion
// kernels bit for bit, linear and conv within one bf16 rounding step of the outputs' scale.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "gpu_test_util.h"
#ifdef GAN_HAVE_CUDA
#include "kernels/cuda_ops.h"
#endif

namespace gan {
namespace {
using namespace gputest;

#ifdef GAN_HAVE_CUDA
// Sets the process-wide CUDA precision for one test and restores it.
struct PrecisionScope {
  explicit PrecisionScope(Precision p) : was(cuda::precision()) { cuda::set_precision(p); }
  ~PrecisionScope() { cuda::set_precision(was); }
  Precision was;
};

// A bf16 output may differ by one bf16 step (2^-8 relative) where the fp32 sums straddle a
// rounding boundary, on top of the sums' own difference.
Tol bf16_tol(const std::vector<float>& ref) { return Tol{5e-3 * max_abs(ref), 8e-3}; }

TEST(CudaPrecision, RoundingKernelMatchesTheCpuFunctionBitForBit) {
  GAN_REQUIRE_CUDA(ops);
  std::mt19937 g(3);
  std::vector<float> x(1 << 20);
  for (auto& v : x) {
    uint32_t u = g();
    std::memcpy(&v, &u, sizeof v);
  }
  x[0] = INFINITY, x[1] = -INFINITY, x[2] = 1.0f + std::ldexp(1.0f, -8), x[3] = 1.0f + 3 * std::ldexp(1.0f, -8);
  DevBuf<float> d(*ops, x);
  cuda::round_bf16_inplace(d.ptr(), (int64_t)x.size(), static_cast<cuda::CudaOps&>(*ops).stream());
  const std::vector<float> got = d.download();
  for (size_t i = 0; i < x.size(); ++i) {
    const float want = round_bf16(x[i]);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got[i])) << i;
      continue;
    }
    ASSERT_EQ(std::memcmp(&got[i], &want, sizeof want), 0) << i << ": " << x[i] << " → " << got[i] << ", want " << want;
  }
}

TEST(CudaPrecision, Bf16LinearMatchesTheBf16CpuReference) {
  GAN_REQUIRE_CUDA(ops);
  PrecisionScope scope(Precision::Bf16);
  const int B = 128, I = 6272, O = 10;
  const auto x = randu((size_t)B * I, 1), w = randu((size_t)O * I, 2, -0.1f, 0.1f), b = randu(O, 3),
             dy = randu((size_t)B * O, 4);
  std::vector<float> y(B * O), dx(B * I), dw(O * I, 0.0f), db(O, 0.0f);
  ref::linear_forward(Precision::Bf16, y.data(), x.data(), w.data(), b.data(), B, I, O);
  ref::linear_backward(Precision::Bf16, dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), B, I, O);
  DevBuf<float> dX(*ops, x), dW(*ops, w), dB(*ops, b), dY(*ops, dy), out(*ops, y.size()), gX(*ops, dx.size()),
      gW(*ops, std::vector<float>(dw.size(), 0.0f)), gB(*ops, std::vector<float>(O, 0.0f));
  out.poison();
  gX.poison();
  ops->set_precision(Precision::Bf16);
  ops->linear_forward(out.ptr(), dX.ptr(), dW.ptr(), dB.ptr(), B, I, O);
  ops->linear_backward(gX.ptr(), gW.ptr(), gB.ptr(), dY.ptr(), dX.ptr(), dW.ptr(), B, I, O);
  EXPECT_TRUE(close("out", out.download(), y, bf16_tol(y)));
  EXPECT_TRUE(close("dinp", gX.download(), dx, bf16_tol(dx)));
  EXPECT_TRUE(close("dweight", gW.download(), dw, bf16_tol(dw)));
  EXPECT_TRUE(close("dbias", gB.download(), db, Tol{1e-5 * max_abs(db), 1e-4}));
}

TEST(CudaPrecision, Bf16ConvMatchesTheBf16CpuReference) {
  GAN_REQUIRE_CUDA(ops);
  PrecisionScope scope(Precision::Bf16);
  ops->set_precision(Precision::Bf16);
  for (bool transposed : {false, true}) {
    SCOPED_TRACE(transposed ? "conv_transpose2d" : "conv2d");
    const ConvShape s = transposed ? ConvShape::conv_transpose(64, 32, 7, 7, 32, 4, 2, 1)
                                   : ConvShape::conv(64, 32, 14, 14, 32, 3, 2, 1);
    const size_t nin = (size_t)s.N * s.C_in * s.H * s.W, nout = (size_t)s.N * s.C_out * s.H_out * s.W_out,
                 nw = (size_t)s.C_in * s.C_out * s.KH * s.KW;
    const auto x = randu(nin, 5), w = randu(nw, 6, -0.1f, 0.1f), b = randu(s.C_out, 7), dy = randu(nout, 8);
    std::vector<float> y(nout), dx(nin), dw(nw, 0.0f), db(s.C_out, 0.0f);
    if (transposed) {
      ref::conv_transpose2d_forward(Precision::Bf16, y.data(), x.data(), w.data(), b.data(), s);
      ref::conv_transpose2d_backward(Precision::Bf16, dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), s);
    } else {
      ref::conv2d_forward(Precision::Bf16, y.data(), x.data(), w.data(), b.data(), s);
      ref::conv2d_backward(Precision::Bf16, dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), s);
    }
    DevBuf<float> dX(*ops, x), dW(*ops, w), dB(*ops, b), dY(*ops, dy), out(*ops, nout), gX(*ops, nin),
        gW(*ops, std::vector<float>(nw, 0.0f)), gB(*ops, std::vector<float>(s.C_out, 0.0f));
    out.poison();
    gX.poison();
    if (transposed) {
      ops->conv_transpose2d_forward(out.ptr(), dX.ptr(), dW.ptr(), dB.ptr(), s);
      ops->conv_transpose2d_backward(gX.ptr(), gW.ptr(), gB.ptr(), dY.ptr(), dX.ptr(), dW.ptr(), s);
    } else {
      ops->conv2d_forward(out.ptr(), dX.ptr(), dW.ptr(), dB.ptr(), s);
      ops->conv2d_backward(gX.ptr(), gW.ptr(), gB.ptr(), dY.ptr(), dX.ptr(), dW.ptr(), s);
    }
    EXPECT_TRUE(close("out", out.download(), y, bf16_tol(y)));
    EXPECT_TRUE(close("dinp", gX.download(), dx, bf16_tol(dx)));
    EXPECT_TRUE(close("dweight", gW.download(), dw, bf16_tol(dw)));
    EXPECT_TRUE(close("dbias", gB.download(), db, Tol{1e-5 * max_abs(db), 1e-4}));
  }
  ops->set_precision(Precision::Fp32);
}
#endif

}  // namespace
}  // namespace gan
