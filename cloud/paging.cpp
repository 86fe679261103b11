// Listing page guard and run_parallel; see paging.h.
#include "cloud/paging.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cloud {

void ListingPages::next(const std::string& token) {
  if (!seen_.insert(token).second)
    throw std::runtime_error(what_ + ": the server answered page " + std::to_string(pages_) +
                             " as truncated with a continuation token it had already given; stopping " +
                             "rather than listing the same pages forever (a faulty server or proxy?)");
  if (++pages_ > kMaxPages)
    throw std::runtime_error(what_ + ": more than " + std::to_string(kMaxPages) +
                             " pages and the server still says truncated; stopping (a faulty server or proxy?)");
}

std::exception_ptr run_parallel(int count, int threads, const std::function<void(int)>& job) {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::exception_ptr first;
  auto worker = [&] {
    for (;;) {
      int i = next.fetch_add(1);
      if (i >= count || failed.load()) return;
      try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!first) first = std::current_exception();
        failed.store(true);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0, n = std::max(1, std::min(threads, count)); t < n; t++) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  return first;
}

}  // namespace cloud
