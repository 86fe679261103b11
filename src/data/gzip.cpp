// gzip (RFC 1952) on top of stb_image's raw-deflate decoder. stb_image does not report how many
// input bytes the deflate stream used, so the 8-byte trailer is taken from the end of the file:
// right for the single-member files that MNIST-style datasets ship, and a truncated or
// concatenated file then fails the CRC/ISIZE check instead of decoding silently (stb's decoder
// reads zeros past the end of its input, so without the check truncation could go unnoticed).
#include <algorithm>
#include <memory>

#include <stb_image.h>

#include "data/dataset.h"
#include "data/io.h"

namespace gan {
namespace data {

// CRC-32 as specified in RFC 1952 section 8 (reflected polynomial 0xEDB88320).
uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc) {
  static const auto table = [] {
    std::unique_ptr<uint32_t[]> t(new uint32_t[256]);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// Datasets that gan decompresses in memory (IDX files) are tens of MB; anything larger than this
// is refused with advice rather than allocated on the word of its trailer.
constexpr uint32_t kMaxGunzip = 1u << 30;

static uint32_t le32(const uint8_t* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& gz, const std::string& path) {
  const std::string redo = ": delete it and download it again";
  if (gz.size() < 18) throw DataError(path + ": truncated gzip file (" + std::to_string(gz.size()) + " bytes)" + redo);
  if (gz[0] != 0x1f || gz[1] != 0x8b) throw DataError(path + ": not a gzip file (bad magic)" + redo);
  if (gz[2] != 8) throw DataError(path + ": gzip compression method " + std::to_string(gz[2]) + " is not deflate" + redo);
  // Header: ID1 ID2 CM FLG MTIME(4) XFL OS, then the optional fields FLG announces.
  const uint8_t flg = gz[3];
  const size_t end = gz.size() - 8;  // start of the trailer
  size_t pos = 10;
  auto need = [&](size_t n) {
    if (pos + n > end) throw DataError(path + ": truncated gzip header" + redo);
  };
  if (flg & 0x04) {  // FEXTRA
    need(2);
    size_t xlen = gz[pos] | gz[pos + 1] << 8;
    pos += 2;
    need(xlen);
    pos += xlen;
  }
  for (uint8_t bit : {uint8_t(0x08), uint8_t(0x10)}) {  // FNAME, FCOMMENT: zero-terminated
    if (!(flg & bit)) continue;
    while (true) {
      need(1);
      if (gz[pos++] == 0) break;
    }
  }
  if (flg & 0x02) {  // FHCRC
    need(2);
    pos += 2;
  }
  const uint32_t want_crc = le32(&gz[end]), want_size = le32(&gz[end + 4]);
  // The trailer stays in the decoder's input: stb_image 2.27 gives up when fewer than 16 bits
  // remain before the end of its input, even if the final codes fit in them (PNG never hits
  // this because the Adler-32 follows the stream). Decoding stops at the final block anyway.
  const size_t in_len = gz.size() - pos;
  if (in_len > 0x7fffffff) throw DataError(path + ": gzip file over 2 GiB is not supported");
  // The output buffer is exactly ISIZE bytes and cannot grow: a stream that decodes to more (a
  // gzip bomb, or a corrupt trailer) fails instead of taking memory. ISIZE itself is bounded by
  // deflate's best ratio (~1032:1) and by kMaxGunzip.
  if ((uint64_t)want_size > (uint64_t)in_len * 1032 + 1024)
    throw DataError(path + ": gzip trailer claims " + std::to_string(want_size) + " bytes, more than " +
                    std::to_string(in_len) + " compressed bytes can hold: corrupt file" + redo);
  if (want_size > kMaxGunzip)
    throw DataError(path + ": decompresses to " + std::to_string(want_size) + " bytes, more than the " +
                    std::to_string(kMaxGunzip >> 20) + " MiB gan decompresses in memory: gunzip it and " +
                    "keep the uncompressed file in its place");
  std::vector<uint8_t> out(std::max<size_t>(want_size, 1));
  const int got = stbi_zlib_decode_noheader_buffer(reinterpret_cast<char*>(out.data()), (int)want_size,
                                                   reinterpret_cast<const char*>(&gz[pos]), (int)in_len);
  if (got < 0)
    throw DataError(path + ": corrupt gzip data (the deflate stream does not decode to the " +
                    std::to_string(want_size) + " bytes its trailer states)" + redo);
  out.resize((size_t)got);
  if ((uint32_t)out.size() != want_size)
    throw DataError(path + ": gzip size check failed (decoded " + std::to_string(out.size()) +
                    " bytes, trailer says " + std::to_string(want_size) + "): truncated or corrupt" + redo);
  if (crc32(out.data(), out.size()) != want_crc)
    throw DataError(path + ": gzip CRC-32 check failed: the file is corrupt" + redo);
  return out;
}

}  // namespace data
}  // namespace gan
