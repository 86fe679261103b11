// PNG through stb_image_write's callback API, so the bytes land in memory and the caller decides
// where they go (an atomic file, a storage put) instead of stb opening files itself.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
// stb's own code trips -Wextra; silence it for stb only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

#include "train/artifacts/png.h"

#include <stdexcept>

namespace gan {
namespace {
void append(void* ctx, void* data, int size) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), (size_t)size);
}
}  // namespace

std::string encode_png(int width, int height, int channels, const uint8_t* pixels) {
  if (width <= 0 || height <= 0 || width > (1 << 20) || height > (1 << 20))
    throw std::invalid_argument("encode_png: bad size " + std::to_string(width) + "x" +
                                std::to_string(height));
  if (channels != 1 && channels != 3 && channels != 4)
    throw std::invalid_argument("encode_png: channels must be 1, 3 or 4, got " +
                                std::to_string(channels));
  if (!pixels) throw std::invalid_argument("encode_png: no pixels");
  std::string out;
  if (!stbi_write_png_to_func(append, &out, width, height, channels, pixels, width * channels))
    throw std::runtime_error("encode_png: stb_image_write failed for " + std::to_string(width) +
                             "x" + std::to_string(height) + "x" + std::to_string(channels));
  return out;
}

}  // namespace gan
