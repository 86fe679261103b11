// The CUDA backend's host-testable logic, checked on the CPU (no GPU needed, so these run in CI):
// the kernels' index arithmetic (kernels/device_logic.h, __host__ __device__ functions the kernels
// call) and the math modes and cuDNN algorithm choice (kernels/math_mode.h, which
// conv.cpp and linear.cpp call), here fed made-up cudnnFind results.
#include <gtest/gtest.h>

#include "gpu_test_util.h"
#include "kernels/device_logic.h"
#include "kernels/math_mode.h"

namespace gan {
namespace {
using namespace gputest;

// Runs the dropout kernel's per-thread body for every thread of its grid, on the host.
TEST(CudaHostLogic, DropoutPhiloxBlocksReproduceTheReferenceForEveryAlignment) {
  const uint64_t seed = 0xfeedULL;
  for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 9, 1000, 4099})
    for (uint64_t c : {0ULL, 1ULL, 2ULL, 3ULL, 4ULL, 5ULL, 6ULL, 7ULL, (5ULL << 40) + 3, ~0ULL - 5000}) {
      SCOPED_TRACE("n " + std::to_string(n) + " c " + std::to_string(c));
      auto x = randu(n, 7);
      std::vector<float> out_ref(n), mask_ref(n);
      ref::dropout_forward(out_ref.data(), mask_ref.data(), x.data(), n, 0.4f, seed, c);
      const float nan = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> out(n, nan), mask(n, nan);
      for (int64_t t = 0; t < cuda::dropout_philox_blocks(n); ++t)
        cuda::dropout_philox_block((uint64_t)t, c, n, seed, 0.4f, 1.0f / 0.6f, x.data(), out.data(), mask.data());
      EXPECT_TRUE(identical("mask", mask, mask_ref));
      EXPECT_TRUE(identical("out", out, out_ref));
    }
}

TEST(CudaHostLogic, AdamChunksCoverEveryElementOnce) {
  const std::vector<int64_t> sizes = {1, 5, 2048, 2049, 4095, 4096, 6272 * 100, 1, 3};
  std::vector<AdamParam> params;
  for (int64_t n : sizes) params.push_back({nullptr, nullptr, nullptr, nullptr, n});
  int64_t chunks = 0;
  const auto table = cuda::adam_table(params, &chunks);
  std::vector<int64_t> covered(sizes.size(), 0);
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int owner = cuda::adam_owner(table.data(), (int)table.size(), chunk);
    ASSERT_GE(owner, 0);
    ASSERT_LT(owner, (int)sizes.size());
    const cuda::AdamDesc& d = table[owner];
    const int64_t begin = (chunk - d.chunk0) * cuda::kAdamChunk;
    const int64_t end = std::min<int64_t>(begin + cuda::kAdamChunk, d.n);
    ASSERT_GE(begin, 0) << "chunk " << chunk;
    ASSERT_LT(begin, d.n) << "chunk " << chunk << " maps past the end of tensor " << owner;
    covered[owner] += end - begin;
  }
  for (size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(covered[i], sizes[i]) << "tensor " << i;
}

// cudnnFind ranks its results fastest first; on Ampere and later the fastest are often tensor-op
// (TF32) ones. FP32 mode must take the fastest deterministic FMA one, never a TF32 one.
using cuda::AlgoPerf;
using cuda::ConvMath;
constexpr size_t kMiB = size_t(1) << 20;

TEST(CudaHostLogic, Fp32ConvPicksTheFastestDeterministicFmaAlgorithm) {
  const std::vector<AlgoPerf> ranked = {
      {6, true, true, ConvMath::TensorOp, 0},                 // TF32 tensor cores
      {7, true, true, ConvMath::Default, 0},                  // DEFAULT_MATH may be TF32 on Ampere+
      {5, true, true, ConvMath::TensorOpAllowConversion, 0},  // FP16 inputs
      {1, false, true, ConvMath::Fma, 0},                     // failed
      {4, true, false, ConvMath::Fma, 0},                     // nondeterministic
      {3, true, true, ConvMath::Fma, 64 * kMiB},              // needs more workspace than allowed
      {2, true, true, ConvMath::Fma, 8 * kMiB},
      {0, true, true, ConvMath::Fma, 0}};
  EXPECT_EQ(cuda::pick_conv_algorithm(ranked, false, 16 * kMiB), 6);
  EXPECT_EQ(cuda::pick_conv_algorithm(ranked, false, 128 * kMiB), 5);
  // TF32 takes the fastest, but never FP16 conversion.
  EXPECT_EQ(cuda::pick_conv_algorithm(ranked, true, 16 * kMiB), 0);
  const std::vector<AlgoPerf> only_conversion = {{5, true, true, ConvMath::TensorOpAllowConversion, 0}};
  EXPECT_EQ(cuda::pick_conv_algorithm(only_conversion, true, 16 * kMiB), -1);
}

TEST(CudaHostLogic, Fp32ConvWithoutAnFmaAlgorithmFailsNamingTheShapeNeverFallingBackToTf32) {
  const std::vector<AlgoPerf> ranked = {{6, true, true, ConvMath::TensorOp, 0},
                                        {7, true, true, ConvMath::Default, 0},
                                        {1, true, false, ConvMath::Fma, 0}};
  EXPECT_EQ(cuda::pick_conv_algorithm(ranked, false, 16 * kMiB), -1);
  EXPECT_EQ(cuda::pick_conv_algorithm(ranked, true, 16 * kMiB), 0);
  const std::string m = cuda::no_conv_algorithm_message("forward", "conv N=64 X=32x14x14 Y=32x7x7 k=3 s=2 p=1",
                                                        false, 16 * kMiB, ranked);
  EXPECT_NE(m.find("forward"), std::string::npos) << m;
  EXPECT_NE(m.find("conv N=64 X=32x14x14 Y=32x7x7 k=3 s=2 p=1"), std::string::npos) << m;
  EXPECT_NE(m.find("FMA"), std::string::npos) << m;
  EXPECT_NE(m.find("algo 6"), std::string::npos) << m;
  EXPECT_NE(m.find("GAN_TF32=1"), std::string::npos) << m;
}

TEST(CudaHostLogic, MathModesAreWhatPyTorchUsesForItsAllowTf32Flags) {
  EXPECT_EQ(cuda::conv_descriptor_math(false), ConvMath::Fma);
  EXPECT_EQ(cuda::conv_descriptor_math(true), ConvMath::Default);
  EXPECT_EQ(cuda::blas_math_mode(false), cuda::kBlasDefaultMath | cuda::kBlasDisallowReducedPrecisionReduction);
  EXPECT_EQ(cuda::blas_math_mode(true), cuda::kBlasTf32TensorOpMath);
  for (ConvMath m : {ConvMath::Default, ConvMath::TensorOp, ConvMath::TensorOpAllowConversion})
    EXPECT_FALSE(cuda::conv_math_allowed(m, false)) << cuda::conv_math_name(m);
}

TEST(CudaHostLogic, Tf32OverriddenByTheEnvironmentIsReported) {
  const char* old = std::getenv("NVIDIA_TF32_OVERRIDE");
  const std::string saved = old ? old : "";
  setenv("NVIDIA_TF32_OVERRIDE", "0", 1);
  EXPECT_NE(cuda::tf32_override_note(true).find("NVIDIA_TF32_OVERRIDE=0"), std::string::npos);
  EXPECT_EQ(cuda::tf32_override_note(false), "");
  unsetenv("NVIDIA_TF32_OVERRIDE");
  EXPECT_EQ(cuda::tf32_override_note(true), "");
  if (old) setenv("NVIDIA_TF32_OVERRIDE", saved.c_str(), 1);
}

}  // namespace
}  // namespace gan
