// CUDA vs CPU reference: linear (cuBLAS), conv2d and conv_transpose2d (cuDNN), batchnorm.
// Shapes: batch 1, odd sizes, and every layer of acgan28 and dcgan64 (dcgan at batch 16 to keep
// the CPU reference quick). Matrix products are compared with atol scaled by the reference's
// largest magnitude (the sums run in different orders), tighter in FP32 than in TF32. The
// reference runs at the CUDA backend's precision (GAN_PRECISION; src/precision.h), so tf32 and
// bf16 compare like with like.
#include <gtest/gtest.h>

#include "gpu_test_util.h"

namespace gan {
namespace {
using namespace gputest;

// Per-precision tolerance for sums of products: the error of a K-term sum grows like √K·ε·|terms|,
// so atol is a fraction of the largest reference value. SGEMM sums products exactly as written;
// cuDNN may pick Winograd or FFT convolutions (deterministic, FP32, but transform-based), whose
// error is a few 1e-6 of the output's scale, hence a looser FP32 bound for conv.
Tol matmul_tol(const std::vector<float>& ref) {
  const double m = max_abs(ref);
  if (test_precision() == Precision::Bf16) return Tol{5e-3 * m, 8e-3};  // one bf16 step: test_gpu_precision.cpp
  return tf32_on() ? Tol{3e-3 * m, 3e-3} : Tol{2e-5 * m, 1e-4};
}
Tol conv_tol(const std::vector<float>& ref) {
  const double m = max_abs(ref);
  if (test_precision() == Precision::Bf16) return Tol{5e-3 * m, 8e-3};
  return tf32_on() ? Tol{3e-3 * m, 3e-3} : Tol{1e-4 * m, 1e-3};
}

void run_linear(Ops& ops, int B, int C_in, int C_out, bool bias) {
  SCOPED_TRACE("linear B " + std::to_string(B) + " " + std::to_string(C_in) + "->" + std::to_string(C_out) + (bias ? " bias" : ""));
  auto x = randu((size_t)B * C_in, 101), w = randu((size_t)C_out * C_in, 102, -0.1f, 0.1f);
  auto b = randu(C_out, 103), dy = randu((size_t)B * C_out, 104);
  auto dw0 = randu(w.size(), 105), db0 = randu(C_out, 106);
  std::vector<float> y_ref((size_t)B * C_out), dx_ref(x.size()), dw_ref = dw0, db_ref = db0;
  ref::linear_forward(test_precision(), y_ref.data(), x.data(), w.data(), bias ? b.data() : nullptr, B, C_in, C_out);
  ref::linear_backward(test_precision(), dx_ref.data(), dw_ref.data(), bias ? db_ref.data() : nullptr, dy.data(), x.data(), w.data(), B, C_in, C_out);
  DevBuf<float> dX(ops, x), dW(ops, w), dB(ops, b), dY(ops, y_ref.size()), dDy(ops, dy), dDx(ops, x.size()), dDw(ops, dw0), dDb(ops, db0);
  dY.poison();
  dDx.poison();
  ops.linear_forward(dY.ptr(), dX.ptr(), dW.ptr(), bias ? dB.ptr() : nullptr, B, C_in, C_out);
  ops.linear_backward(dDx.ptr(), dDw.ptr(), bias ? dDb.ptr() : nullptr, dDy.ptr(), dX.ptr(), dW.ptr(), B, C_in, C_out);
  EXPECT_DEV_CLOSE(dY, y_ref, matmul_tol(y_ref));
  EXPECT_DEV_CLOSE(dDx, dx_ref, matmul_tol(dx_ref));
  EXPECT_DEV_CLOSE(dDw, dw_ref, matmul_tol(dw_ref));
  if (bias) EXPECT_DEV_CLOSE(dDb, db_ref, (Tol{1e-5 * max_abs(db_ref), 1e-5}));
}

TEST(CudaLinear, MatchesReferenceOverShapeSweep) {
  GAN_REQUIRE_CUDA(ops);
  struct S { int B, C_in, C_out; };
  // odd sizes, batch 1, then the models' heads and input projections (B = 64 for D's half batches)
  for (S s : {S{1, 1, 1}, S{3, 5, 7}, S{127, 33, 65}, S{1, 100, 6272}, S{64, 6272, 1}, S{64, 6272, 10},
              S{128, 6272, 1}, S{128, 6272, 10}, S{128, 100, 6272}, S{128, 50, 49}})
    for (bool bias : {true, false}) run_linear(*ops, s.B, s.C_in, s.C_out, bias);
}

#ifdef GAN_HAVE_CUDA
TEST(CudaLinear, Tf32FlagStaysWithinTf32Tolerance) {
  GAN_REQUIRE_CUDA(ops);
  const Precision was = cuda::precision();
  cuda::set_precision(Precision::Tf32);
  run_linear(*ops, 128, 6272, 10, true);
  run_linear(*ops, 128, 100, 6272, true);
  cuda::set_precision(was);
}
#endif

void run_conv(Ops& ops, const ConvShape& s, bool transposed, bool bias) {
  SCOPED_TRACE(std::string(transposed ? "conv_transpose2d" : "conv2d") + " N " + std::to_string(s.N) + " " +
               std::to_string(s.C_in) + "x" + std::to_string(s.H) + "x" + std::to_string(s.W) + " -> " +
               std::to_string(s.C_out) + "x" + std::to_string(s.H_out) + "x" + std::to_string(s.W_out) +
               " k" + std::to_string(s.KH) + " s" + std::to_string(s.stride) + " p" + std::to_string(s.pad));
  const size_t nx = (size_t)s.N * s.C_in * s.H * s.W, ny = (size_t)s.N * s.C_out * s.H_out * s.W_out;
  const size_t nw = (size_t)s.C_out * s.C_in * s.KH * s.KW;  // same count in either layout
  auto x = randu(nx, 201), w = randu(nw, 202, -0.1f, 0.1f), b = randu(s.C_out, 203), dy = randu(ny, 204);
  auto dw0 = randu(nw, 205), db0 = randu(s.C_out, 206);
  std::vector<float> y_ref(ny), dx_ref(nx), dw_ref = dw0, db_ref = db0;
  const float* bp = bias ? b.data() : nullptr;
  float* dbp = bias ? db_ref.data() : nullptr;
  if (!transposed) {
    ref::conv2d_forward(test_precision(), y_ref.data(), x.data(), w.data(), bp, s);
    ref::conv2d_backward(test_precision(), dx_ref.data(), dw_ref.data(), dbp, dy.data(), x.data(), w.data(), s);
  } else {
    ref::conv_transpose2d_forward(test_precision(), y_ref.data(), x.data(), w.data(), bp, s);
    ref::conv_transpose2d_backward(test_precision(), dx_ref.data(), dw_ref.data(), dbp, dy.data(), x.data(), w.data(), s);
  }
  DevBuf<float> dX(ops, x), dW(ops, w), dB(ops, b), dY(ops, ny), dDy(ops, dy), dDx(ops, nx), dDw(ops, dw0), dDb(ops, db0);
  dY.poison();
  dDx.poison();
  if (!transposed) {
    ops.conv2d_forward(dY.ptr(), dX.ptr(), dW.ptr(), bias ? dB.ptr() : nullptr, s);
    ops.conv2d_backward(dDx.ptr(), dDw.ptr(), bias ? dDb.ptr() : nullptr, dDy.ptr(), dX.ptr(), dW.ptr(), s);
  } else {
    ops.conv_transpose2d_forward(dY.ptr(), dX.ptr(), dW.ptr(), bias ? dB.ptr() : nullptr, s);
    ops.conv_transpose2d_backward(dDx.ptr(), dDw.ptr(), bias ? dDb.ptr() : nullptr, dDy.ptr(), dX.ptr(), dW.ptr(), s);
  }
  EXPECT_DEV_CLOSE(dY, y_ref, conv_tol(y_ref));
  EXPECT_DEV_CLOSE(dDx, dx_ref, conv_tol(dx_ref));
  EXPECT_DEV_CLOSE(dDw, dw_ref, conv_tol(dw_ref));
  if (bias) EXPECT_DEV_CLOSE(dDb, db_ref, (Tol{2e-5 * max_abs(db_ref), 1e-5}));
}

TEST(CudaConv2d, MatchesReferenceOverShapeSweep) {
  GAN_REQUIRE_CUDA(ops);
  const ConvShape shapes[] = {
      ConvShape::conv(1, 1, 5, 5, 1, 3, 1, 1),      // batch 1, single channel
      ConvShape::conv(3, 5, 11, 9, 7, 3, 2, 1),     // odd sizes
      ConvShape::conv(2, 4, 8, 8, 6, 5, 1, 2),
      ConvShape::conv(2, 3, 7, 7, 2, 1, 1, 0),
      // acgan28 discriminator (half batch 64): 28→14→14→7→7, 128 channels
      ConvShape::conv(64, 1, 28, 28, 128, 3, 2, 1),
      ConvShape::conv(64, 128, 14, 14, 128, 3, 1, 1),
      ConvShape::conv(64, 128, 14, 14, 128, 3, 2, 1),
      ConvShape::conv(64, 128, 7, 7, 128, 3, 1, 1),
      // acgan28 generator output conv
      ConvShape::conv(16, 128, 28, 28, 1, 7, 1, 3),
      // dcgan64 discriminator (ndf 64, nc 3)
      ConvShape::conv(16, 3, 64, 64, 64, 4, 2, 1),
      ConvShape::conv(16, 64, 32, 32, 128, 4, 2, 1),
      ConvShape::conv(16, 128, 16, 16, 256, 4, 2, 1),
      ConvShape::conv(16, 256, 8, 8, 512, 4, 2, 1),
      ConvShape::conv(16, 512, 4, 4, 1, 4, 1, 0),
  };
  for (const ConvShape& s : shapes)
    for (bool bias : {true, false}) run_conv(*ops, s, false, bias);
}

TEST(CudaConvTranspose2d, MatchesReferenceOverShapeSweep) {
  GAN_REQUIRE_CUDA(ops);
  const ConvShape shapes[] = {
      ConvShape::conv_transpose(1, 2, 4, 4, 3, 4, 2, 1),   // batch 1
      ConvShape::conv_transpose(3, 5, 5, 6, 7, 3, 2, 1),   // odd sizes
      ConvShape::conv_transpose(2, 3, 3, 3, 2, 5, 1, 2),
      // acgan28 generator (B 128): 7→14→28 from 129 then 128 channels
      ConvShape::conv_transpose(128, 129, 7, 7, 128, 4, 2, 1),
      ConvShape::conv_transpose(128, 128, 14, 14, 128, 4, 2, 1),
      // dcgan64 generator (nz 100, ngf 64, nc 3)
      ConvShape::conv_transpose(16, 100, 1, 1, 512, 4, 1, 0),
      ConvShape::conv_transpose(16, 512, 4, 4, 256, 4, 2, 1),
      ConvShape::conv_transpose(16, 256, 8, 8, 128, 4, 2, 1),
      ConvShape::conv_transpose(16, 128, 16, 16, 64, 4, 2, 1),
      ConvShape::conv_transpose(16, 64, 32, 32, 3, 4, 2, 1),
  };
  for (const ConvShape& s : shapes)
    for (bool bias : {true, false}) run_conv(*ops, s, true, bias);
}

TEST(CudaBatchnorm, TrainEvalBackwardMatchReference) {
  GAN_REQUIRE_CUDA(ops);
  struct S { int N, C, HW; };
  // batch 1 spatial, HW=1 (BatchNorm1d), odd sizes, non-multiple-of-4 HW (scalar path), model shapes
  for (S s : {S{1, 3, 5}, S{2, 3, 1}, S{7, 5, 49}, S{3, 4, 12}, S{64, 128, 196}, S{64, 128, 49},
              S{128, 128, 196}, S{128, 128, 784}, S{16, 512, 16}}) {
    SCOPED_TRACE("N " + std::to_string(s.N) + " C " + std::to_string(s.C) + " HW " + std::to_string(s.HW));
    const size_t n = (size_t)s.N * s.C * s.HW;
    const float momentum = 0.1f, eps = 1e-5f;
    auto x = randu(n, 301, -2, 3), dy = randu(n, 302), g = randu(s.C, 303, 0.5f, 1.5f), b = randu(s.C, 304);
    auto rm0 = randu(s.C, 305), rv0 = randu(s.C, 306, 0.5f, 2.0f), dg0 = randu(s.C, 307), db0 = randu(s.C, 308);
    std::vector<float> y_ref(n), mean_ref(s.C), invstd_ref(s.C), rm_ref = rm0, rv_ref = rv0, ye_ref(n), dx_ref(n), dg_ref = dg0, db_ref = db0;
    ref::batchnorm_forward_train(y_ref.data(), mean_ref.data(), invstd_ref.data(), rm_ref.data(), rv_ref.data(), x.data(), g.data(), b.data(), s.N, s.C, s.HW, momentum, eps);
    ref::batchnorm_forward_eval(ye_ref.data(), x.data(), g.data(), b.data(), rm_ref.data(), rv_ref.data(), s.N, s.C, s.HW, eps);
    ref::batchnorm_backward(dx_ref.data(), dg_ref.data(), db_ref.data(), dy.data(), x.data(), g.data(), mean_ref.data(), invstd_ref.data(), s.N, s.C, s.HW);

    DevBuf<float> dX(*ops, x), dDy(*ops, dy), dG(*ops, g), dB(*ops, b), dRm(*ops, rm0), dRv(*ops, rv0), dDg(*ops, dg0), dDb(*ops, db0);
    DevBuf<float> dY(*ops, n), dMean(*ops, s.C), dInv(*ops, s.C), dYe(*ops, n), dDx(*ops, n);
    for (auto* p : {&dY, &dMean, &dInv, &dYe, &dDx}) p->poison();
    ops->batchnorm_forward_train(dY.ptr(), dMean.ptr(), dInv.ptr(), dRm.ptr(), dRv.ptr(), dX.ptr(), dG.ptr(), dB.ptr(), s.N, s.C, s.HW, momentum, eps);
    ops->batchnorm_forward_eval(dYe.ptr(), dX.ptr(), dG.ptr(), dB.ptr(), dRm.ptr(), dRv.ptr(), s.N, s.C, s.HW, eps);
    // Backward from the reference's saved statistics, so it is tested on its own.
    DevBuf<float> dMeanRef(*ops, mean_ref), dInvRef(*ops, invstd_ref);
    ops->batchnorm_backward(dDx.ptr(), dDg.ptr(), dDb.ptr(), dDy.ptr(), dX.ptr(), dG.ptr(), dMeanRef.ptr(), dInvRef.ptr(), s.N, s.C, s.HW);

    // Statistics: float partial sums on the device vs double on the host.
    EXPECT_DEV_CLOSE(dMean, mean_ref, (Tol{1e-6, 1e-5}));
    EXPECT_DEV_CLOSE(dInv, invstd_ref, (Tol{1e-6, 1e-5}));
    EXPECT_DEV_CLOSE(dRm, rm_ref, (Tol{1e-6, 1e-5}));
    EXPECT_DEV_CLOSE(dRv, rv_ref, (Tol{1e-6, 1e-5}));
    EXPECT_DEV_CLOSE(dY, y_ref, (Tol{1e-5, 1e-5}));
    EXPECT_DEV_CLOSE(dYe, ye_ref, (Tol{1e-5, 1e-5}));
    EXPECT_DEV_CLOSE(dDx, dx_ref, (Tol{1e-5 * max_abs(dx_ref), 1e-4}));
    EXPECT_DEV_CLOSE(dDg, dg_ref, (Tol{1e-5 * max_abs(dg_ref), 1e-4}));
    EXPECT_DEV_CLOSE(dDb, db_ref, (Tol{1e-5 * max_abs(db_ref), 1e-4}));
  }
}

TEST(CudaBatchnorm, RepeatedRunsAreBitIdentical) {
  GAN_REQUIRE_CUDA(ops);
  const int N = 128, C = 128, HW = 196;
  const size_t n = (size_t)N * C * HW;
  auto x = randu(n, 311), dy = randu(n, 312);
  DevBuf<float> dX(*ops, x), dDy(*ops, dy), dY(*ops, n), dM(*ops, C), dI(*ops, C), dDx(*ops, n), dDg(*ops, C), dDb(*ops, C);
  std::vector<float> first_y, first_dx, first_dg;
  for (int run = 0; run < 3; ++run) {
    ops->fill(dDg.ptr(), C, 0.0f);
    ops->fill(dDb.ptr(), C, 0.0f);
    ops->batchnorm_forward_train(dY.ptr(), dM.ptr(), dI.ptr(), nullptr, nullptr, dX.ptr(), nullptr, nullptr, N, C, HW, 0.1f, 1e-5f);
    ops->batchnorm_backward(dDx.ptr(), dDg.ptr(), dDb.ptr(), dDy.ptr(), dX.ptr(), nullptr, dM.ptr(), dI.ptr(), N, C, HW);
    auto y = dY.download(), dx = dDx.download(), dg = dDg.download();
    if (run == 0) { first_y = y; first_dx = dx; first_dg = dg; continue; }
    EXPECT_TRUE(identical("out", y, first_y));
    EXPECT_TRUE(identical("dinp", dx, first_dx));
    EXPECT_TRUE(identical("dgamma", dg, first_dg));
  }
}

}  // namespace
}  // namespace gan
