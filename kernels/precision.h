// TF32 for the matrix work (cuBLAS linear, cuDNN conv), usable from code that must also build
// without CUDA (the CLI). Off by default: the CUDA-vs-CPU parity tests state FP32 tolerances, and
// TF32's 10-bit mantissa needs ~100× looser ones. GAN_TF32=1 in the environment turns it on too.
#pragma once

#ifdef GAN_HAVE_CUDA
#include "ops.h"
#endif

namespace gan {

inline void set_cuda_tf32(bool on) {
#ifdef GAN_HAVE_CUDA
  cuda::set_tf32(on);
#else
  (void)on;
#endif
}

inline bool cuda_tf32() {
#ifdef GAN_HAVE_CUDA
  return cuda::tf32_enabled();
#else
  return false;
#endif
}

}  // namespace gan
