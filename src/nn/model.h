// The models: a generator and a discriminator for each architecture, written against Ops.
//
// acgan28 is the reference system's AC-GAN (DESIGN.md, "The model and training"); dcgan64 is
// PyTorch's DCGAN example (64×64, nc 1 or 3, unconditional: it has no class head and ignores
// labels). Parameter names match the PyTorch modules in benchmarks/torch_ref.py, so a saved
// generator loads there with load_state_dict.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "../train/config.h"
#include "layers.h"

namespace gan {

class Model {
 public:
  explicit Model(Ops& ops) : ps_(ops) {}
  virtual ~Model() = default;
  ParamSet& params() { return ps_; }
  const ParamSet& params() const { return ps_; }
  virtual std::string name() const = 0;  // "generator" / "discriminator"
  virtual std::vector<LayerInfo> layers() const = 0;
  // Which forward pass of a training step is running (dropout draws a new mask for each).
  void set_phase(int phase) { phase_ = phase; }

  // A conv bias the model leaves out because BatchNorm follows the conv (models.cpp says why),
  // and the BatchNorm running mean that absorbs it when a file written while the model still had
  // it is loaded (load_model, src/train/checkpoint.cpp).
  struct FoldedBias {
    std::string bias, running_mean;
  };
  const std::vector<FoldedBias>& folded_biases() const { return folded_; }

 protected:
  ParamSet ps_;
  int phase_ = 0;
  std::vector<FoldedBias> folded_;
};

class Generator : public Model {
 public:
  using Model::Model;
  std::string name() const override { return "generator"; }
  // noise [n, latent_dim], labels int32 [n] → images [n, C, S, S] in (-1, 1).
  virtual Tensor forward(const Tensor& noise, const Tensor& labels, Mode mode) = 0;
  virtual void backward(const Tensor& dimages) = 0;
};

class Discriminator : public Model {
 public:
  using Model::Model;
  std::string name() const override { return "discriminator"; }
  // images → real/fake logits [n, 1] and class logits [n, num_classes] (undefined when the model
  // has no class head).
  virtual void forward(const Tensor& images, Mode mode, Tensor* adv, Tensor* cls) = 0;
  // dcls may be undefined. Returns d(images) when need_dimages.
  virtual Tensor backward(const Tensor& dadv, const Tensor& dcls, bool need_dimages) = 0;
  virtual bool has_class_head() const = 0;
};

// Builds the pair for cfg.model.arch; `capacity` is the largest batch either will see.
// Throws std::invalid_argument naming the bad setting.
std::unique_ptr<Generator> make_generator(Ops& ops, const ModelConfig& cfg, int capacity, uint64_t seed);
std::unique_ptr<Discriminator> make_discriminator(Ops& ops, const ModelConfig& cfg, int capacity, uint64_t seed);
// Checks a configuration without building anything (the CLI calls this before training).
void validate_model_config(const ModelConfig& cfg);

// --summary: each layer's output shape and parameter count, and the totals.
std::string model_summary(const Model& m, const std::vector<int>& input_desc);

}  // namespace gan
