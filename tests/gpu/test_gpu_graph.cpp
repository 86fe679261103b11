// CUDA graphs through kernels/graph.h, the error-check macros, and the availability probe.
// The check-macro and probe tests need no GPU, so they run (and must pass) everywhere CUDA is built.
#include <gtest/gtest.h>

#include "gpu_test_util.h"
#include "kernels/graph.h"

#ifdef GAN_HAVE_CUDA
#include <cuda_runtime.h>

#include "kernels/check.h"
#endif

namespace gan {
namespace {
using namespace gputest;

TEST(CudaAvailability, ReportsAReasonEitherWay) {
  std::string why;
  const bool ok = cuda_available(&why);
  EXPECT_FALSE(why.empty()) << "cuda_available must say what it found";
  if (!ok) {
    EXPECT_THROW(make_cuda_ops(0), std::runtime_error);
  }
}

#ifdef GAN_HAVE_CUDA
TEST(CudaCheck, MessageNamesLibraryStatementAndLocation) {
  try {
    CUDA_CHECK(cudaErrorInvalidValue);
    FAIL() << "CUDA_CHECK did not throw";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("CUDA error 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cudaErrorInvalidValue"), std::string::npos) << msg;
    EXPECT_NE(msg.find("test_gpu_graph.cpp:"), std::string::npos) << msg;
    EXPECT_NE(msg.find(cudaGetErrorString(cudaErrorInvalidValue)), std::string::npos) << msg;
  }
}
#endif

TEST(CudaGraph, OnCpuOpsEveryCallJustRunsTheStep) {
  auto cpu = make_cpu_ops();
  int calls = 0;
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(run_graph_step(*cpu, "cpu", [&] { ++calls; }));
  EXPECT_EQ(calls, 4);
  reset_graphs(*cpu);  // a no-op, but callable on any backend
}

TEST(CudaGraph, ReplaysDrawFreshNumbersFromTheDeviceStep) {
  GAN_REQUIRE_CUDA(ops);
  const int64_t n = 4096;
  DevBuf<float> z(*ops, n), acc(*ops, n);
  ops->fill(acc.ptr(), n, 0.0f);
  ops->set_step(10);
  int lambda_calls = 0;
  auto step = [&] {
    ++lambda_calls;
    ops->randn(z.ptr(), n, 0.0f, 1.0f, 5, 100);
    ops->axpy(acc.ptr(), z.ptr(), n, 1.0f);
    ops->advance_step();
  };
  const int steps = 6;
  int graphed = 0;
  for (int i = 0; i < steps; ++i) graphed += run_graph_step(*ops, "test", step) ? 1 : 0;
  EXPECT_EQ(graphed, steps - 1) << "first call warms up, the rest run as a graph";
  EXPECT_EQ(lambda_calls, 2) << "warm-up and capture only; replays do not call the lambda";
  // Reference: Σ over steps 10..15 of randn at counter step·2^40 + 100, summed in the same order.
  std::vector<float> acc_ref(n, 0.0f), zs(n);
  for (int i = 0; i < steps; ++i) {
    ref::randn(zs.data(), n, 0.0f, 1.0f, 5, ((uint64_t)(10 + i) << 40) + 100);
    ref::axpy(acc_ref.data(), zs.data(), n, 1.0f);
  }
  EXPECT_DEV_CLOSE(acc, acc_ref, (Tol{1e-4, 1e-5}));
  reset_graphs(*ops);
  EXPECT_FALSE(run_graph_step(*ops, "test", step)) << "after reset_graphs the next call warms up again";
}

TEST(CudaGraph, FreeingABufferOfACapturedStepDropsTheGraph) {
  GAN_REQUIRE_CUDA(ops);
  const int64_t n = 256;
  DevBuf<float> keep(*ops, n);
  auto scratch = std::make_unique<DevBuf<float>>(*ops, n);
  auto step = [&] { ops->axpy(keep.ptr(), scratch->ptr(), n, 1.0f); };
  ops->fill(keep.ptr(), n, 0.0f);
  ops->fill(scratch->ptr(), n, 1.0f);
  EXPECT_FALSE(run_graph_step(*ops, "owner", step));  // warm-up
  EXPECT_TRUE(run_graph_step(*ops, "owner", step));   // capture + launch
  EXPECT_TRUE(run_graph_step(*ops, "owner", step));   // replay
  scratch = std::make_unique<DevBuf<float>>(*ops, n);  // the captured buffer dies
  ops->fill(scratch->ptr(), n, 2.0f);
  EXPECT_FALSE(run_graph_step(*ops, "owner", step)) << "a graph over a freed buffer must not replay";
  EXPECT_TRUE(run_graph_step(*ops, "owner", step));
  // Three steps added 1 each, the two after the swap 2 each (none replayed the dead buffer).
  EXPECT_DEV_IDENTICAL(keep, std::vector<float>(n, 7.0f));
}

TEST(CudaErrors, BadShapesThrowInvalidArgument) {
  GAN_REQUIRE_CUDA(ops);
  DevBuf<float> a(*ops, 16), b(*ops, 16);
  EXPECT_THROW(ops->batchnorm_forward_eval(a.ptr(), b.ptr(), nullptr, nullptr, b.ptr(), b.ptr(), 0, 4, 4, 1e-5f), std::invalid_argument);
  EXPECT_THROW(ops->softmax_xent(a.ptr(), a.ptr(), nullptr, b.ptr(), nullptr, 4, 4, 1.0f), std::invalid_argument);
  ConvShape s = ConvShape::conv(1, 1, 4, 4, 1, 3, 1, 1);
  s.C_in = 0;
  EXPECT_THROW(ops->conv2d_forward(a.ptr(), b.ptr(), b.ptr(), nullptr, s), std::invalid_argument);
}

}  // namespace
}  // namespace gan
