// Bias + BatchNorm + LeakyReLU + dropout as one op (src/ref/fused_bn_act.cpp, BnActDropout): bit for bit
// the unfused sequence on the CPU — the op on random inputs, and whole models trained both ways.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "src/nn/model.h"
#include "src/ref/ops.h"
#include "tests/ops/op_case.h"
#include "tests/common/train_parity.h"

namespace gan {
namespace {


::testing::AssertionResult same_bits(const char* what, const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << what << ": sizes differ";
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << what << "[" << i << "]: " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

struct Shape {
  int N, C, HW;
  float p;
};

class FusedOp : public ::testing::TestWithParam<Shape> {};

TEST_P(FusedOp, ForwardAndBackwardAreBitIdenticalToTheUnfusedSequence) {
  const Shape sh = GetParam();
  const int N = sh.N, C = sh.C, HW = sh.HW;
  const float p = sh.p, alpha = 0.2f, mom = 0.1f, eps = 1e-5f;
  const size_t n = (size_t)N * C * HW;
  const uint64_t seed = 99, offset = (3ULL << 40) + (17ULL << 32) + (2ULL << 28);
  const auto x = opcases::randu(n, 1, -2.0f, 3.0f), gamma = opcases::randu(C, 2, 0.5f, 1.5f), beta = opcases::randu(C, 3),
             dout = opcases::randu(n, 4);
  // Unfused: batchnorm → LeakyReLU → dropout (inactive at p = 0, as the Dropout layer is).
  std::vector<float> y(n), a(n), out_u(n), mask_u(n, 1.0f), sm_u(C), si_u(C), rm_u(C, 0.1f), rv_u(C, 0.9f);
  ref::batchnorm_forward_train(y.data(), sm_u.data(), si_u.data(), rm_u.data(), rv_u.data(), x.data(), gamma.data(),
                               beta.data(), N, C, HW, mom, eps);
  ref::activation_forward(Act::LeakyRelu, a.data(), y.data(), (int64_t)n, alpha);
  if (p > 0) ref::dropout_forward(out_u.data(), mask_u.data(), a.data(), (int64_t)n, p, seed, offset);
  else out_u = a;
  // Fused.
  std::vector<float> out_f(n), mask_f(n), sm_f(C), si_f(C), rm_f(C, 0.1f), rv_f(C, 0.9f);
  ref::bn_act_dropout_forward_train(out_f.data(), p > 0 ? mask_f.data() : nullptr, sm_f.data(), si_f.data(),
                                    rm_f.data(), rv_f.data(), x.data(), nullptr, gamma.data(), beta.data(), N, C, HW,
                                    mom, eps, alpha, p, seed, offset);
  EXPECT_TRUE(same_bits("out", out_f, out_u));
  if (p > 0) {
    EXPECT_TRUE(same_bits("mask", mask_f, mask_u));
  }
  EXPECT_TRUE(same_bits("save_mean", sm_f, sm_u));
  EXPECT_TRUE(same_bits("save_invstd", si_f, si_u));
  EXPECT_TRUE(same_bits("running_mean", rm_f, rm_u));
  EXPECT_TRUE(same_bits("running_var", rv_f, rv_u));

  // Backward: dropout_backward → activation_backward (through y) → batchnorm_backward.
  std::vector<float> da(n), dy(n), dx_u(n), dg_u(C, 0.5f), db_u(C, -0.5f);
  if (p > 0) ref::dropout_backward(da.data(), dout.data(), mask_u.data(), (int64_t)n);
  else da = dout;
  ref::activation_backward(Act::LeakyRelu, dy.data(), da.data(), y.data(), a.data(), (int64_t)n, alpha);
  ref::batchnorm_backward(dx_u.data(), dg_u.data(), db_u.data(), dy.data(), x.data(), gamma.data(), sm_u.data(),
                          si_u.data(), N, C, HW);
  std::vector<float> dx_f(n), dg_f(C, 0.5f), db_f(C, -0.5f);
  ref::bn_act_dropout_backward(dx_f.data(), nullptr, dg_f.data(), db_f.data(), dout.data(),
                               p > 0 ? mask_f.data() : nullptr, x.data(), nullptr, gamma.data(), beta.data(),
                               sm_f.data(), si_f.data(), N, C, HW, alpha);
  EXPECT_TRUE(same_bits("dinp", dx_f, dx_u));
  EXPECT_TRUE(same_bits("dgamma", dg_f, dg_u));
  EXPECT_TRUE(same_bits("dbeta", db_f, db_u));

  // Eval: batchnorm_forward_eval → LeakyReLU.
  std::vector<float> ye(n), oe_u(n), oe_f(n);
  ref::batchnorm_forward_eval(ye.data(), x.data(), gamma.data(), beta.data(), rm_u.data(), rv_u.data(), N, C, HW, eps);
  ref::activation_forward(Act::LeakyRelu, oe_u.data(), ye.data(), (int64_t)n, alpha);
  ref::bn_act_forward_eval(oe_f.data(), x.data(), nullptr, gamma.data(), beta.data(), rm_u.data(), rv_u.data(), N, C,
                           HW, eps, alpha);
  EXPECT_TRUE(same_bits("eval out", oe_f, oe_u));
}

// The model shapes (acgan28 at the parity widths, HW 196 and 49; dcgan64's 4×4 maps without
// dropout), a HW below the 16 lanes, and BatchNorm1d's HW = 1.
INSTANTIATE_TEST_SUITE_P(Shapes, FusedOp,
                         ::testing::Values(Shape{32, 32, 196, 0.4f}, Shape{64, 32, 49, 0.4f}, Shape{8, 16, 16, 0.0f},
                                           Shape{5, 3, 7, 0.5f}, Shape{64, 10, 1, 0.4f}));

// With a bias: the forward is the unfused sequence on x + bias (as a conv's bias add stores it);
// the bias gradient is the per-channel sum of the input gradient (exactly zero in exact arithmetic,
// since BatchNorm removes the mean: here a rounding-sized number).
TEST(FusedOpBias, BiasIsAddedBeforeTheStatisticsAndItsGradientIsTheSumOfDinp) {
  const int N = 16, C = 8, HW = 49;
  const size_t n = (size_t)N * C * HW;
  const auto x = opcases::randu(n, 11), bias = opcases::randu(C, 12, -3.0f, 3.0f), gamma = opcases::randu(C, 13, 0.5f, 1.5f),
             beta = opcases::randu(C, 14), dout = opcases::randu(n, 15);
  std::vector<float> xb(n);
  for (size_t i = 0; i < n; ++i) xb[i] = x[i] + bias[(i / HW) % C];
  std::vector<float> o1(n), o2(n), m1(n), m2(n), sm1(C), si1(C), sm2(C), si2(C), rm1(C, 0), rv1(C, 1), rm2(C, 0),
      rv2(C, 1);
  ref::bn_act_dropout_forward_train(o1.data(), m1.data(), sm1.data(), si1.data(), rm1.data(), rv1.data(), x.data(),
                                    bias.data(), gamma.data(), beta.data(), N, C, HW, 0.1f, 1e-5f, 0.2f, 0.4f, 5, 0);
  ref::bn_act_dropout_forward_train(o2.data(), m2.data(), sm2.data(), si2.data(), rm2.data(), rv2.data(), xb.data(),
                                    nullptr, gamma.data(), beta.data(), N, C, HW, 0.1f, 1e-5f, 0.2f, 0.4f, 5, 0);
  EXPECT_TRUE(same_bits("out", o1, o2));
  EXPECT_TRUE(same_bits("running_mean", rm1, rm2));
  std::vector<float> dx(n), dbias(C, 0.0f), dg(C, 0.0f), db(C, 0.0f);
  ref::bn_act_dropout_backward(dx.data(), dbias.data(), dg.data(), db.data(), dout.data(), m1.data(), x.data(),
                               bias.data(), gamma.data(), beta.data(), sm1.data(), si1.data(), N, C, HW, 0.2f);
  for (int c = 0; c < C; ++c) {
    double s = 0, mag = 0;
    for (int b = 0; b < N; ++b)
      for (int i = 0; i < HW; ++i) {
        s += dx[((size_t)b * C + c) * HW + i];
        mag += std::fabs(dx[((size_t)b * C + c) * HW + i]);
      }
    EXPECT_NEAR(dbias[c], s, 1e-5 * mag + 1e-12) << c;
    EXPECT_LT(std::fabs(dbias[c]), 1e-4 * mag) << "the bias before BatchNorm has no true gradient, channel " << c;
  }
}

// Whole models: acgan28 (every conv block fused, dropout included) and dcgan64's discriminator
// (BatchNorm → LeakyReLU without dropout) train bit-identically fused and unfused, and print the
// same --summary.
TEST(FusedModels, TrainingIsBitIdenticalFusedAndUnfused) {
  auto ops = make_cpu_ops();
  const Dataset data = parity::dataset();
  auto run = [&](bool fused) {
    TrainConfig cfg = parity::config();
    cfg.model.fuse_bn_act = fused;
    GanTrainer t(*ops, cfg);
    t.set_data(data);
    for (int s = 0; s < 3; ++s) t.train_step(parity::indices(s, cfg.batch / 2, data.n).data());
    parity::Snapshot snap = parity::snapshot(t, true);
    std::vector<StepMetrics> m = t.take_metrics();
    std::vector<float> eval = t.generate(std::vector<float>(4 * cfg.model.latent_dim, 0.3f), {1, 2, 3, 4});
    std::string summary = model_summary(t.discriminator(), {1, 28, 28}) + model_summary(t.generator(), {100});
    return std::make_tuple(snap, m, eval, summary);
  };
  const auto a = run(false), b = run(true);
  const parity::Snapshot &sa = std::get<0>(a), &sb = std::get<0>(b);
  ASSERT_EQ(sa.tensors.size(), sb.tensors.size());
  for (size_t i = 0; i < sa.tensors.size(); ++i)
    EXPECT_TRUE(same_bits(sa.tensors[i].second.name.c_str(), sb.tensors[i].second.v, sa.tensors[i].second.v));
  ASSERT_EQ(std::get<1>(a).size(), std::get<1>(b).size());
  for (size_t s = 0; s < std::get<1>(a).size(); ++s)
    EXPECT_EQ(std::memcmp(&std::get<1>(a)[s], &std::get<1>(b)[s], sizeof(StepMetrics)), 0) << "step " << s + 1;
  EXPECT_TRUE(same_bits("generated (eval mode)", std::get<2>(b), std::get<2>(a)));
  EXPECT_EQ(std::get<3>(b), std::get<3>(a));
}

TEST(FusedModels, Dcgan64DiscriminatorIsBitIdenticalFusedAndUnfused) {
  auto ops = make_cpu_ops();
  auto run = [&](bool fused) {
    ModelConfig m;
    m.arch = "dcgan64";
    m.image_size = 64;
    m.channels = 3;
    m.ndf = 8;
    m.fuse_bn_act = fused;
    auto D = make_discriminator(*ops, m, 4, 7);
    Tensor x(*ops, {4, 3, 64, 64});
    x.from_host(opcases::randu(4 * 3 * 64 * 64, 21));
    Tensor adv, cls;
    D->forward(x, Mode::Train, &adv, &cls);
    Tensor dadv(*ops, {4, 1});
    dadv.from_host({0.5f, -0.25f, 1.0f, 0.125f});
    D->params().zero_grad();
    Tensor dx = D->backward(dadv, Tensor(), true);
    std::vector<std::vector<float>> r = {adv.to_host(), dx.to_host()};
    for (auto& p : D->params().params()) r.push_back(p->grad.to_host());
    for (auto& b : D->params().buffers()) r.push_back(b.second.to_host());
    return std::make_pair(r, model_summary(*D, {3, 64, 64}));
  };
  const auto a = run(false), b = run(true);
  ASSERT_EQ(a.first.size(), b.first.size());
  for (size_t i = 0; i < a.first.size(); ++i) EXPECT_TRUE(same_bits(("tensor " + std::to_string(i)).c_str(), b.first[i], a.first[i]));
  EXPECT_EQ(b.second, a.second);
}

}  // namespace
}  // namespace gan
