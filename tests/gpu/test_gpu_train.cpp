// End to end on the GPU through GanTrainer (src/train/trainer.h): acgan28 training on CUDA agrees
// with the CPU reference from the same seed, and a CUDA run saved to a checkpoint and resumed
// continues bit-identically.
//
// The agreement is tests/common/train_parity.h's check — the first step tightly (BatchNorm
// statistics and gradients of a step at learning rate 0, G's first Adam updates), the losses and
// accuracies of ten steps, and the models after ten steps — with the limits that tests/core/test_train_parity.cpp justifies on the
// CPU (rounding noise of cuDNN's size passes with room to spare, planted bugs fail). The
// precision is GAN_PRECISION's (GAN_TF32=1: tf32), with that precision's limits and a CPU
// reference that rounds where the GPU does.
#include <gtest/gtest.h>

#include <cstdio>

#include "gpu_test_util.h"
#include "src/train/checkpoint.h"
#include "src/train/trainer.h"
#include "tests/common/train_parity.h"

namespace gan {
namespace {
using namespace gputest;

TEST(CudaTrain, TenStepsAgreeWithCpuFromTheSameSeed) {
  GAN_REQUIRE_CUDA(gpu);
  auto cpu = make_cpu_ops();
  // Like with like: the CPU run emulates the precision's rounding points (src/precision.h).
  TrainConfig cfg = parity::config();
  cfg.precision = test_precision();
  const Dataset data = parity::dataset();
  const parity::Run ref = parity::run(*cpu, cfg, data, 10);
  const parity::Run got = parity::run(*gpu, cfg, data, 10);
  const parity::Result r = parity::compare(ref, got, parity::for_precision(cfg.precision));
  std::printf("CUDA against the CPU reference, %s limits:\n%s", precision_name(cfg.precision), r.report(4).c_str());
  EXPECT_TRUE(r.ok()) << r.report();
}

TEST(CudaTrain, SavedAndResumedRunContinuesBitIdentically) {
  GAN_REQUIRE_CUDA(ops);
  TrainConfig cfg = parity::config();  // the reference widths: the shapes ./gan --train runs
  cfg.model = TrainConfig().model;
  const Dataset data = parity::dataset();
  const int total = 6, split = 3;
  // Straight through. (Each trainer is gone before the next starts: they share the ops' graphs.)
  std::vector<StepMetrics> ma;
  parity::Snapshot pa;
  {
    GanTrainer a(*ops, cfg);
    a.set_data(data);
    for (int s = 0; s < total; ++s) a.train_step(parity::indices(s, cfg.batch / 2, data.n).data());
    ma = a.take_metrics();
    pa = parity::snapshot(a, true);
  }
  // Interrupted after `split` steps, saved, and resumed in a fresh trainer.
  const std::string path = ::testing::TempDir() + "gan_cuda_resume_state.safetensors";
  {
    GanTrainer b(*ops, cfg);
    b.set_data(data);
    for (int s = 0; s < split; ++s) b.train_step(parity::indices(s, cfg.batch / 2, data.n).data());
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
  for (int s = split; s < total; ++s) c.train_step(parity::indices(s, cfg.batch / 2, data.n).data());
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
  const parity::Snapshot pc = parity::snapshot(c, true);
  ASSERT_EQ(pa.tensors.size(), pc.tensors.size());
  for (size_t i = 0; i < pa.tensors.size(); ++i)
    EXPECT_TRUE(identical(pa.tensors[i].second.name, pc.tensors[i].second.v, pa.tensors[i].second.v));
}

}  // namespace
}  // namespace gan
