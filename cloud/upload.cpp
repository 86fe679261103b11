// The upload driver; see upload.h.
#include "cloud/upload.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace cloud {

int64_t choose_part_size(int64_t file_size, int64_t preferred, int64_t min_part, int max_parts) {
  constexpr int64_t kMiB = 1 << 20;
  int64_t part = std::max(preferred, min_part);
  int64_t needed = (file_size + max_parts - 1) / max_parts;  // the smallest part giving <= max_parts
  if (needed > part) part = (needed + kMiB - 1) / kMiB * kMiB;
  return part;
}

std::string upload_parts(int64_t size, int64_t part, int concurrency, const PartedUpload& up) {
  const int parts = static_cast<int>((size + part - 1) / part);
  std::vector<std::string> tags(static_cast<size_t>(parts));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::exception_ptr first_error;
  auto worker = [&] {
    for (int i = next++; i < parts && !failed.load(); i = next++) {
      const int64_t offset = static_cast<int64_t>(i) * part;
      try {
        tags[static_cast<size_t>(i)] = up.send_part(i, offset, std::min(part, size - offset));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!first_error) first_error = std::current_exception();
        failed.store(true);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0, n = std::max(1, std::min(concurrency, parts)); t < n; t++) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  try {
    if (first_error) std::rethrow_exception(first_error);
    return up.commit(tags);
  } catch (...) {
    if (!first_error && up.committed_anyway) {
      if (std::string etag = up.committed_anyway(); !etag.empty()) return etag;
    }
    try {
      if (up.abort) up.abort();
    } catch (...) {
    }
    throw;
  }
}

}  // namespace cloud
