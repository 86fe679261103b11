// Whole-file reads for the loaders. POSIX stat/fopen rather than <filesystem> so error
// messages can carry strerror(errno), which says *why* (permission, missing, a directory).
#include "data/io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/stat.h>

#include "data/dataset.h"

namespace gan {
namespace data {

std::vector<uint8_t> read_file(const std::string& path) {
  if (dir_exists(path)) throw DataError(path + ": is a directory, expected a file");
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw DataError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) out.insert(out.end(), buf, buf + got);
  if (std::ferror(f.get())) throw DataError(path + ": read error (" + std::strerror(errno) + ")");
  return out;
}

}  // namespace data
}  // namespace gan
