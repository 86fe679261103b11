#include "frechet.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sym_eigen.h"

namespace gan {
namespace quality {

Gaussian fit_gaussian(const float* x, int n, int d) {
  if (n < 2 || d < 1)
    throw std::invalid_argument("fit_gaussian: need at least 2 samples of at least 1 feature (got " +
                                std::to_string(n) + " × " + std::to_string(d) + ")");
  Gaussian g;
  g.d = d;
  g.mean.assign(d, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) g.mean[j] += x[(size_t)i * d + j];
  for (double& m : g.mean) m /= n;
  g.cov.assign((size_t)d * d, 0.0);
  std::vector<double> c(d);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) c[j] = x[(size_t)i * d + j] - g.mean[j];
    for (int j = 0; j < d; ++j)
      for (int k = j; k < d; ++k) g.cov[(size_t)j * d + k] += c[j] * c[k];
  }
  for (int j = 0; j < d; ++j)
    for (int k = j; k < d; ++k) g.cov[(size_t)k * d + j] = g.cov[(size_t)j * d + k] /= (n - 1);
  return g;
}

double frechet_distance(const Gaussian& a, const Gaussian& b) {
  if (a.d != b.d || a.d < 1) throw std::invalid_argument("frechet_distance: the two Gaussians differ in dimension");
  const int d = a.d;
  double mean_term = 0, tr = 0;
  for (int j = 0; j < d; ++j) {
    const double dm = a.mean[j] - b.mean[j];
    mean_term += dm * dm;
    tr += a.cov[(size_t)j * d + j] + b.cov[(size_t)j * d + j];
  }
  // M = Σ₁^½ Σ₂ Σ₁^½ (symmetric PSD); tr(M^½) = Σ √λᵢ(M).
  const std::vector<double> s = sqrtm_psd(a.cov, d);
  std::vector<double> t((size_t)d * d, 0.0), m((size_t)d * d, 0.0);
  for (int i = 0; i < d; ++i)
    for (int k = 0; k < d; ++k) {
      const double sik = s[(size_t)i * d + k];
      if (sik == 0) continue;
      for (int j = 0; j < d; ++j) t[(size_t)i * d + j] += sik * b.cov[(size_t)k * d + j];
    }
  for (int i = 0; i < d; ++i)
    for (int k = 0; k < d; ++k) {
      const double tik = t[(size_t)i * d + k];
      if (tik == 0) continue;
      for (int j = 0; j < d; ++j) m[(size_t)i * d + j] += tik * s[(size_t)k * d + j];
    }
  std::vector<double> lam, v;
  sym_eigen(m, d, &lam, &v);
  double tr_sqrt = 0;
  for (double l : lam) tr_sqrt += std::sqrt(std::max(l, 0.0));
  // Rounding can leave a distance of identical sets a hair below zero.
  return std::max(0.0, mean_term + tr - 2 * tr_sqrt);
}

}  // namespace quality
}  // namespace gan
