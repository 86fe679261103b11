#include "http/downsample.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gan::http {

const char* const kMetricNames[kMetricCount] = {"d_loss_real", "d_loss_fake", "g_loss",   "class_loss",
                                                "d_acc_real",  "d_acc_fake",  "class_acc"};

float metric_value(const BatchRow& r, int m) {
  switch (m) {
    case 0: return r.d_loss_real;
    case 1: return r.d_loss_fake;
    case 2: return r.g_loss;
    case 3: return r.class_loss;
    case 4: return r.d_acc_real;
    case 5: return r.d_acc_fake;
    case 6: return r.class_acc;
  }
  return std::numeric_limits<float>::quiet_NaN();
}

std::vector<Bucket> downsample(const std::vector<BatchRow>& rows, size_t begin, size_t end, int buckets) {
  std::vector<Bucket> out;
  end = std::min(end, rows.size());
  if (begin >= end) return out;
  size_t n = end - begin;
  size_t nb = std::min(n, (size_t)std::max(1, buckets));
  out.resize(nb);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t b = 0; b < nb; ++b) {
    // Integer bucket edges: sizes differ by at most one and every row lands in exactly one bucket.
    size_t lo = begin + b * n / nb, hi = begin + (b + 1) * n / nb;
    Bucket& k = out[b];
    k.x_first = rows[lo].step;
    k.x_last = rows[hi - 1].step;
    k.count = (int)(hi - lo);
    for (int m = 0; m < kMetricCount; ++m) {
      float mn = std::numeric_limits<float>::infinity(), mx = -mn;
      double sum = 0;
      int valid = 0;
      for (size_t i = lo; i < hi; ++i) {
        float v = metric_value(rows[i], m);
        if (!std::isfinite(v)) continue;
        mn = std::min(mn, v);
        mx = std::max(mx, v);
        sum += v;
        ++valid;
      }
      k.min[m] = valid ? mn : nan;
      k.max[m] = valid ? mx : nan;
      k.mean[m] = valid ? (float)(sum / valid) : nan;
    }
  }
  return out;
}

void step_range(const std::vector<BatchRow>& rows, int64_t from_step, int64_t to_step, size_t* begin, size_t* end) {
  auto lo = std::lower_bound(rows.begin(), rows.end(), from_step,
                             [](const BatchRow& r, int64_t s) { return r.step < s; });
  auto hi = std::upper_bound(rows.begin(), rows.end(), to_step,
                             [](int64_t s, const BatchRow& r) { return s < r.step; });
  *begin = (size_t)(lo - rows.begin());
  *end = std::max(*begin, (size_t)(hi - rows.begin()));
}

}  // namespace gan::http
