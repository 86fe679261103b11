// Scratch memory for the CPU reference: one growable, 64-byte aligned buffer per (calling thread,
// slot). Ops reuse it from call to call, so a training step does not pay for fresh pages (page
// faults on a multi-megabyte im2col buffer cost as much as a small GEMM). Slots keep buffers that
// are live at the same time apart: the GEMM's packing slots are distinct from the conv slots.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

namespace gan::ref {

enum ScratchSlot { kGemmA = 0, kGemmB, kConvCol, kConvTmp, kConvGather, kScratchSlots };

class Scratch {
 public:
  ~Scratch() {
    for (auto& b : bufs_) std::free(b.p);
  }
  // Valid until the next call with the same slot on this thread; contents are unspecified.
  float* get(ScratchSlot slot, size_t n) {
    Buf& b = bufs_[slot];
    if (n > b.n) {
      std::free(b.p);
      size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      b.p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!b.p) {
        b.n = 0;
        throw std::bad_alloc();
      }
      b.n = n;
    }
    return b.p;
  }

 private:
  struct Buf {
    float* p = nullptr;
    size_t n = 0;
  };
  Buf bufs_[kScratchSlots];
};

inline float* scratch(ScratchSlot slot, size_t n) {
  thread_local Scratch s;
  return s.get(slot, n);
}

}  // namespace gan::ref
