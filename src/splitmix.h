// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", 2014): the
// host's small generator for shuffles, subsets, draws and the synthetic shapes' parameters. A pure
// function of its state, the same on every machine and standard library (std:: distributions are
// not). Per-element streams on the device use Philox (philox.h).
#pragma once
#include <cstdint>

namespace gan {

struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }                  // [0, n)
  float uniform() { return (float)(next() >> 40) * (1.0f / 16777216.0f); }        // [0,1), 24 bits
  float range(float a, float b) { return a + (b - a) * uniform(); }
};

}  // namespace gan
