// The evaluator: a small CNN classifier trained on a run's own real training images, whose
// penultimate layer is the feature space of the quality metrics (Fréchet distance, precision and
// recall) and whose predictions give the class agreement of a conditional generator.
//
//   Conv(C→16, k3 s2 p1) → BN → LeakyReLU(0.2) → Conv(16→32, k3 s2 p1) → BN → LeakyReLU(0.2)
//   → flatten → Linear(64) → LeakyReLU(0.2) [the 64 features] → Linear(classes)
//
// It is built from the same layers and Ops as the GAN, so it trains and runs on the run's backend.
// Nothing is downloaded (there is no network on a training VM): it is trained where it is used,
// for a fixed number of mini-batches (deterministic for a seed), with a wall-clock cap so that a
// slow machine stops early rather than late (≤ 60 s on the CPU). The trained weights are cached
// as safetensors under the data folder, keyed by a fingerprint of the training images and labels
// (and of this architecture), so every run on the same data reuses one evaluator and their
// metrics are comparable.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../../common/digest.h"
#include "../../data/dataset.h"
#include "../../nn/layers.h"
#include "../../ops.h"

namespace gan {
namespace quality {

struct EvaluatorInfo {
  std::string fingerprint;  // sha256 of the architecture, geometry, images and labels
  double accuracy = 0;      // on held-out images the evaluator never trained on
  int heldout = 0;          // how many
  int64_t trained_images = 0;
  double train_seconds = 0;
  bool from_cache = false;
  std::string cache_path;   // empty when not cached
};

struct EvaluatorTrainOptions {
  int steps = 600;            // mini-batches of `batch` images
  int batch = 64;
  double max_seconds = 60;    // stop early past this (a slow machine); the info says how far it got
  uint64_t seed = 1;          // not a run's seed: every run on the same data shares one evaluator (and its cache)
};

// The budget on a backend: 600 mini-batches of 64 within 60 s on the CPU, 1,500 of 128 within 30 s
// on a GPU.
inline EvaluatorTrainOptions evaluator_budget(bool cuda) {
  EvaluatorTrainOptions o;
  if (cuda) {
    o.steps = 1500;
    o.batch = 128;
    o.max_seconds = 30;
  }
  return o;
}

class Evaluator {
 public:
  static constexpr int kFeatures = 64;

  // capacity: the largest batch embed() is called with.
  Evaluator(Ops& ops, int channels, int size, int num_classes, int capacity);
  ~Evaluator();

  // Trains on `train` and measures accuracy on `heldout` (may be the same object: then the last
  // tenth of it, at most 2,000 images, is held out of training).
  void train(const Dataset& train, const Dataset& heldout, const EvaluatorTrainOptions& opt);
  // Features [n, kFeatures] and predicted classes of n images (host NCHW floats in [-1, 1]).
  void embed(const float* images, int n, std::vector<float>* features, std::vector<int>* predicted);
  double accuracy(const float* images, const int32_t* labels, int n);

  void save(const std::string& path) const;
  // Loads weights from `path`; false when the file does not exist or was made for other data or
  // another architecture (the caller trains a new one). Throws on a corrupt file.
  bool load(const std::string& path, const std::string& fingerprint);

  EvaluatorInfo info;
  int num_classes() const { return classes_; }

 private:
  Ops& ops_;
  int c_, s_, classes_, cap_;
  int flat_ = 0;
  std::unique_ptr<ParamSet> ps_;
  std::unique_ptr<Sequential> trunk_;  // the convolutions
  std::unique_ptr<Linear> fc_, head_;
  std::unique_ptr<Activation> fc_act_;
  Tensor images_, labels_, idx_, scalars_, dlogits_;

  // Logits of n images already on the device in images_; features left in *feat when non-null.
  Tensor forward(const Tensor& x, Mode mode, Tensor* feat);
};

// The fingerprint of a dataset as the evaluator sees it (architecture version included): the
// SHA-256 of the version, the geometry, the images and the labels.
std::string evaluator_fingerprint(const Dataset& d, const Sha256& sha256);

// Where trained evaluators are kept: <dir>/evaluator-<fingerprint>.safetensors. Not cached when
// dir is empty or no sha256 is given (the fingerprint is then empty too).
struct EvaluatorCache {
  std::string dir;
  Sha256 sha256;
};

// A trained evaluator for `train`: loaded from the cache when present, else trained and saved
// there. `log` hears what happened (trained or loaded, accuracy, seconds).
std::unique_ptr<Evaluator> make_evaluator(Ops& ops, const Dataset& train, const Dataset* heldout, int capacity,
                                          const EvaluatorCache& cache, const EvaluatorTrainOptions& opt,
                                          const std::function<void(const std::string&)>& log);

}  // namespace quality
}  // namespace gan
