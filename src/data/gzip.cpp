// gzip (RFC 1952) through zlib's inflate (windowBits 15+16: zlib parses the header and checks the
// member's CRC-32 and ISIZE). The output buffer is sized from the file's trailer before decoding
// and never grows, so a gzip bomb fails instead of taking memory. One member only: the datasets
// gan reads ship single-member files, and anything after the first member (a concatenated file,
// trailing garbage) is refused rather than silently ignored.
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "data/dataset.h"
#include "data/io.h"

namespace gan {
namespace data {

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
  if (gz.size() > 0x7fffffff) throw DataError(path + ": gzip file over 2 GiB is not supported");
  const uint32_t want_size = le32(&gz[gz.size() - 4]);
  // ISIZE is bounded by deflate's best ratio (~1032:1) and by kMaxGunzip.
  if ((uint64_t)want_size > (uint64_t)gz.size() * 1032 + 1024)
    throw DataError(path + ": gzip trailer claims " + std::to_string(want_size) + " bytes, more than " +
                    std::to_string(gz.size()) + " compressed bytes can hold: corrupt file" + redo);
  if (want_size > kMaxGunzip)
    throw DataError(path + ": decompresses to " + std::to_string(want_size) + " bytes, more than the " +
                    std::to_string(kMaxGunzip >> 20) + " MiB gan decompresses in memory: gunzip it and " +
                    "keep the uncompressed file in its place");

  z_stream z;
  std::memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw DataError(path + ": zlib could not start (out of memory?)");
  // One byte beyond ISIZE: a stream that decodes to more than its trailer states shows itself there.
  std::vector<uint8_t> out((size_t)want_size + 1);
  z.next_in = const_cast<Bytef*>(gz.data());
  z.avail_in = (uInt)gz.size();
  z.next_out = out.data();
  z.avail_out = (uInt)out.size();
  const int rc = inflate(&z, Z_FINISH);
  const std::string msg = z.msg ? z.msg : "";
  const uLong got = z.total_out;
  const uInt left_in = z.avail_in;
  inflateEnd(&z);
  if (rc == Z_STREAM_END && left_in > 0)
    throw DataError(path + ": data after the gzip member (a concatenated or padded file is not supported)" + redo);
  if (rc == Z_STREAM_END) {
    out.resize(got);
    return out;
  }
  if (got > want_size)
    throw DataError(path + ": corrupt gzip data (the deflate stream does not decode to the " +
                    std::to_string(want_size) + " bytes its trailer states)" + redo);
  if (msg == "incorrect data check")
    throw DataError(path + ": gzip CRC-32 check failed: the file is corrupt" + redo);
  if (msg == "incorrect length check")
    throw DataError(path + ": gzip size check failed (decoded " + std::to_string(got) + " bytes, trailer says " +
                    std::to_string(want_size) + "): truncated or corrupt" + redo);
  if (msg.find("header") != std::string::npos || msg == "unknown compression method")
    throw DataError(path + ": bad gzip header (" + msg + ")" + redo);
  if (rc == Z_DATA_ERROR)
    throw DataError(path + ": corrupt gzip data (" + msg + ")" + redo);
  throw DataError(path + ": truncated gzip file (the stream ends after " + std::to_string(gz.size()) + " bytes)" + redo);
}

}  // namespace data
}  // namespace gan
