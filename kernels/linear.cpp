// Linear layers on cuBLAS, PyTorch's row-major layouts mapped onto column-major SGEMM.
//
// A row-major [R,C] matrix is a column-major [C,R] one, so with weight W[C_out,C_in]:
//   out[B,C_out]   = inp·Wᵀ    → column-major out' [C_out×B]   = op_T(W' [C_in×C_out]) · inp' [C_in×B]
//   dinp[B,C_in]   = dout·W    → column-major dinp'[C_in×B]    = W' [C_in×C_out] · dout'[C_out×B]
//   dW[C_out,C_in] += doutᵀ·inp → column-major dW'  [C_in×C_out] = inp'[C_in×B] · op_T(dout'[C_out×B])
// The bias is broadcast into `out` first and the GEMM accumulates onto it (beta = 1): one pass
// fewer. One cuBLAS handle per device, with its own fixed workspace so cuBLAS never allocates
// (allocation is not allowed inside a CUDA graph capture). FP32 by default; TF32 tensor cores
// with set_precision(Tf32) (kernels/math_mode.h: the math modes, as PyTorch's); bf16 through
// cublasGemmEx on bf16 copies of the inputs with fp32 sums (src/precision.h: the rounding points). cuBLAS is bitwise repeatable for a fixed device, stream and workspace.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "check.h"
#include "math_mode.h"
#include "ops.h"

namespace gan::cuda {
namespace {

static_assert(kBlasDefaultMath == CUBLAS_DEFAULT_MATH && kBlasTf32TensorOpMath == CUBLAS_TF32_TENSOR_OP_MATH &&
                  kBlasDisallowReducedPrecisionReduction == CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION,
              "kernels/math_mode.h mirrors cublasMath_t");

// The starting precision: GAN_PRECISION, else GAN_TF32=1 (the older switch), else fp32. An
// unknown GAN_PRECISION is reported when first read rather than silently taken as fp32.
Precision precision_from_environment() {
  if (const char* e = std::getenv("GAN_PRECISION")) {
    Precision p;
    if (!parse_precision(e, &p))
      throw std::invalid_argument(std::string("GAN_PRECISION: expected fp32, tf32 or bf16, got '") + e + "'");
    return p;
  }
  const char* t = std::getenv("GAN_TF32");
  return t && t[0] == '1' ? Precision::Tf32 : Precision::Fp32;
}

std::atomic<int>& precision_flag() {
  static std::atomic<int> flag{(int)precision_from_environment()};
  return flag;
}

constexpr size_t kBlasWorkspace = size_t(32) << 20;

struct Blas {
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;
};

// Handles live for the process: destroying them from a static destructor can run after the CUDA
// runtime has shut down, so they are deliberately never freed.
Blas& blas_for_current_device() {
  static std::mutex mu;
  static std::map<int, Blas*> per_device;
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  std::lock_guard<std::mutex> lock(mu);
  Blas*& b = per_device[dev];
  if (!b) {
    auto* nb = new Blas;
    CUBLAS_CHECK(cublasCreate(&nb->handle));
    CUDA_CHECK(cudaMalloc(&nb->workspace, kBlasWorkspace));
    b = nb;
  }
  return *b;
}

cublasHandle_t prepare(cudaStream_t stream) {
  Blas& b = blas_for_current_device();
  CUBLAS_CHECK(cublasSetStream(b.handle, stream));
  // cublasSetStream resets the workspace to the default one: set ours after it.
  CUBLAS_CHECK(cublasSetWorkspace(b.handle, b.workspace, kBlasWorkspace));
  // FP32: DEFAULT_MATH keeps FP32 mantissas; TF32 needs the explicit mode (kernels/math_mode.h).
  CUBLAS_CHECK(cublasSetMathMode(b.handle, (cublasMath_t)blas_math_mode(precision())));
  return b.handle;
}

void check_shape(const char* what, int B, int C_in, int C_out) {
  if (B < 0 || C_in <= 0 || C_out <= 0)
    throw std::invalid_argument(std::string(what) + ": bad shape B=" + std::to_string(B) +
                                " C_in=" + std::to_string(C_in) + " C_out=" + std::to_string(C_out));
}

}  // namespace

void set_precision(Precision p) { precision_flag() = (int)p; }
Precision precision() { return (Precision)precision_flag().load(); }

namespace {

// C (fp32, column-major) = alpha·op(A)·op(B) + beta·C with A and B in bf16 and fp32 sums.
void gemm_bf16(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void* A,
               int lda, const void* B, int ldb, float beta, float* C, int ldc) {
  const float alpha = 1.0f;
  CUBLAS_CHECK(cublasGemmEx(h, ta, tb, m, n, k, &alpha, A, CUDA_R_16BF, lda, B, CUDA_R_16BF, ldb, &beta, C,
                            CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int B,
                    int C_in, int C_out, cudaStream_t stream) {
  check_shape("linear_forward", B, C_in, C_out);
  if (B == 0) return;
  if (!out || !inp || !weight) throw std::invalid_argument("linear_forward: null out, inp or weight");
  cublasHandle_t h = prepare(stream);
  float beta = 0.0f;
  if (bias) {
    bias_rows_set(out, bias, B, C_out, stream);
    beta = 1.0f;
  }
  if (precision() == Precision::Bf16) {
    // bf16 copies of the inputs (scratch slots 0 and 1), fp32 sums onto the bias, output rounded
    // to bf16 (src/precision.h).
    void* w16 = bf16_scratch(0, (int64_t)C_out * C_in, stream);
    void* x16 = bf16_scratch(1, (int64_t)B * C_in, stream);
    to_bf16(w16, weight, (int64_t)C_out * C_in, stream);
    to_bf16(x16, inp, (int64_t)B * C_in, stream);
    gemm_bf16(h, CUBLAS_OP_T, CUBLAS_OP_N, C_out, B, C_in, w16, C_in, x16, C_in, beta, out, C_out);
    round_bf16_inplace(out, (int64_t)B * C_out, stream);
    return;
  }
  const float alpha = 1.0f;
  CUBLAS_CHECK(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, C_out, B, C_in, &alpha, weight, C_in, inp,
                           C_in, &beta, out, C_out));
}

void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int B, int C_in, int C_out, cudaStream_t stream) {
  check_shape("linear_backward", B, C_in, C_out);
  if (B == 0) return;
  if (!dout) throw std::invalid_argument("linear_backward: null dout");
  cublasHandle_t h = prepare(stream);
  if (precision() == Precision::Bf16) {
    if (dinp && !weight) throw std::invalid_argument("linear_backward: dinp needs weight");
    if (dweight && !inp) throw std::invalid_argument("linear_backward: dweight needs inp");
    void* g16 = bf16_scratch(2, (int64_t)B * C_out, stream);
    to_bf16(g16, dout, (int64_t)B * C_out, stream);
    if (dinp) {
      void* w16 = bf16_scratch(0, (int64_t)C_out * C_in, stream);
      to_bf16(w16, weight, (int64_t)C_out * C_in, stream);
      gemm_bf16(h, CUBLAS_OP_N, CUBLAS_OP_N, C_in, B, C_out, w16, C_in, g16, C_out, 0.0f, dinp, C_in);
      round_bf16_inplace(dinp, (int64_t)B * C_in, stream);
    }
    if (dweight) {
      void* x16 = bf16_scratch(1, (int64_t)B * C_in, stream);
      to_bf16(x16, inp, (int64_t)B * C_in, stream);
      gemm_bf16(h, CUBLAS_OP_N, CUBLAS_OP_T, C_in, C_out, B, x16, C_in, g16, C_out, 1.0f, dweight, C_in);
    }
    if (dbias) bias_rows_grad(dbias, dout, B, C_out, stream);
    return;
  }
  const float one = 1.0f, zero = 0.0f;
  if (dinp) {
    if (!weight) throw std::invalid_argument("linear_backward: dinp needs weight");
    CUBLAS_CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, C_in, B, C_out, &one, weight, C_in, dout,
                             C_out, &zero, dinp, C_in));
  }
  if (dweight) {
    if (!inp) throw std::invalid_argument("linear_backward: dweight needs inp");
    CUBLAS_CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_T, C_in, C_out, B, &one, inp, C_in, dout,
                             C_out, &one, dweight, C_in));
  }
  if (dbias) bias_rows_grad(dbias, dout, B, C_out, stream);
}

}  // namespace gan::cuda
