// The GAN training step: generator, discriminator, their optimisers and the reference system's
// mini-batch algorithm, written once against Ops so it runs on the CPU reference or on CUDA.
//
// One mini-batch (DESIGN.md): D step on B/2 real images with their labels (target 1); D step on
// B/2 generated images with random labels (target 0); G step on B noise+label pairs through D
// (target 1, D's weights not updated). The dataset lives on the device; batch indices are the only
// per-step input from the host. Everything else per step (noise, labels, dropout masks, Adam's t,
// the metrics row) is derived on the device from the step counter, so a step is a fixed call
// sequence (a CUDA graph on the GPU) and the host reads metrics back every few steps.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "../data/dataset.h"
#include "../nn/model.h"
#include "../tensor.h"
#include "config.h"
#include "run_state.h"

namespace gan {

// Per mini-batch, as read back from the device.
struct StepMetrics {
  float d_loss_real = 0, d_loss_fake = 0, g_loss = 0, class_loss = 0;
  float d_acc_real = 0, d_acc_fake = 0, class_acc = 0;
};

class GanTrainer {
 public:
  GanTrainer(Ops& ops, const TrainConfig& cfg);
  ~GanTrainer();

  // Copies the images and labels to the device once.
  void set_data(const Dataset& train);
  // Real-batch indices for the next step (B/2 of them), chosen on the host (shuffled epochs or
  // draws with replacement); uploaded asynchronously with the step.
  void train_step(const int32_t* real_indices);
  // Synchronises; the metrics of the steps since the last call, oldest first.
  std::vector<StepMetrics> take_metrics();
  int64_t step() const { return step_; }

  // Continue from a checkpoint taken after `step` mini-batches (parameters loaded separately).
  void set_step(int64_t step);

  Generator& generator();
  Discriminator& discriminator();
  Ops& ops();
  const TrainConfig& config() const;

  // Evaluation (eval mode: BatchNorm running statistics, no dropout): D on `real` (n images with
  // labels, host NCHW floats) and on n generated images with random labels. Losses and accuracies
  // as in training; does not change any parameter.
  StepMetrics evaluate(const std::vector<float>& real, const std::vector<int32_t>& labels, int n);
  // G(noise, labels) in eval mode, as a grid PNG's pixels: rows×cols cells, HWC uint8.
  std::vector<uint8_t> generate_grid(const std::vector<float>& noise, const std::vector<int32_t>& labels,
                                     int rows, int cols, int* width, int* height);
  // G(noise, labels) in eval mode as host floats [n, C, S, S].
  std::vector<float> generate(const std::vector<float>& noise, const std::vector<int32_t>& labels);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t step_ = 0;
};

}  // namespace gan
