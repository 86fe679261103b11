#include "http/gzip.h"

#include <zlib.h>

#include <cstdlib>
#include <stdexcept>

namespace gan::http {

std::string gzip_compress(const std::string& data, int level) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, (uLong)data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = (uInt)data.size();
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = (uInt)out.size();
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  out.resize(zs.total_out);
  return out;
}

bool accepts_gzip(const std::string& h) {
  size_t pos = 0;
  while (pos <= h.size()) {
    size_t end = h.find(',', pos);
    if (end == std::string::npos) end = h.size();
    std::string part = h.substr(pos, end - pos);
    size_t b = part.find_first_not_of(" \t");
    part = b == std::string::npos ? "" : part.substr(b);
    std::string token = part.substr(0, part.find_first_of("; \t"));
    if (token == "gzip" || token == "*") {
      size_t q = part.find("q=");
      if (q == std::string::npos) return true;
      return std::strtod(part.c_str() + q + 2, nullptr) > 0;
    }
    pos = end + 1;
  }
  return false;
}

}  // namespace gan::http
