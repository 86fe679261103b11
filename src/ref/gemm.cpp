// sgemm, the engine of linear and conv on the CPU. BLIS's loop structure: C is cut into NC-wide
// column blocks and K into KC-deep slices; each slice of B is packed into NR-wide panels and each
// MC-tall block of A into MR-tall panels (zero padded at the edges), so the micro-kernel streams
// both contiguously and keeps an MR×NR tile of C in registers. The micro-kernel is written in the
// vector type of simd.h (AVX-512, AVX2 or 128-bit, whichever the compiler targets).
//
// Determinism: threads split C into blocks of whole micro-tiles, never K. Every element of C is
// summed over k in the same order, KC slice by KC slice, whatever the thread count, so results are
// bit-identical from 1 to N threads. Blocking sizes are constants for the same reason.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ops.h"
#include "parallel.h"
#include "parallel_errors.h"
#include "scratch.h"
#include "simd.h"

namespace gan::ref {
namespace {

using simd::VL;
using simd::vf;
// Registers: 2·MR accumulators + 2 B vectors + 1 broadcast.
constexpr int MR = VL == 16 ? 8 : VL == 8 ? 6 : 4;
constexpr int NR = 2 * VL;
constexpr int KC = 256;         // B micro-panel KC·NR floats stays in L1
constexpr int MC = MR * 24;     // packed A block stays in L2
constexpr int NC = NR * 128;    // packed B slice stays in L2/L3

// tile[MR][NR] = Σ_k a[k][0..MR) ⊗ b[k][0..NR); a and b are packed and 64-byte aligned.
inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b,
                         float* __restrict tile) {
  a = static_cast<const float*>(__builtin_assume_aligned(a, 16));
  b = static_cast<const float*>(__builtin_assume_aligned(b, 64));
  vf c[MR][2] = {};
  for (int k = 0; k < kc; ++k) {
    vf b0 = *reinterpret_cast<const vf*>(b);
    vf b1 = *reinterpret_cast<const vf*>(b + VL);
    for (int i = 0; i < MR; ++i) {
      c[i][0] += a[i] * b0;
      c[i][1] += a[i] * b1;
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; ++i) {
    *reinterpret_cast<vf*>(tile + i * NR) = c[i][0];
    *reinterpret_cast<vf*>(tile + i * NR + VL) = c[i][1];
  }
}

// C[0..mr, 0..nr) = alpha·tile + beta·C; beta == 0 never reads C (it may hold NaN).
inline void update_c(int mr, int nr, float alpha, const float* tile, float beta, float* C, int ldc) {
  for (int i = 0; i < mr; ++i) {
    float* c = C + (int64_t)i * ldc;
    const float* t = tile + i * NR;
    if (beta == 0.0f) {
      for (int j = 0; j < nr; ++j) c[j] = alpha * t[j];
    } else if (beta == 1.0f) {
      for (int j = 0; j < nr; ++j) c[j] += alpha * t[j];
    } else {
      for (int j = 0; j < nr; ++j) c[j] = beta * c[j] + alpha * t[j];
    }
  }
}

// One butterfly stage of a VL×VL transpose: rows a and c (= a + STEP) swap their STEP-wide
// off-diagonal blocks. Constant masks, so each shuffle is one or two instructions.
template <int STEP, int... L>
inline void butterfly(vf& a, vf& c, std::integer_sequence<int, L...>) {
  typedef int vi __attribute__((vector_size(VL * sizeof(int))));
  const vi lo = {((L & STEP) ? VL + L - STEP : L)...};
  const vi hi = {((L & STEP) ? VL + L : L + STEP)...};
  const vf x = __builtin_shuffle(a, c, lo), y = __builtin_shuffle(a, c, hi);
  a = x;
  c = y;
}
template <int STEP>
inline void transpose_stage(vf* r) {
  if constexpr (STEP < VL) {
    for (int i = 0; i < VL; ++i)
      if (!(i & STEP)) butterfly<STEP>(r[i], r[i + STEP], std::make_integer_sequence<int, VL>{});
    transpose_stage<2 * STEP>(r);
  }
}
// r[i][l] ← r[l][i].
inline void transpose(vf* r) { transpose_stage<1>(r); }

// Packs rows [i0, i0+MR) (clipped to m) and k in [0, kc) of op(A) into ap[k][MR].
inline void pack_a_panel(bool transA, const float* A, int lda, int i0, int m, int k0, int kc,
                         float* ap) {
  int mr = std::min(MR, m - i0);
  if (transA) {  // op(A)(i,k) = A[k][i]: each k is a contiguous run of rows
    for (int k = 0; k < kc; ++k) {
      const float* src = A + (int64_t)(k0 + k) * lda + i0;
      float* dst = ap + k * MR;
      int i = 0;
      for (; i < mr; ++i) dst[i] = src[i];
      for (; i < MR; ++i) dst[i] = 0.0f;
    }
  } else {
    for (int i = 0; i < mr; ++i) {
      const float* src = A + (int64_t)(i0 + i) * lda + k0;
      for (int k = 0; k < kc; ++k) ap[k * MR + i] = src[k];
    }
    for (int i = mr; i < MR; ++i)
      for (int k = 0; k < kc; ++k) ap[k * MR + i] = 0.0f;
  }
}

// Packs columns [j0, j0+NR) (clipped to n) and k in [0, kc) of op(B) into bp[k][NR].
inline void pack_b_panel(bool transB, const float* B, int ldb, int j0, int n, int k0, int kc,
                         float* bp) {
  int nr = std::min(NR, n - j0);
  if (!transB) {  // op(B)(k,j) = B[k][j]: each k is a contiguous run of columns
    for (int k = 0; k < kc; ++k) {
      const float* src = B + (int64_t)(k0 + k) * ldb + j0;
      float* dst = bp + k * NR;
      if (nr == NR) {
        std::memcpy(dst, src, NR * sizeof(float));
      } else {
        int j = 0;
        for (; j < nr; ++j) dst[j] = src[j];
        for (; j < NR; ++j) dst[j] = 0.0f;
      }
    }
  } else if (nr == NR) {  // op(B)(k,j) = B[j][k]: transpose VL×VL tiles in registers
    const int kv = kc / VL * VL;
    for (int jb = 0; jb < NR; jb += VL) {
      const float* src = B + (int64_t)(j0 + jb) * ldb + k0;
      for (int k = 0; k < kv; k += VL) {
        vf r[VL];
        for (int i = 0; i < VL; ++i) r[i] = simd::load(src + (int64_t)i * ldb + k);
        transpose(r);
        for (int i = 0; i < VL; ++i) simd::store(bp + (k + i) * NR + jb, r[i]);
      }
      for (int i = 0; i < VL; ++i)
        for (int k = kv; k < kc; ++k) bp[k * NR + jb + i] = src[(int64_t)i * ldb + k];
    }
  } else {
    for (int j = 0; j < nr; ++j) {
      const float* src = B + (int64_t)(j0 + j) * ldb + k0;
      for (int k = 0; k < kc; ++k) bp[k * NR + j] = src[k];
    }
    for (int j = nr; j < NR; ++j)
      for (int k = 0; k < kc; ++k) bp[k * NR + j] = 0.0f;
  }
}

void scale_c(int M, int N, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float* c = C + (int64_t)i * ldc + j;
      *c = beta == 0.0f ? 0.0f : beta * *c;
    }
}

// The serial BLIS loops over a block of C: rows [i_begin, i_end), columns [j_begin, j_end).
void gemm_block(bool transA, bool transB, int i_begin, int i_end, int j_begin, int j_end, int K,
                float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C,
                int ldc) {
  const int M = i_end - i_begin, N = j_end - j_begin;
  const int mc_max = std::min(MC, (M + MR - 1) / MR * MR);
  const int nc_max = std::min(NC, (N + NR - 1) / NR * NR);
  const int kc_max = std::min(KC, K);
  float* Ap = scratch(kGemmA, (size_t)mc_max * kc_max);  // this thread's own packing buffers
  float* Bp = scratch(kGemmB, (size_t)nc_max * kc_max);
  alignas(64) float tile[MR * NR];
  for (int jc = j_begin; jc < j_end; jc += NC) {
    const int nc = std::min(NC, j_end - jc);
    const int npanels = (nc + NR - 1) / NR;
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const float beta_eff = pc == 0 ? beta : 1.0f;
      for (int p = 0; p < npanels; ++p)
        pack_b_panel(transB, B, ldb, jc + p * NR, jc + nc, pc, kc, Bp + (size_t)p * NR * kc);
      for (int ic = i_begin; ic < i_end; ic += MC) {
        const int mc = std::min(MC, i_end - ic);
        const int mpanels = (mc + MR - 1) / MR;
        for (int p = 0; p < mpanels; ++p)
          pack_a_panel(transA, A, lda, ic + p * MR, ic + mc, pc, kc, Ap + (size_t)p * MR * kc);
        // B micro-panel outer, so it stays in L1 while the A panels stream past it.
        for (int jp = 0; jp < npanels; ++jp) {
          const int j0 = jc + jp * NR;
          for (int ip = 0; ip < mpanels; ++ip) {
            const int i0 = ic + ip * MR;
            micro_kernel(kc, Ap + (size_t)ip * MR * kc, Bp + (size_t)jp * NR * kc, tile);
            update_c(std::min(MR, i_end - i0), std::min(NR, j_end - j0), alpha, tile, beta_eff,
                     C + (int64_t)i0 * ldc + j0, ldc);
          }
        }
      }
    }
  }
}

}  // namespace

// Threads take disjoint blocks of C along its longer dimension (in whole micro-tiles) and run the
// serial loops on them with their own packing buffers: one fork/join per call and no barriers
// inside, which matters when the cores are shared and a waiting thread may sit out a time slice.
// Each element's arithmetic is the same in whichever block it falls, so the split cannot change
// a result.
void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const int mpanels = (M + MR - 1) / MR, npanels = (N + NR - 1) / NR;
  const bool split_n = npanels >= mpanels;
  const int panels = split_n ? npanels : mpanels;
  const bool parallel = 2.0 * M * N * K > kParallelFlops && panels > 1;
  ParallelErrors errors;  // the packing buffers (scratch()) may throw bad_alloc
#pragma omp parallel if (parallel)
  errors.run([&] {
    int parts = 1, me = 0;
#ifdef _OPENMP
    parts = omp_get_num_threads();
    me = omp_get_thread_num();
#endif
    const int p0 = (int)((int64_t)panels * me / parts), p1 = (int)((int64_t)panels * (me + 1) / parts);
    if (p1 > p0) {
      if (split_n)
        gemm_block(transA, transB, 0, M, p0 * NR, std::min(N, p1 * NR), K, alpha, A, lda, B, ldb,
                   beta, C, ldc);
      else
        gemm_block(transA, transB, p0 * MR, std::min(M, p1 * MR), 0, N, K, alpha, A, lda, B, ldb,
                   beta, C, ldc);
    }
  });
  errors.rethrow();
}

}  // namespace gan::ref
