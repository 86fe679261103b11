// PNG encoding for the sample grids (generated.png, target.png), through stb_image_write.
//
// stb is header-only and ships in Debian (libstb-dev), so the core needs neither zlib nor libpng;
// this file's .cpp is the one place STB_IMAGE_WRITE_IMPLEMENTATION is defined.
#pragma once
#include <cstdint>
#include <string>

namespace gan {

// Encodes row-major, interleaved 8-bit pixels (channels 1 = grey, 3 = RGB, 4 = RGBA) as PNG bytes.
// Throws std::invalid_argument on a bad size or channel count, std::runtime_error if stb fails.
std::string encode_png(int width, int height, int channels, const uint8_t* pixels);

}  // namespace gan
