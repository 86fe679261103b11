// No exception may leave an OpenMP parallel region: the runtime cannot carry it to the thread
// that started the region, so it calls std::terminate (a bad_alloc in a dataset loader's loop
// ended the process with exit 134 instead of an error naming the file). Every region whose body
// can throw (it allocates, or calls code that checks its input) runs the body through run(), and
// the first exception is rethrown after the region, on the calling thread, as a normal exception:
//
//   ParallelErrors errors;
//   #pragma omp parallel for
//   for (int i = 0; i < n; ++i) errors.run([&] { ... });
//   errors.rethrow();
//
// After a failure the remaining iterations return at once (an OpenMP loop cannot be left early).
// Regions that only do arithmetic on memory they were given need none of this.
#pragma once
#include <atomic>
#include <exception>
#include <mutex>

namespace gan {

class ParallelErrors {
 public:
  template <typename Body>
  void run(Body&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      body();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!first_) first_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  // Call after the region, on the thread that started it.
  void rethrow() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::exception_ptr first_;
};

}  // namespace gan
