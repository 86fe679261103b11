// median_ms: CUDA events on a CudaOps stream, or the wall clock on the CPU backend.
#include <algorithm>
#include <chrono>
#include <vector>

#include "bench.h"
#ifdef GAN_HAVE_CUDA
#include <cuda_runtime.h>

#include "kernels/check.h"
#include "kernels/cuda_ops.h"
#endif

namespace gan::bench {

double median_ms(Ops& ops, const std::function<void()>& fn, int iters, int warmup,
                 const std::function<void()>& between) {
  if (iters < 1) iters = 1;
  for (int i = 0; i < warmup; ++i) fn();
  ops.synchronize();
  std::vector<double> ms(iters);
#ifdef GAN_HAVE_CUDA
  if (auto* cuda = dynamic_cast<cuda::CudaOps*>(&ops)) {
    cudaEvent_t a, b;
    CUDA_CHECK(cudaEventCreate(&a));
    CUDA_CHECK(cudaEventCreate(&b));
    for (int i = 0; i < iters; ++i) {
      if (between) between();
      CUDA_CHECK(cudaEventRecord(a, cuda->stream()));
      fn();
      CUDA_CHECK(cudaEventRecord(b, cuda->stream()));
      CUDA_CHECK(cudaEventSynchronize(b));
      float t = 0;
      CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
      ms[i] = t;
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    std::sort(ms.begin(), ms.end());
    return ms[iters / 2];
  }
#endif
  for (int i = 0; i < iters; ++i) {
    if (between) between();
    ops.synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    ops.synchronize();
    ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  std::sort(ms.begin(), ms.end());
  return ms[iters / 2];
}

}  // namespace gan::bench
