// Parameters, gradients and Adam moments in one flat buffer each (ParamSet::flatten): the same
// training, bit for bit, as a buffer per tensor, with one fill and one Adam entry per model.
#include <gtest/gtest.h>

#include <cstring>

#include "src/nn/model.h"
#include "tests/common/train_parity.h"

namespace gan {
namespace {

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

TEST(FlatParams, FlattenKeepsContentsAndLaysTensorsOutAlignedWithZeroGaps) {
  auto ops = make_cpu_ops();
  TrainConfig cfg = parity::config();
  auto G = make_generator(*ops, cfg.model, 8, cfg.seed);
  std::vector<std::vector<float>> before;
  for (auto& p : G->params().params()) before.push_back(p->value.to_host());
  const size_t tensors = G->params().adam_list().size();
  ASSERT_GT(tensors, 4u);
  G->params().flatten();
  ASSERT_TRUE(G->params().flat());
  const std::vector<AdamParam> list = G->params().adam_list();
  ASSERT_EQ(list.size(), 1u);  // one Adam entry for the whole model
  const float* base = list[0].param;
  int64_t covered = 0;
  for (size_t i = 0; i < G->params().params().size(); ++i) {
    Param& p = *G->params().params()[i];
    EXPECT_TRUE(bit_identical(p.value.to_host(), before[i])) << p.name;
    const int64_t off = p.value.f32() - base;
    EXPECT_EQ(off % ParamSet::kFlatAlign, 0) << p.name;
    EXPECT_EQ(p.grad.f32() - list[0].grad, off) << p.name;
    EXPECT_EQ(p.m.f32() - list[0].m, off) << p.name;
    EXPECT_EQ(p.v.f32() - list[0].v, off) << p.name;
    covered += p.value.numel();
  }
  EXPECT_GE(list[0].n, covered);
  EXPECT_LT(list[0].n, covered + ParamSet::kFlatAlign * (int64_t)tensors);
  // The gaps between tensors are zero in all four buffers.
  std::vector<char> used((size_t)list[0].n, 0);
  for (auto& p : G->params().params())
    for (int64_t k = 0; k < p->value.numel(); ++k) used[(size_t)(p->value.f32() - base + k)] = 1;
  const float* bufs[4] = {list[0].param, list[0].grad, list[0].m, list[0].v};
  for (const float* f : bufs)
    for (int64_t k = 0; k < list[0].n; ++k)
      if (!used[(size_t)k]) {
        ASSERT_EQ(f[k], 0.0f) << "gap element " << k;
      }
  EXPECT_THROW(G->params().flatten(), std::logic_error);
}

// Five steps of the parity configuration (every op and layer of acgan28) with and without the
// flat buffers: every parameter, gradient, moment, BatchNorm statistic and metric bit-identical.
TEST(FlatParams, TrainingIsBitIdenticalToThePerTensorPath) {
  auto ops = make_cpu_ops();
  const Dataset data = parity::dataset();
  auto run = [&](bool flat, std::vector<StepMetrics>* metrics) {
    TrainConfig cfg = parity::config();
    cfg.flat_params = flat;
    GanTrainer t(*ops, cfg);
    EXPECT_EQ(t.generator().params().flat(), flat);
    t.set_data(data);
    for (int s = 0; s < 5; ++s) t.train_step(parity::indices(s, cfg.batch / 2, data.n).data());
    *metrics = t.take_metrics();
    std::vector<std::pair<std::string, std::vector<float>>> all;
    for (Model* m : {(Model*)&t.generator(), (Model*)&t.discriminator()}) {
      for (auto& p : m->params().params()) {
        all.push_back({m->name() + "." + p->name, p->value.to_host()});
        all.push_back({m->name() + "." + p->name + ".grad", p->grad.to_host()});
        all.push_back({m->name() + "." + p->name + ".m", p->m.to_host()});
        all.push_back({m->name() + "." + p->name + ".v", p->v.to_host()});
      }
      for (auto& b : m->params().buffers()) all.push_back({m->name() + "." + b.first, b.second.to_host()});
    }
    return all;
  };
  std::vector<StepMetrics> ma, mb;
  const auto a = run(false, &ma), b = run(true, &mb);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(bit_identical(a[i].second, b[i].second)) << a[i].first;
  ASSERT_EQ(ma.size(), mb.size());
  for (size_t s = 0; s < ma.size(); ++s)
    EXPECT_EQ(std::memcmp(&ma[s], &mb[s], sizeof(StepMetrics)), 0) << "step " << s + 1;
}

}  // namespace
}  // namespace gan
