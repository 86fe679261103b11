// The built-in synthetic dataset: ten shape classes drawn procedurally, so training works with no
// download. Each shape is a signed distance function in a unit frame; a pixel's coverage is
// clamp(0.5 - distance_in_pixels, 0, 1), which antialiases edges at one pixel width without
// supersampling. Rotation is kept within +-15 degrees so that classes that differ only by
// orientation (horizontal vs vertical bars, plus vs x) stay distinct. Every image draws its
// parameters from its own splitmix64 stream keyed by (seed, split, index): the output is a pure
// function of the seed and can be generated in parallel in any order.
#include <algorithm>
#include <cmath>

#include "data/loaders.h"
#include "splitmix.h"

namespace gan {
namespace data {

namespace {
struct V2 {
  float x, y;
};

float seg_dist2(V2 p, V2 a, V2 b) {  // squared distance from p to segment ab
  const float bax = b.x - a.x, bay = b.y - a.y, pax = p.x - a.x, pay = p.y - a.y;
  float t = (pax * bax + pay * bay) / (bax * bax + bay * bay);
  t = std::min(1.f, std::max(0.f, t));
  const float dx = pax - bax * t, dy = pay - bay * t;
  return dx * dx + dy * dy;
}

float box_sdf(V2 p, float hx, float hy) {  // exact signed distance to an axis-aligned box
  const float qx = std::fabs(p.x) - hx, qy = std::fabs(p.y) - hy;
  const float ox = std::max(qx, 0.f), oy = std::max(qy, 0.f);
  return std::sqrt(ox * ox + oy * oy) + std::min(std::max(qx, qy), 0.f);
}

enum Shape { kDisk, kRing, kSquare, kTriangle, kPlus, kX, kHBars, kVBars, kDiagonal, kDots };

// Signed distance in unit-frame units for filled shapes (negative inside); for stroked shapes the
// unsigned distance to the centre line (the stroke half-width is subtracted in pixels).
float shape_dist(int shape, V2 p, bool* stroked) {
  *stroked = true;
  switch (shape) {
    case kDisk: *stroked = false; return std::sqrt(p.x * p.x + p.y * p.y) - 0.9f;
    case kRing: return std::fabs(std::sqrt(p.x * p.x + p.y * p.y) - 0.85f);
    case kSquare: return std::fabs(box_sdf(p, 0.8f, 0.8f));
    case kTriangle: {  // upright equilateral-ish triangle: intersection of three half-planes
      *stroked = false;
      const float k = 0.8660254f;  // cos 30
      const float d1 = p.y - 0.75f;                     // base (image y grows downwards)
      const float d2 = -k * p.x - 0.5f * p.y - 0.45f;  // left edge
      const float d3 = k * p.x - 0.5f * p.y - 0.45f;   // right edge
      return std::max(d1, std::max(d2, d3));
    }
    case kPlus:
      return std::sqrt(std::min(seg_dist2(p, {-0.95f, 0}, {0.95f, 0}), seg_dist2(p, {0, -0.95f}, {0, 0.95f})));
    case kX:
      return std::sqrt(
          std::min(seg_dist2(p, {-0.75f, -0.75f}, {0.75f, 0.75f}), seg_dist2(p, {-0.75f, 0.75f}, {0.75f, -0.75f})));
    case kHBars: {
      float d = 1e9f;
      for (float y : {-0.7f, 0.f, 0.7f}) d = std::min(d, seg_dist2(p, {-0.85f, y}, {0.85f, y}));
      return std::sqrt(d);
    }
    case kVBars: {
      float d = 1e9f;
      for (float x : {-0.7f, 0.f, 0.7f}) d = std::min(d, seg_dist2(p, {x, -0.85f}, {x, 0.85f}));
      return std::sqrt(d);
    }
    case kDiagonal: return std::sqrt(seg_dist2(p, {-0.85f, 0.85f}, {0.85f, -0.85f}));
    default: {  // kDots: four filled dots at the corners of a square
      *stroked = false;
      const float dx = std::fabs(p.x) - 0.55f, dy = std::fabs(p.y) - 0.55f;
      return std::sqrt(dx * dx + dy * dy) - 0.3f;
    }
  }
}

void draw(int shape, uint64_t key, float* out /* 28*28 in [-1,1] */) {
  SplitMix r{key};
  const float kPi = 3.14159265f;
  const float cx = 13.5f + r.range(-1.5f, 1.5f), cy = 13.5f + r.range(-1.5f, 1.5f);
  const float scale = r.range(8.5f, 10.5f);  // pixels per unit
  const float ang = r.range(-15.f, 15.f) * (kPi / 180.f);
  const float half_stroke = 0.5f * r.range(1.5f, 3.0f);
  const float fg = r.range(0.75f, 1.0f), bg = r.range(0.0f, 0.1f), noise = r.range(0.02f, 0.08f);
  const float ca = std::cos(ang), sa = std::sin(ang), inv = 1.f / scale;
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      // pixel centre -> unit frame (inverse rotation, then scale)
      const float dx = x - cx, dy = y - cy;
      const V2 p{(ca * dx + sa * dy) * inv, (-sa * dx + ca * dy) * inv};
      bool stroked;
      float d = shape_dist(shape, p, &stroked) * scale;
      if (stroked) d -= half_stroke;
      const float cover = std::min(1.f, std::max(0.f, 0.5f - d));
      // Approximately normal noise: three 21-bit uniforms from one draw; their sum has variance
      // 1/4, so z has unit variance.
      const uint64_t bits = r.next();
      const float k21 = 1.0f / 2097152.0f;
      const float z = ((float)(bits & 0x1FFFFF) * k21 + (float)((bits >> 21) & 0x1FFFFF) * k21 +
                       (float)((bits >> 42) & 0x1FFFFF) * k21 - 1.5f) * 2.f;
      float v = bg + (fg - bg) * cover + noise * z;
      v = std::min(1.f, std::max(0.f, v));
      out[y * 28 + x] = 2.f * v - 1.f;
    }
}
}  // namespace

int synthetic_count(bool train) { return train ? 60000 : 10000; }

Dataset make_synthetic(const DatasetOptions& o, const std::vector<int>& which) {
  Dataset d;
  d.name = "synthetic";
  d.n = (int)which.size();
  d.c = 1;
  d.h = d.w = 28;
  d.num_classes = 10;
  d.class_names = {"disk", "ring", "square", "triangle", "plus", "x", "horizontal bars", "vertical bars",
                   "diagonal", "dots"};
  d.images.resize((size_t)d.n * 784);
  d.labels.resize(d.n);
  // Train and test draw from different streams so the test split is fresh data.
  const uint64_t stream = o.train ? 0x747261696eull /* "train" */ : 0x74657374ull /* "test" */;
  SplitMix base{o.seed ^ (stream * 0xD1B54A32D192ED03ull)};
  const uint64_t root = base.next();
#pragma omp parallel for schedule(static)
  for (int j = 0; j < d.n; ++j) {
    const int i = which[j];
    d.labels[j] = i % 10;  // balanced classes; the trainer shuffles
    SplitMix k{root + (uint64_t)i * 0x9E3779B97F4A7C15ull};
    draw(i % 10, k.next(), &d.images[(size_t)j * 784]);
  }
  return d;
}

}  // namespace data
}  // namespace gan
