// run_parallel; see parallel.h.
#include "aws/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace aws {

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

}  // namespace aws
