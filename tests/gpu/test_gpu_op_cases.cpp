// Every test case of the op registry (tests/ops/cases.h) on CUDA against the CPU reference, buffer
// by buffer, at the backend's precision (GAN_PRECISION; the matrix ops' tolerances follow it).
// Skips without a GPU. (tests/core/test_op_cases.cpp runs the same cases against finite differences.)
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gpu_test_util.h"
#include "tests/ops/cases.h"

namespace gan::opcases {
namespace {

const std::vector<Case>& cases() {
  static const std::vector<Case> v = op_cases(kTest, gputest::test_precision());
  return v;
}

class CudaOpCase : public ::testing::TestWithParam<size_t> {};

TEST_P(CudaOpCase, MatchesTheCpuReference) {
  GAN_REQUIRE_CUDA(gpu);
  auto cpu = make_cpu_ops();
  gpu->set_precision(gputest::test_precision());
  cpu->set_precision(gputest::test_precision());
  const Case& c = cases()[GetParam()];
  for (const std::string& f : compare_backends(*gpu, *cpu, c)) ADD_FAILURE() << c.title() << ": " << f;
}

INSTANTIATE_TEST_SUITE_P(Registry, CudaOpCase, ::testing::ValuesIn(indices(cases().size())),
                         [](const ::testing::TestParamInfo<size_t>& i) { return test_name(i.param, cases()[i.param]); });

}  // namespace
}  // namespace gan::opcases
