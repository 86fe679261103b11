// PNG: the bytes are a valid PNG by the spec's structure (signature, chunk CRCs, IHDR, IEND) and
// decode, through stb_image, to exactly the pixels given.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <stb_image.h>
#include <vector>

#include "train/artifacts/png.h"

namespace {

uint32_t crc32(const unsigned char* p, size_t n) {  // PNG's CRC (ISO 3309), bitwise
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return c ^ 0xFFFFFFFFu;
}

uint32_t be32(const unsigned char* p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

// Walks the chunks; returns their types in order, checking every CRC.
std::vector<std::string> chunks(const std::string& png) {
  const auto* b = reinterpret_cast<const unsigned char*>(png.data());
  std::vector<std::string> types;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  size_t p = 8;
  while (p + 12 <= png.size()) {
    uint32_t len = be32(b + p);
    if (p + 12 + len > png.size()) { ADD_FAILURE() << "chunk runs past the end"; break; }
    types.emplace_back(png.substr(p + 4, 4));
    EXPECT_EQ(crc32(b + p + 4, 4 + len), be32(b + p + 8 + len)) << "CRC of " << types.back();
    p += 12 + len;
  }
  EXPECT_EQ(p, png.size());
  return types;
}

void check_roundtrip(int w, int h, int c) {
  std::vector<uint8_t> px((size_t)w * h * c);
  uint32_t s = 7u * w + 13u * c;
  for (auto& v : px) v = (uint8_t)((s = s * 1664525u + 1013904223u) >> 24);
  std::string png = gan::encode_png(w, h, c, px.data());
  auto types = chunks(png);
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "IHDR");
  EXPECT_EQ(types.back(), "IEND");
  const auto* b = reinterpret_cast<const unsigned char*>(png.data());
  EXPECT_EQ(be32(b + 16), (uint32_t)w);
  EXPECT_EQ(be32(b + 20), (uint32_t)h);
  EXPECT_EQ(b[24], 8);  // bit depth
  const int color_type[] = {0, 0, 0, 2, 6};
  EXPECT_EQ(b[25], color_type[c]);

  int dw = 0, dh = 0, dc = 0;
  unsigned char* d = stbi_load_from_memory(b, (int)png.size(), &dw, &dh, &dc, 0);
  ASSERT_NE(d, nullptr) << stbi_failure_reason();
  EXPECT_EQ(dw, w);
  EXPECT_EQ(dh, h);
  EXPECT_EQ(dc, c);
  EXPECT_EQ(std::vector<uint8_t>(d, d + px.size()), px);
  stbi_image_free(d);
}

}  // namespace

TEST(ArtifactsPng, GreyRoundTrip) { check_roundtrip(280, 280, 1); }
TEST(ArtifactsPng, RgbRoundTrip) { check_roundtrip(7, 5, 3); }
TEST(ArtifactsPng, RgbaRoundTrip) { check_roundtrip(1, 1, 4); }

TEST(ArtifactsPng, RejectsBadArguments) {
  uint8_t px[16] = {};
  EXPECT_THROW(gan::encode_png(0, 4, 1, px), std::invalid_argument);
  EXPECT_THROW(gan::encode_png(4, -1, 1, px), std::invalid_argument);
  EXPECT_THROW(gan::encode_png(2, 2, 2, px), std::invalid_argument);
  EXPECT_THROW(gan::encode_png(2, 2, 1, nullptr), std::invalid_argument);
}
