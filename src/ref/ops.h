// The CPU reference of every op: same names and signatures as the Ops interface (src/ops.h) and
// as the CUDA launchers in kernels/ (namespace gan::cuda), all declared from src/op_list.h.
// Multithreaded (OpenMP), deterministic: work is split over outputs, never over a reduction, so a
// result does not depend on the thread count. src/ref/X.cpp is the twin of kernels/X.cu.
#pragma once
#include "../ops.h"

namespace gan::ref {

// Every op of src/op_list.h: its parameters (MATRIX ops also at a precision: src/precision.h says
// where tf32 and bf16 round; Fp32 is the plain reference).
GAN_OPS(GAN_REF_DECL)
// The CUSTOM ops: store_row at a step value; adam_update at Adam's t itself (t ≥ 1).
void store_row(float* slab, const float* values, int count, int capacity, uint64_t step);
void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t);

// Rounds x in place to precision p (nothing for Fp32).
void round_array(Precision p, float* x, int64_t n);

// C[M,N] (+)= A[M,K]·B[K,N] with optional transposes (row-major), cache-blocked; the engine of
// linear and conv (im2col). beta 0 overwrites C, beta 1 accumulates.
void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace gan::ref
