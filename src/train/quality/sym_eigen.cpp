#include "sym_eigen.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace gan {
namespace quality {

void sym_eigen(const std::vector<double>& in, int d, std::vector<double>* values, std::vector<double>* vectors) {
  if (d < 1 || in.size() != (size_t)d * d) throw std::invalid_argument("sym_eigen: matrix is not d×d");
  std::vector<double> a(in);
  for (int i = 0; i < d; ++i)  // symmetrise from the upper triangle
    for (int j = i + 1; j < d; ++j) a[(size_t)j * d + i] = a[(size_t)i * d + j];
  std::vector<double> v((size_t)d * d, 0.0);
  for (int i = 0; i < d; ++i) v[(size_t)i * d + i] = 1.0;
  double total = 0;
  for (double x : a) total += x * x;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int i = 0; i < d; ++i)
      for (int j = i + 1; j < d; ++j) off += a[(size_t)i * d + j] * a[(size_t)i * d + j];
    if (off <= 1e-30 * total || off == 0) break;
    for (int p = 0; p < d; ++p)
      for (int q = p + 1; q < d; ++q) {
        const double apq = a[(size_t)p * d + q];
        if (apq == 0) continue;
        const double app = a[(size_t)p * d + p], aqq = a[(size_t)q * d + q];
        // Rutishauser's rotation: θ = (aqq − app)/(2apq), t = sgn(θ)/(|θ| + √(θ²+1)).
        const double theta = (aqq - app) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < d; ++k) {  // A ← A·J (columns p, q)
          const double akp = a[(size_t)k * d + p], akq = a[(size_t)k * d + q];
          a[(size_t)k * d + p] = c * akp - s * akq;
          a[(size_t)k * d + q] = s * akp + c * akq;
        }
        for (int k = 0; k < d; ++k) {  // A ← Jᵀ·A (rows p, q)
          const double apk = a[(size_t)p * d + k], aqk = a[(size_t)q * d + k];
          a[(size_t)p * d + k] = c * apk - s * aqk;
          a[(size_t)q * d + k] = s * apk + c * aqk;
        }
        a[(size_t)p * d + q] = a[(size_t)q * d + p] = 0;
        for (int k = 0; k < d; ++k) {  // V ← V·J
          const double vkp = v[(size_t)k * d + p], vkq = v[(size_t)k * d + q];
          v[(size_t)k * d + p] = c * vkp - s * vkq;
          v[(size_t)k * d + q] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<int> order(d);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int x, int y) { return a[(size_t)x * d + x] < a[(size_t)y * d + y]; });
  values->assign(d, 0.0);
  vectors->assign((size_t)d * d, 0.0);
  for (int k = 0; k < d; ++k) {
    (*values)[k] = a[(size_t)order[k] * d + order[k]];
    for (int i = 0; i < d; ++i) (*vectors)[(size_t)i * d + k] = v[(size_t)i * d + order[k]];
  }
}

std::vector<double> sqrtm_psd(const std::vector<double>& a, int d) {
  std::vector<double> lam, v;
  sym_eigen(a, d, &lam, &v);
  std::vector<double> r((size_t)d * d, 0.0);
  for (int k = 0; k < d; ++k) {
    const double s = std::sqrt(std::max(lam[k], 0.0));
    if (s == 0) continue;
    for (int i = 0; i < d; ++i) {
      const double vi = v[(size_t)i * d + k] * s;
      for (int j = 0; j < d; ++j) r[(size_t)i * d + j] += vi * v[(size_t)j * d + k];
    }
  }
  return r;
}

}  // namespace quality
}  // namespace gan
