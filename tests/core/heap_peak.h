// The peak of heap bytes held through operator new while a scope runs: the bad-input tests use it
// to show that a hostile file is refused before the parser allocates what it claims, and that a
// good one costs about its own size. heap_peak.cpp replaces the global operator new and delete of
// test_core (they count, then call malloc and free); the bytes counted are malloc's usable sizes.
#pragma once
#include <cstdint>

namespace gan_test {

class HeapPeak {
 public:
  HeapPeak();             // starts measuring from the bytes live now (one HeapPeak at a time)
  int64_t bytes() const;  // the highest live bytes since construction, above the start

 private:
  int64_t start_;
};

}  // namespace gan_test
