#include "precision_recall.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace gan {
namespace quality {

namespace {

// Squared distance in float: n·m of these dominate the cost at 10,000 samples, and a float sum of
// 64 squares is accurate to ~1e-6 relative, far below the spread of k-NN radii.
double dist2(const float* a, const float* b, int d) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int j = 0; j < d; ++j) {
    const float e = a[j] - b[j];
    s += e * e;
  }
  return s;
}

// Squared distance from each point to its k-th nearest neighbour in the same set (itself excluded).
std::vector<double> kth_radius2(const float* x, int n, int d, int k) {
  std::vector<double> r(n);
#pragma omp parallel
  {
    std::vector<double> dist(n);
#pragma omp for schedule(static)
    for (int i = 0; i < n; ++i) {
      int c = 0;
      for (int j = 0; j < n; ++j)
        if (j != i) dist[c++] = dist2(x + (size_t)i * d, x + (size_t)j * d, d);
      std::nth_element(dist.begin(), dist.begin() + (k - 1), dist.begin() + c);
      r[i] = dist[k - 1];
    }
  }
  return r;
}

// The fraction of the q points that lie within some ball of the manifold (centres p, radii² r2).
double coverage(const float* q, int nq, const float* p, const std::vector<double>& r2, int np, int d) {
  long inside = 0;
#pragma omp parallel for schedule(static) reduction(+ : inside)
  for (int i = 0; i < nq; ++i) {
    for (int j = 0; j < np; ++j)
      if (dist2(q + (size_t)i * d, p + (size_t)j * d, d) <= r2[j]) {
        ++inside;
        break;
      }
  }
  return nq ? (double)inside / nq : 0.0;
}

}  // namespace

PrecisionRecall precision_recall(const float* real, int n, const float* fake, int m, int d, int k) {
  if (k < 1 || k >= n || k >= m)
    throw std::invalid_argument("precision_recall: k = " + std::to_string(k) + " needs more than k points in each set (got " +
                                std::to_string(n) + " real, " + std::to_string(m) + " generated)");
  const std::vector<double> rr = kth_radius2(real, n, d, k), rf = kth_radius2(fake, m, d, k);
  PrecisionRecall pr;
  pr.precision = coverage(fake, m, real, rr, n, d);
  pr.recall = coverage(real, n, fake, rf, m, d);
  return pr;
}

}  // namespace quality
}  // namespace gan
