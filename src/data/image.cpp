// Resampling as two 1-D passes with precomputed tap tables: each output index gets a list of
// (source index, weight). Area weights are the exact overlap of the output pixel's footprint with
// each source pixel, so 56->28 averages 2x2 blocks and 32->28 mixes neighbours without dropping
// any source pixel. Upscaling uses bilinear taps (pixel centres at i+0.5, edges clamped).
#include "data/image.h"

#include <algorithm>
#include <cmath>

namespace gan {
namespace data {

namespace {
struct Taps {
  std::vector<int> start;      // per output: first tap in idx/wt
  std::vector<int> idx;
  std::vector<float> wt;
};

Taps make_taps(int in, int out) {
  Taps t;
  t.start.reserve(out + 1);
  const double s = (double)in / out;
  for (int o = 0; o < out; ++o) {
    t.start.push_back((int)t.idx.size());
    if (in == out) {
      t.idx.push_back(o);
      t.wt.push_back(1.f);
    } else if (in > out) {  // area: footprint [o*s, (o+1)*s)
      double a = o * s, b = (o + 1) * s;
      for (int i = (int)std::floor(a); i < (int)std::ceil(b) && i < in; ++i) {
        double ov = std::min(b, i + 1.0) - std::max(a, (double)i);
        if (ov > 1e-9) {
          t.idx.push_back(i);
          t.wt.push_back((float)(ov / s));
        }
      }
    } else {  // bilinear
      double x = (o + 0.5) * s - 0.5;
      x = std::min(std::max(x, 0.0), (double)(in - 1));
      int i0 = (int)std::floor(x);
      int i1 = std::min(i0 + 1, in - 1);
      float f = (float)(x - i0);
      t.idx.push_back(i0);
      t.wt.push_back(1.f - f);
      if (i1 != i0 && f > 0.f) {
        t.idx.push_back(i1);
        t.wt.push_back(f);
      }
    }
  }
  t.start.push_back((int)t.idx.size());
  return t;
}
}  // namespace

Image from_interleaved(const uint8_t* hwc, int h, int w, int c) {
  Image im{c, h, w, std::vector<float>((size_t)c * h * w)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) im.px[((size_t)k * h + y) * w + x] = hwc[((size_t)y * w + x) * c + k];
  return im;
}

Image from_planar(const uint8_t* chw, int c, int h, int w) {
  Image im{c, h, w, std::vector<float>(chw, chw + (size_t)c * h * w)};
  return im;
}

Image resize(const Image& in, int oh, int ow) {
  if (in.h == oh && in.w == ow) return in;
  const Taps tx = make_taps(in.w, ow), ty = make_taps(in.h, oh);
  Image mid{in.c, in.h, ow, std::vector<float>((size_t)in.c * in.h * ow)};
  for (int k = 0; k < in.c; ++k)
    for (int y = 0; y < in.h; ++y) {
      const float* src = &in.px[((size_t)k * in.h + y) * in.w];
      float* dst = &mid.px[((size_t)k * in.h + y) * ow];
      for (int o = 0; o < ow; ++o) {
        float acc = 0.f;
        for (int j = tx.start[o]; j < tx.start[o + 1]; ++j) acc += tx.wt[j] * src[tx.idx[j]];
        dst[o] = acc;
      }
    }
  Image out{in.c, oh, ow, std::vector<float>((size_t)in.c * oh * ow, 0.f)};
  for (int k = 0; k < in.c; ++k)
    for (int o = 0; o < oh; ++o) {
      float* dst = &out.px[((size_t)k * oh + o) * ow];
      for (int j = ty.start[o]; j < ty.start[o + 1]; ++j) {
        const float* src = &mid.px[((size_t)k * in.h + ty.idx[j]) * ow];
        const float wgt = ty.wt[j];
        for (int x = 0; x < ow; ++x) dst[x] += wgt * src[x];
      }
    }
  return out;
}

Image square_crop_resize(const Image& in, int size) {
  const int side = std::min(in.h, in.w);
  const int y0 = (in.h - side) / 2, x0 = (in.w - side) / 2;
  Image sq{in.c, side, side, std::vector<float>((size_t)in.c * side * side)};
  for (int k = 0; k < in.c; ++k)
    for (int y = 0; y < side; ++y)
      std::copy_n(&in.px[((size_t)k * in.h + y0 + y) * in.w + x0], side, &sq.px[((size_t)k * side + y) * side]);
  return resize(sq, size, size);
}

Image to_channels(const Image& in, int channels) {
  if (in.c == channels) return in;
  const size_t hw = (size_t)in.h * in.w;
  Image out{channels, in.h, in.w, std::vector<float>((size_t)channels * hw)};
  if (channels == 1) {  // from 3 (or 4: alpha ignored) channels
    for (size_t i = 0; i < hw; ++i)
      out.px[i] = 0.299f * in.px[i] + 0.587f * in.px[hw + i] + 0.114f * in.px[2 * hw + i];
  } else {  // channels == 3 from gray (only the first plane is used)
    for (int k = 0; k < 3; ++k) std::copy_n(in.px.begin(), hw, out.px.begin() + k * hw);
  }
  return out;
}

void append_unit(const Image& in, std::vector<float>* out) {
  for (float v : in.px) out->push_back(std::min(1.f, std::max(-1.f, v * (2.f / 255.f) - 1.f)));
}

}  // namespace data
}  // namespace gan
