// When a CPU op forks threads. Each OpenMP parallel region ends in a join that waits for the
// slowest thread, and on a busy machine (a laptop running other things, a shared CI box) that
// thread may be descheduled for a whole time slice, so a region costs far more there than its
// work divided by the thread count suggests. Loops therefore go parallel only when their serial
// work is a few hundred microseconds or more; below that, one thread is as fast and immune.
// Whatever the choice, results are the same: the split never changes any reduction's order.
#pragma once
#include <cstdint>

namespace gan::ref {

// One pass over memory per element (copies, LeakyReLU, masks, im2col, bias): elements.
constexpr int64_t kParallelMemory = int64_t(1) << 20;
// Some arithmetic per element (tanh, sigmoid, Philox, Adam, BatchNorm's passes): elements.
constexpr int64_t kParallelCompute = int64_t(1) << 17;
// GEMM and direct convolution: floating-point operations.
constexpr double kParallelFlops = 2e7;

}  // namespace gan::ref
