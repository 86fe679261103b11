// Improved precision and recall (Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric
// for Assessing Generative Models"): each set of feature vectors defines a manifold, the union of
// balls centred on its points with radius the distance to the point's k-th nearest neighbour in
// the same set. precision = the fraction of generated points inside the real manifold (are the
// samples realistic?); recall = the fraction of real points inside the generated manifold (is the
// data's variety covered? a generator that collapses to a few modes has low recall).
#pragma once
#include <vector>

namespace gan {
namespace quality {

struct PrecisionRecall {
  double precision = 0, recall = 0;
};

// real: n×d, fake: m×d (row-major). k ≥ 1 and k < n, k < m.
PrecisionRecall precision_recall(const float* real, int n, const float* fake, int m, int d, int k = 3);

}  // namespace quality
}  // namespace gan
