// The CUDA kernels' index arithmetic, checked on the CPU (no GPU needed, so these run in CI):
// kernels/device_logic.h holds it as __host__ __device__ functions the kernels call.
#include <gtest/gtest.h>

#include "gpu_test_util.h"
#include "kernels/device_logic.h"

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

}  // namespace
}  // namespace gan
