// CUDA checks the op registry (tests/ops/cases.h, test_gpu_op_cases.cpp) does not express: state
// that lives across calls (the device step counter, store_row over several steps, the TF32 flag)
// and run-to-run determinism; fill, which is a backend service rather than an op.
#include <gtest/gtest.h>

#include <tuple>

#include "gpu_test_util.h"

namespace gan {
namespace {
using namespace gputest;

TEST(CudaData, FillAndStoreRowOverSeveralSteps) {
  GAN_REQUIRE_CUDA(ops);
  for (int64_t n : {1, 6, 1 << 20}) {
    DevBuf<float> df(*ops, n);
    df.poison();
    ops->fill(df.ptr(), n, 2.5f);
    EXPECT_DEV_IDENTICAL(df, std::vector<float>(n, 2.5f));
  }
  // store_row writes row step % capacity.
  const int count = 7, capacity = 5;
  auto vals = randu(count, 43);
  std::vector<float> slab_ref((size_t)count * capacity, 0.0f);
  DevBuf<float> dslab(*ops, slab_ref), dvals(*ops, vals);
  for (uint64_t step : {0ULL, 3ULL, 11ULL}) {
    ref::store_row(slab_ref.data(), vals.data(), count, capacity, step);
    ops->set_step(step);
    ops->store_row(dslab.ptr(), dvals.ptr(), count, capacity);
  }
  EXPECT_DEV_IDENTICAL(dslab, slab_ref);
}

TEST(CudaStepCounter, AdvanceStepMovesTheRandomStreams) {
  GAN_REQUIRE_CUDA(ops);
  const int64_t n = 1000;
  ops->set_step(5);
  ops->advance_step();
  ops->advance_step();
  ops->advance_step();  // step 8, on the device only
  std::vector<float> z_ref(n);
  ref::randn(z_ref.data(), n, 0.0f, 1.0f, 7, (8ULL << 40) + 17);
  DevBuf<float> dz(*ops, n);
  dz.poison();
  ops->randn(dz.ptr(), n, 0.0f, 1.0f, 7, 17);
  EXPECT_DEV_CLOSE(dz, z_ref, (Tol{1e-5, 1e-5}));
}

#ifdef GAN_HAVE_CUDA
TEST(CudaLinear, Tf32FlagStaysWithinTf32Tolerance) {
  GAN_REQUIRE_CUDA(ops);
  const Precision was = cuda::precision();
  cuda::set_precision(Precision::Tf32);
  for (auto [B, C_in, C_out] : {std::tuple{128, 6272, 10}, std::tuple{128, 100, 6272}}) {
    auto x = randu((size_t)B * C_in, 101), w = randu((size_t)C_out * C_in, 102, -0.1f, 0.1f), b = randu(C_out, 103);
    std::vector<float> y_ref((size_t)B * C_out);
    ref::linear_forward(Precision::Tf32, y_ref.data(), x.data(), w.data(), b.data(), B, C_in, C_out);
    DevBuf<float> dX(*ops, x), dW(*ops, w), dB(*ops, b), dY(*ops, y_ref.size());
    dY.poison();
    ops->linear_forward(dY.ptr(), dX.ptr(), dW.ptr(), dB.ptr(), B, C_in, C_out);
    EXPECT_DEV_CLOSE(dY, y_ref, (Tol{3e-3 * max_abs(y_ref), 3e-3}));
  }
  cuda::set_precision(was);
}
#endif

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
