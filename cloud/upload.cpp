// The upload driver; see upload.h.
#include "cloud/upload.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "cloud/paging.h"

namespace cloud {

int64_t choose_part_size(int64_t file_size, int64_t preferred, int64_t min_part, int max_parts) {
  constexpr int64_t kMiB = 1 << 20;
  int64_t part = std::max(preferred, min_part);
  int64_t needed = (file_size + max_parts - 1) / max_parts;  // the smallest part giving <= max_parts
  if (needed > part) part = (needed + kMiB - 1) / kMiB * kMiB;
  return part;
}

int64_t upload_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot upload '" + path + "': " + std::strerror(errno));
  return static_cast<int64_t>(st.st_size);
}

std::string upload_parts(int64_t size, int64_t part, int concurrency, const PartedUpload& up) {
  const int parts = static_cast<int>((size + part - 1) / part);
  std::vector<std::string> tags(static_cast<size_t>(parts));
  std::exception_ptr first_error = run_parallel(parts, concurrency, [&](int i) {
    const int64_t offset = static_cast<int64_t>(i) * part;
    tags[static_cast<size_t>(i)] = up.send_part(i, offset, std::min(part, size - offset));
  });
  try {
    if (first_error) std::rethrow_exception(first_error);
    return up.commit(tags);
  } catch (...) {
    if (!first_error && up.committed_anyway) {
      if (std::string etag = up.committed_anyway(); !etag.empty()) return etag;
    }
    if (up.abort) up.abort();
    throw;
  }
}

}  // namespace cloud
