// Pixel geometry shared by the loaders: every source image is turned into the model's
// (channels, size, size) in [-1,1] through these few functions, so IDX, CIFAR and folders agree
// on what "resize" and "grayscale" mean.
#pragma once
#include <cstdint>
#include <vector>

namespace gan {
namespace data {

// Planar float image, values in [0,255] until the final to_unit() step.
struct Image {
  int c = 0, h = 0, w = 0;
  std::vector<float> px;  // c*h*w, CHW
};

Image from_interleaved(const uint8_t* hwc, int h, int w, int c);  // HWC bytes (stb layout)
Image from_planar(const uint8_t* chw, int c, int h, int w);       // CHW bytes (IDX, CIFAR)

// Separable resampling: area averaging along an axis that shrinks (no aliasing), bilinear with
// half-pixel centres along one that grows. Identity when the size is unchanged.
Image resize(const Image& in, int oh, int ow);
// Largest centred square, then resize to size x size: the same pixels as "shorter side to size,
// then centre crop", done in the cheaper order.
Image square_crop_resize(const Image& in, int size);
// 1 <-> 3 channels: gray replicated; RGB to luma with ITU-R BT.601 weights.
Image to_channels(const Image& in, int channels);
// Appends c*h*w values mapped from [0,255] to [-1,1].
void append_unit(const Image& in, std::vector<float>* out);

}  // namespace data
}  // namespace gan
