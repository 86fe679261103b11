// Every test case of the op registry (tests/ops/cases.h) on CUDA against the CPU reference, buffer
// by buffer, at the backend's precision (GAN_PRECISION; the matrix ops' tolerances follow it).
// Skips without a GPU. (tests/core/test_op_cases.cpp runs the same cases against finite differences.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "gpu_test_util.h"
#include "tests/ops/cases.h"

namespace gan::opcases {
namespace {

const std::vector<Case>& cases() {
  static const std::vector<Case> v = [] {
    std::vector<Case> all;
    for (Case& c : op_cases(kTest, gputest::test_precision()))
      all.push_back(std::move(c));
    return all;
  }();
  return v;
}

std::string test_name(const ::testing::TestParamInfo<size_t>& info) {
  std::string s = std::to_string(info.param) + "_" + cases()[info.param].title();
  for (char& ch : s)
    if (!isalnum((unsigned char)ch)) ch = '_';
  return s;
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

std::vector<size_t> indices() {
  std::vector<size_t> v(cases().size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}
INSTANTIATE_TEST_SUITE_P(Registry, CudaOpCase, ::testing::ValuesIn(indices()), test_name);

}  // namespace
}  // namespace gan::opcases
