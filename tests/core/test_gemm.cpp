// ref::sgemm against a naive double-precision matmul: every transpose combination, odd sizes on
// both sides of the micro-tile and cache-block edges, leading dimensions wider than the matrix,
// alpha ≠ 1, beta 0 (C poisoned with NaN, which must not leak) and beta 1. Plus bit-identical
// results across thread counts, and an opt-in throughput benchmark (disabled by default):
//   build/test_core --gtest_filter='RefOps.DISABLED_GemmBenchmark' --gtest_also_run_disabled_tests
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "src/ref/ops.h"
#include "tests/ops/op_case.h"

namespace gan {
namespace {


struct Problem {
  bool tA, tB;
  int M, N, K;
  int pad;  // extra columns in every leading dimension
  float alpha, beta;
  std::string str() const {
    return std::string(tA ? "T" : "N") + (tB ? "T" : "N") + " M" + std::to_string(M) + " N" +
           std::to_string(N) + " K" + std::to_string(K) + " pad" + std::to_string(pad) + " alpha" +
           std::to_string(alpha) + " beta" + std::to_string(beta);
  }
};

// Runs sgemm on random data and checks the rows in `rows` (all when empty) against a naive
// double matmul; every element of C (and none of the padding between rows) must be written.
void check(const Problem& p, const std::vector<int>& rows = {}) {
  const int lda = (p.tA ? p.M : p.K) + p.pad, ldb = (p.tB ? p.K : p.N) + p.pad, ldc = p.N + p.pad;
  const auto A = opcases::randu((size_t)(p.tA ? p.K : p.M) * lda, 1 + p.M);
  const auto B = opcases::randu((size_t)(p.tB ? p.N : p.K) * ldb, 2 + p.N);
  const auto C0 = opcases::randu((size_t)p.M * ldc, 3 + p.K);
  const float kSentinel = 4321.0f;
  std::vector<float> C(C0.size(), kSentinel);
  for (int i = 0; i < p.M; ++i)
    for (int j = 0; j < p.N; ++j)
      C[(size_t)i * ldc + j] = p.beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : C0[(size_t)i * ldc + j];
  ref::sgemm(p.tA, p.tB, p.M, p.N, p.K, p.alpha, A.data(), lda, B.data(), ldb, p.beta, C.data(), ldc);

  auto a = [&](int i, int k) { return p.tA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]; };
  auto b = [&](int k, int j) { return p.tB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]; };
  for (int i = 0; i < p.M; ++i)
    for (int j = p.N; j < ldc; ++j)
      ASSERT_EQ(C[(size_t)i * ldc + j], kSentinel) << p.str() << ": wrote padding at (" << i << ", " << j << ")";
  // Float accumulation error grows with K; values are in [-1, 1].
  const double tol = 1e-5 + 2e-7 * p.K * std::fabs(p.alpha);
  std::vector<int> check_rows = rows;
  if (check_rows.empty())
    for (int i = 0; i < p.M; ++i) check_rows.push_back(i);
  double worst = 0;
  int wi = -1, wj = -1;
  double wgot = 0, wwant = 0;
  for (int i = 0; i < p.M; ++i) {
    const bool full = std::find(check_rows.begin(), check_rows.end(), i) != check_rows.end();
    for (int j = 0; j < p.N; ++j) {
      const float got = C[(size_t)i * ldc + j];
      ASSERT_TRUE(std::isfinite(got)) << p.str() << ": C(" << i << ", " << j << ") not written";
      if (!full) continue;
      double s = 0;
      for (int k = 0; k < p.K; ++k) s += (double)a(i, k) * b(k, j);
      const double want = p.alpha * s + (p.beta == 0.0f ? 0.0 : (double)p.beta * C0[(size_t)i * ldc + j]);
      const double err = std::fabs(got - want) / (tol * (1.0 + std::fabs(want)));
      if (err > worst) {
        worst = err;
        wi = i, wj = j, wgot = got, wwant = want;
      }
    }
  }
  EXPECT_LE(worst, 1.0) << p.str() << ": worst element C(" << wi << ", " << wj << ") = " << wgot
                        << ", want " << wwant << " (tolerance " << tol << "·(1 + |want|))";
}

TEST(RefOps, GemmMatchesNaiveSmallShapes) {
  const int sizes[] = {1, 2, 3, 5, 8, 13, 17, 33};
  for (bool tA : {false, true})
    for (bool tB : {false, true})
      for (int M : sizes)
        for (int N : sizes)
          for (int K : {1, 4, 31}) {
            const int pad = (M + N + K) % 3;  // some leading dimensions wider than the matrix
            check({tA, tB, M, N, K, pad, 1.0f, 0.0f});
            if (HasFatalFailure()) return;
          }
}

TEST(RefOps, GemmAlphaBeta) {
  for (bool tA : {false, true})
    for (bool tB : {false, true}) {
      check({tA, tB, 19, 37, 23, 2, 1.0f, 1.0f});
      check({tA, tB, 19, 37, 23, 0, 0.5f, 1.0f});
      check({tA, tB, 9, 70, 41, 1, -2.0f, 0.25f});
      check({tA, tB, 9, 70, 41, 1, 0.5f, 0.0f});
    }
}

// Sizes that cross the micro-tile, MC, KC and NC block edges of every ISA's blocking; only a few
// rows are compared in full (the naive matmul is slow), but every element must be written.
TEST(RefOps, GemmMatchesNaiveBlockEdges) {
  // MC is 144 (AVX2) or 192 (AVX-512), KC 256, NC 2048 or 4096.
  const std::vector<int> rows = {0, 7, 143, 144, 191, 192, 196};
  for (bool tA : {false, true})
    for (bool tB : {false, true}) {
      if (tA == tB)
        check({tA, tB, 197, 4200, 270, 3, 1.0f, 0.0f}, rows);
      else
        check({tA, tB, 197, 300, 600, 1, 1.0f, 1.0f}, rows);
    }
  // The model's shapes: a conv GEMM (M = C_out) and a linear layer.
  check({false, false, 128, 196 * 2, 1152, 0, 1.0f, 0.0f}, {0, 63, 127});
  check({false, true, 64, 6272, 100, 0, 1.0f, 0.0f}, {0, 63});
  check({false, true, 1, 784, 6272, 0, 1.0f, 1.0f});
}

TEST(RefOps, GemmDegenerate) {
  // K = 0: C = beta·C, and beta 0 writes zeros over NaN.
  std::vector<float> C = {std::numeric_limits<float>::quiet_NaN(), 2.0f};
  ref::sgemm(false, false, 1, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.0f, C.data(), 2);
  EXPECT_EQ(C[0], 0.0f);
  EXPECT_EQ(C[1], 0.0f);
  C = {3.0f, 4.0f};
  ref::sgemm(false, false, 1, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.5f, C.data(), 2);
  EXPECT_EQ(C[0], 1.5f);
  EXPECT_EQ(C[1], 2.0f);
  // M = 0 or N = 0: nothing to do, nothing touched.
  ref::sgemm(false, false, 0, 2, 3, 1.0f, nullptr, 3, nullptr, 2, 0.0f, nullptr, 2);
}

// Work is split over tiles of C, never over K: the same bits for any thread count.
TEST(RefOps, GemmDeterministicAcrossThreadCounts) {
  const int M = 150, N = 900, K = 700;
  const auto A = opcases::randu((size_t)M * K, 7), B = opcases::randu((size_t)K * N, 8);
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<float> C((size_t)M * N);
    ref::sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N);
    omp_set_num_threads(saved);
    return C;
  };
  const auto one = run(1);
  for (int t : {2, 3, 5}) EXPECT_TRUE(run(t) == one) << t << " threads differ from 1";
}

// Opt-in: prints GFLOP/s (best of 5) for square and model-sized problems, single- and multi-threaded.
TEST(RefOps, DISABLED_GemmBenchmark) {
  struct Shape {
    bool tA, tB;
    int M, N, K;
    const char* what;
  };
  const Shape shapes[] = {
      {false, false, 512, 512, 512, "square"},
      {false, false, 128, 196 * 64, 1152, "D conv 14x14 fwd (W·col)"},
      {false, true, 128, 1152, 196 * 64, "D conv 14x14 dweight (dout·colT)"},
      {true, false, 1152, 196 * 64, 128, "D conv 14x14 dinp (WT·dout)"},
      {true, false, 2048, 49 * 64, 129, "G convT 7->14 fwd (WT·x)"},
      {false, true, 64, 6272, 100, "G linear 100->6272"},
  };
  const int max_threads = omp_get_max_threads();
  for (const Shape& s : shapes) {
    const auto A = opcases::randu((size_t)s.M * s.K, 1), B = opcases::randu((size_t)s.K * s.N, 2);
    std::vector<float> C((size_t)s.M * s.N);
    const int lda = s.tA ? s.M : s.K, ldb = s.tB ? s.K : s.N;
    for (int threads : {1, max_threads}) {
      omp_set_num_threads(threads);
      double best = 1e30;
      for (int rep = 0; rep < 6; ++rep) {  // the first is a warm-up
        auto t0 = std::chrono::steady_clock::now();
        ref::sgemm(s.tA, s.tB, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), s.N);
        double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (rep > 0) best = std::min(best, dt);
      }
      std::printf("sgemm %c%c M=%-5d N=%-6d K=%-6d threads=%d  %7.1f GFLOP/s  %s\n", s.tA ? 'T' : 'N',
                  s.tB ? 'T' : 'N', s.M, s.N, s.K, threads, 2.0 * s.M * s.N * s.K / best * 1e-9, s.what);
    }
    omp_set_num_threads(max_threads);
  }
}

}  // namespace
}  // namespace gan
