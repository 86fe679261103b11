// Every test case of the op registry (tests/ops/cases.h) on the CPU reference: each output written
// inside its guards, parameter gradients accumulating, and every gradient against central finite
// differences of L = Σ r·out. (tests/gpu/test_gpu_op_cases.cpp runs the same cases on CUDA.)
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/ops/cases.h"

namespace gan::opcases {
namespace {

// Cases small enough for finite differences (and, without gradients, for a quick run).
std::vector<Case> cpu_cases() {
  std::vector<Case> v;
  for (Case& c : op_cases(kTest)) {
    size_t elems = 0;
    for (const Buf& b : c.bufs) elems += b.n;
    if (fd_elements(c) <= kFdMaxElements && elems <= (size_t(1) << 18)) v.push_back(std::move(c));
  }
  return v;
}
const std::vector<Case>& cases() {
  static const std::vector<Case> v = cpu_cases();
  return v;
}

class OpCase : public ::testing::TestWithParam<size_t> {};

TEST_P(OpCase, CpuOutputsWrittenAndGradientsMatchFiniteDifferences) {
  const Case& c = cases()[GetParam()];
  auto cpu = make_cpu_ops();
  for (const std::string& f : check_gradients(*cpu, c)) ADD_FAILURE() << c.title() << ": " << f;
}

INSTANTIATE_TEST_SUITE_P(Registry, OpCase, ::testing::ValuesIn(indices(cases().size())),
                         [](const ::testing::TestParamInfo<size_t>& i) { return test_name(i.param, cases()[i.param]); });

// The registry covers every op family of src/op_list.h with a finite-difference check where the
// op has a gradient.
TEST(OpCaseRegistry, EveryOpFamilyHasACpuCheckedCase) {
  std::vector<std::string> families;
  for (const Case& c : cases()) families.push_back(c.op.substr(0, c.op.find(' ')));
  for (const char* op : {"linear", "conv2d", "conv_transpose2d", "batchnorm", "bn_act_dropout", "bn_act", "activation",
                         "dropout", "concat", "embedding", "bce_logits", "softmax_xent", "gather_rows", "axpy", "randn",
                         "randint", "store_row", "image_grid"})
    EXPECT_NE(std::find(families.begin(), families.end(), op), families.end()) << op;
}

}  // namespace
}  // namespace gan::opcases
