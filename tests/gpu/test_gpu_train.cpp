// End to end on the GPU through GanTrainer (src/train/trainer.h): ten acgan28 training steps on
// CUDA agree with the CPU reference from the same seed, and a CUDA run saved to a checkpoint and
// resumed continues bit-identically.
//
// Tolerances for CUDA vs CPU after 10 steps (both backends draw the same dropout masks, noise and
// labels from Philox, so only rounding differs; Adam's normalised steps amplify it where
// gradients are near zero, which is why parameters are compared in relative L2 per tensor and not
// element by element):
//   - per step, each loss: |cuda − cpu| ≤ 1e-3 + 1e-2·|cpu|; each accuracy: within 2 samples;
//   - per parameter tensor and BatchNorm buffer: ‖cuda − cpu‖₂ ≤ 1e-3·‖cpu‖₂ (×10 with TF32).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "gpu_test_util.h"
#include "src/train/checkpoint.h"
#include "src/train/trainer.h"

namespace gan {
namespace {
using namespace gputest;

TrainConfig small_config() {
  TrainConfig cfg;  // acgan28 with the reference widths, at batch 64 so the CPU side is quick
  cfg.batch = 64;
  cfg.seed = 1234;
  return cfg;
}

Dataset random_dataset(int n) {
  Dataset d;
  d.name = "test-random";
  d.n = n;
  std::mt19937 g(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  d.images.resize((size_t)n * 28 * 28);
  for (auto& x : d.images) x = u(g);
  for (int i = 0; i < n; ++i) d.labels.push_back(i % 10);
  for (int k = 0; k < 10; ++k) d.class_names.push_back(std::to_string(k));
  return d;
}

std::vector<int32_t> indices(int step, int half, int n) {
  std::mt19937 g(1000 + step);
  std::vector<int32_t> v(half);
  for (auto& i : v) i = (int32_t)(g() % n);
  return v;
}

// Every parameter and buffer of both models, by name, on the host.
std::vector<std::pair<std::string, std::vector<float>>> snapshot(GanTrainer& t) {
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (Model* m : {(Model*)&t.generator(), (Model*)&t.discriminator()}) {
    for (auto& p : m->params().params()) out.push_back({m->name() + "." + p->name, p->value.to_host()});
    for (auto& b : m->params().buffers()) out.push_back({m->name() + "." + b.first, b.second.to_host()});
  }
  return out;
}

TEST(CudaTrain, TenStepsAgreeWithCpuFromTheSameSeed) {
  GAN_REQUIRE_CUDA(gpu);
  auto cpu = make_cpu_ops();
  const TrainConfig cfg = small_config();
  const Dataset data = random_dataset(512);
  GanTrainer tc(*cpu, cfg), tg(*gpu, cfg);
  tc.set_data(data);
  tg.set_data(data);
  for (int s = 0; s < 10; ++s) {
    auto idx = indices(s, cfg.batch / 2, data.n);
    tc.train_step(idx.data());
    tg.train_step(idx.data());
  }
  const auto mc = tc.take_metrics(), mg = tg.take_metrics();
  ASSERT_EQ(mc.size(), 10u);
  ASSERT_EQ(mg.size(), 10u);
  auto loss_ok = [](float g, float c) { return std::fabs(g - c) <= 1e-3f + 1e-2f * std::fabs(c); };
  const float acc_tol = 2.0f / cfg.batch + 1e-6f;
  for (int s = 0; s < 10; ++s) {
    SCOPED_TRACE("step " + std::to_string(s));
    EXPECT_PRED2(loss_ok, mg[s].d_loss_real, mc[s].d_loss_real);
    EXPECT_PRED2(loss_ok, mg[s].d_loss_fake, mc[s].d_loss_fake);
    EXPECT_PRED2(loss_ok, mg[s].g_loss, mc[s].g_loss);
    EXPECT_PRED2(loss_ok, mg[s].class_loss, mc[s].class_loss);
    EXPECT_NEAR(mg[s].d_acc_real, mc[s].d_acc_real, acc_tol);
    EXPECT_NEAR(mg[s].d_acc_fake, mc[s].d_acc_fake, acc_tol);
    EXPECT_NEAR(mg[s].class_acc, mc[s].class_acc, acc_tol);
  }
  const auto pc = snapshot(tc), pg = snapshot(tg);
  ASSERT_EQ(pc.size(), pg.size());
  const double rel = tf32_on() ? 1e-2 : 1e-3;
  for (size_t i = 0; i < pc.size(); ++i) {
    double diff = 0, norm = 0;
    for (size_t k = 0; k < pc[i].second.size(); ++k) {
      const double d = (double)pg[i].second[k] - pc[i].second[k];
      diff += d * d;
      norm += (double)pc[i].second[k] * pc[i].second[k];
    }
    EXPECT_LE(std::sqrt(diff), rel * std::sqrt(norm) + 1e-12)
        << pc[i].first << ": relative L2 difference " << std::sqrt(diff / std::max(norm, 1e-300));
  }
}

TEST(CudaTrain, SavedAndResumedRunContinuesBitIdentically) {
  GAN_REQUIRE_CUDA(ops);
  const TrainConfig cfg = small_config();
  const Dataset data = random_dataset(512);
  const int total = 6, split = 3;
  // Straight through. (Each trainer is gone before the next starts: they share the ops' graphs.)
  std::vector<StepMetrics> ma;
  std::vector<std::pair<std::string, std::vector<float>>> pa;
  {
    GanTrainer a(*ops, cfg);
    a.set_data(data);
    for (int s = 0; s < total; ++s) a.train_step(indices(s, cfg.batch / 2, data.n).data());
    ma = a.take_metrics();
    pa = snapshot(a);
  }
  // Interrupted after `split` steps, saved, and resumed in a fresh trainer.
  const std::string path = ::testing::TempDir() + "gan_cuda_resume_state.safetensors";
  {
    GanTrainer b(*ops, cfg);
    b.set_data(data);
    for (int s = 0; s < split; ++s) b.train_step(indices(s, cfg.batch / 2, data.n).data());
    b.take_metrics();
    CheckpointState st;
    st.run_id = "resume-test";
    st.step = b.step();
    save_checkpoint(path, b, st);
  }
  TrainConfig cfg2;
  const auto file = read_model_file(path, &cfg2);
  GanTrainer c(*ops, cfg2);
  c.set_data(data);
  load_checkpoint(file, c, path);
  ASSERT_EQ(c.step(), split);
  for (int s = split; s < total; ++s) c.train_step(indices(s, cfg.batch / 2, data.n).data());
  const auto mc = c.take_metrics();
  std::remove(path.c_str());
  ASSERT_EQ(mc.size(), (size_t)(total - split));
  for (int s = split; s < total; ++s) {
    SCOPED_TRACE("step " + std::to_string(s));
    EXPECT_EQ(mc[s - split].d_loss_real, ma[s].d_loss_real);
    EXPECT_EQ(mc[s - split].d_loss_fake, ma[s].d_loss_fake);
    EXPECT_EQ(mc[s - split].g_loss, ma[s].g_loss);
    EXPECT_EQ(mc[s - split].class_loss, ma[s].class_loss);
  }
  const auto pc = snapshot(c);
  ASSERT_EQ(pa.size(), pc.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(identical(pa[i].first, pc[i].second, pa[i].second));
}

}  // namespace
}  // namespace gan
