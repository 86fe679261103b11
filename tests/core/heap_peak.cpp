// Global operator new/delete that keep a count of live heap bytes and its high-water mark; see
// heap_peak.h. Other threads' allocations count too: the measured code runs on the test's thread
// (and OpenMP workers it starts), so the tests that use it keep other work out of the scope.
#include "heap_peak.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  const int64_t size = (int64_t)malloc_usable_size(p);
  const int64_t now = g_live.fetch_add(size, std::memory_order_relaxed) + size;
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return p;
}

void counted_free(void* p) noexcept {
  if (!p) return;
  g_live.fetch_sub((int64_t)malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

namespace gan_test {

HeapPeak::HeapPeak() : start_(g_live.load()) { g_peak.store(start_); }

int64_t HeapPeak::bytes() const { return g_peak.load() - start_; }

}  // namespace gan_test
