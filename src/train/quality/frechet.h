// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian
// (mean and covariance), as in FID (Heusel et al. 2017):
//
//   FD = |μ₁ − μ₂|² + tr(Σ₁) + tr(Σ₂) − 2·tr((Σ₁^½ Σ₂ Σ₁^½)^½)
//
// The last trace is computed from two symmetric eigen-decompositions (Σ₁^½, then the eigenvalues
// of the PSD matrix Σ₁^½ Σ₂ Σ₁^½), never from the non-symmetric product Σ₁Σ₂ that the usual
// sqrtm route takes: it stays real and defined when either covariance is singular (fewer samples
// than features, a collapsed generator), where tiny negative eigenvalues from rounding are
// clamped to zero.
#pragma once
#include <vector>

namespace gan {
namespace quality {

struct Gaussian {
  int d = 0;
  std::vector<double> mean;  // d
  std::vector<double> cov;   // d×d row-major, unbiased (n − 1) normalisation
};

// Mean and covariance of n feature rows of length d (row-major floats). n ≥ 2.
Gaussian fit_gaussian(const float* x, int n, int d);

double frechet_distance(const Gaussian& a, const Gaussian& b);

}  // namespace quality
}  // namespace gan
