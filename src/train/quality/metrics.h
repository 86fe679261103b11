// The quality of a generator at one evaluation epoch, measured in the evaluator's feature space:
//
// - Fréchet distance (FD) between the features of N generated images (labels uniform over the
//   classes) and of N held-out real images: lower is better, 0 for identical distributions.
// - class agreement: the fraction of generated images the evaluator assigns to their conditioning
//   label (conditional models only).
// - per-class FD: the same distance within each class (conditional models only).
// - precision and recall (Kynkäänniemi et al. 2019, k = 3): realism and coverage.
//
// The real images and the generator's noise and labels are fixed for the whole run, so two epochs'
// numbers differ only because the generator did.
#pragma once
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "../../data/dataset.h"
#include "common/json.h"
#include "evaluator.h"

namespace gan {
namespace quality {

struct QualityMetrics {
  int epoch = 0;
  int samples = 0;
  double fd = NAN, class_agreement = NAN, precision = NAN, recall = NAN;
  std::vector<double> per_class_fd;  // empty for unconditional models; NaN for a class too rare to measure
  double seconds = 0;                // what measuring cost (generation included)
};

// G(noise [n, latent], labels [n]) → images [n, C, S, S] (host floats), n ≤ the chunk size given.
using GenerateFn = std::function<std::vector<float>(const std::vector<float>& noise, const std::vector<int32_t>& labels)>;

class QualityProbe {
 public:
  // real: the held-out images to compare with (a fixed sample of `samples` of them is used).
  // conditional: the generator takes labels (acgan28); otherwise labels are ignored.
  QualityProbe(Evaluator& ev, const Dataset& real, int samples, int num_classes, bool conditional, int latent_dim,
               uint64_t seed);
  QualityMetrics measure(const GenerateFn& generate, int chunk);
  int samples() const { return n_; }

 private:
  Evaluator& ev_;
  int n_, classes_, latent_;
  bool conditional_;
  std::vector<float> real_features_;
  std::vector<int32_t> real_labels_;
  std::vector<float> noise_;
  std::vector<int32_t> labels_;
};

// The new summary.json keys (the reference's keys are untouched): "Frechet Distance",
// "Class Agreement", "Per-Class Frechet Distance", "Precision", "Recall", "Quality Samples",
// "Evaluator Accuracy", "Quality Seconds".
void add_quality_keys(Json* summary, const QualityMetrics& q, double evaluator_accuracy);
Json quality_json(const QualityMetrics& q, double evaluator_accuracy);
// Reads the quality keys back from a summary.json (NaN where absent); false when it has no FD.
bool quality_from_summary(const Json& summary, QualityMetrics* q);

// best.json: the epoch with the lowest FD (higher class agreement breaks ties), the metrics it
// had, why it was chosen, and every evaluated epoch's FD and agreement. `previous` is the current
// best.json (null when none); the entry for q.epoch (and any later one: a resumed run rewrites
// them) is replaced.
Json update_best(const Json* previous, const QualityMetrics& q, double evaluator_accuracy);

}  // namespace quality
}  // namespace gan
