// FP32 or TF32 for the matrix work, and cuDNN's algorithm choice under it, as plain C++ (no cuDNN
// or cuBLAS header) so that the CPU tests check the choice with made-up cudnnFind results
// (tests/gpu/test_gpu_host_logic.cpp); conv.cpp and linear.cpp translate to and from
// the libraries' enums and static_assert that the values agree.
//
// What PyTorch does for the same purpose (its allow_tf32 flags), which this follows:
//  - cuDNN convolution descriptors: FP32 → CUDNN_FMA_MATH ("restricted to kernels that use FMA
//    instructions"); TF32 → CUDNN_DEFAULT_MATH, which on Ampere and later permits TF32 tensor
//    cores. After cudnnFind the chosen result's own math type is set on the descriptor (cuDNN
//    runs an algorithm with the math type of the descriptor it is given).
//  - cuBLAS: FP32 → CUBLAS_DEFAULT_MATH (FP32 compute keeps FP32 mantissas), here with
//    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION so no reduction runs in a narrower type;
//    TF32 → CUBLAS_TF32_TENSOR_OP_MATH.
// In FP32 mode an algorithm whose math type allows tensor ops is never taken: when cuDNN offers
// no deterministic FMA algorithm the convolution fails, naming the shape, rather than silently
// running at TF32 precision. CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION (FP32 data through FP16) is
// never taken, not even in TF32 mode. NVIDIA_TF32_OVERRIDE=0 in the environment turns TF32 off
// inside both libraries whatever is asked for (tf32_override_note says so).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

#include "../src/precision.h"

namespace gan::cuda {

// cudnnMathType_t's values.
enum class ConvMath { Default = 0, TensorOp = 1, TensorOpAllowConversion = 2, Fma = 3 };

// cuBLAS math-mode flags (cublasMath_t's values).
constexpr int kBlasDefaultMath = 0, kBlasTf32TensorOpMath = 3, kBlasDisallowReducedPrecisionReduction = 16;

inline ConvMath conv_descriptor_math(bool tf32) { return tf32 ? ConvMath::Default : ConvMath::Fma; }
inline int blas_math_mode(bool tf32) {
  return tf32 ? kBlasTf32TensorOpMath : (kBlasDefaultMath | kBlasDisallowReducedPrecisionReduction);
}

// May an algorithm with math type m run in this mode?
inline bool conv_math_allowed(ConvMath m, bool tf32) {
  if (m == ConvMath::Fma) return true;
  if (m == ConvMath::TensorOpAllowConversion) return false;  // FP16 inputs: below TF32
  return tf32;  // Default and TensorOp may use TF32 tensor cores on Ampere and later
}

// The same choices by precision. bf16 (bf16 tensors, fp32 compute type) runs on tensor cores:
// DEFAULT and TENSOR_OP math are allowed as well as FMA; ALLOW_CONVERSION (through FP16) never.
// cuBLAS's bf16 path is cublasGemmEx with a 32F compute type, which its math mode does not narrow.
inline ConvMath conv_descriptor_math(Precision p) {
  return p == Precision::Fp32 ? ConvMath::Fma : p == Precision::Tf32 ? ConvMath::Default : ConvMath::TensorOp;
}
inline int blas_math_mode(Precision p) {
  return p == Precision::Tf32 ? kBlasTf32TensorOpMath : (kBlasDefaultMath | kBlasDisallowReducedPrecisionReduction);
}
inline bool conv_math_allowed(ConvMath m, Precision p) {
  if (p == Precision::Bf16) return m != ConvMath::TensorOpAllowConversion;
  return conv_math_allowed(m, p == Precision::Tf32);
}

// One entry of cudnnFind*/cudnnGet* results (which come fastest first).
struct AlgoPerf {
  int algo = 0;
  bool ok = false;  // status == CUDNN_STATUS_SUCCESS
  bool deterministic = false;
  ConvMath math = ConvMath::Default;
  size_t memory = 0;  // workspace bytes
};

// The index of the fastest result that succeeded, is deterministic (so a run is repeatable),
// needs at most `ws_limit` bytes of workspace and has a math type this mode allows; -1 if none.
inline int pick_conv_algorithm(const std::vector<AlgoPerf>& ranked, bool tf32, size_t ws_limit) {
  for (size_t i = 0; i < ranked.size(); ++i) {
    const AlgoPerf& p = ranked[i];
    if (p.ok && p.deterministic && p.memory <= ws_limit && conv_math_allowed(p.math, tf32)) return (int)i;
  }
  return -1;
}

inline int pick_conv_algorithm(const std::vector<AlgoPerf>& ranked, Precision prec, size_t ws_limit) {
  for (size_t i = 0; i < ranked.size(); ++i) {
    const AlgoPerf& p = ranked[i];
    if (p.ok && p.deterministic && p.memory <= ws_limit && conv_math_allowed(p.math, prec)) return (int)i;
  }
  return -1;
}

inline const char* conv_math_name(ConvMath m) {
  switch (m) {
    case ConvMath::Default: return "DEFAULT_MATH";
    case ConvMath::TensorOp: return "TENSOR_OP_MATH";
    case ConvMath::TensorOpAllowConversion: return "TENSOR_OP_MATH_ALLOW_CONVERSION";
    case ConvMath::Fma: return "FMA_MATH";
  }
  return "?";
}

// The error when pick_conv_algorithm finds nothing: the direction, the shape, the mode and what
// cuDNN did offer, and what to do.
inline std::string no_conv_algorithm_message(const std::string& direction, const std::string& shape, bool tf32,
                                             size_t ws_limit, const std::vector<AlgoPerf>& ranked) {
  std::string m = "cuDNN offers no deterministic " + std::string(tf32 ? "FP32/TF32" : "FP32 (FMA-only)") + " " +
                  direction + " algorithm for " + shape + " within " + std::to_string(ws_limit >> 20) +
                  " MiB of workspace; it offered:";
  if (ranked.empty()) m += " nothing";
  for (const AlgoPerf& p : ranked)
    m += " [algo " + std::to_string(p.algo) + (p.ok ? "" : " failed") + (p.deterministic ? "" : " nondeterministic") +
         " " + conv_math_name(p.math) + " " + std::to_string(p.memory >> 20) + " MiB]";
  if (!tf32) m += ". --precision tf32 (or GAN_TF32=1) allows tensor-op algorithms";
  return m;
}

// A note for logs when the environment overrides the libraries' TF32 (empty when it does not).
inline std::string tf32_override_note(bool tf32) {
  const char* e = std::getenv("NVIDIA_TF32_OVERRIDE");
  if (tf32 && e && std::string(e) == "0")
    return "NVIDIA_TF32_OVERRIDE=0 in the environment keeps cuBLAS and cuDNN at FP32: TF32 was asked for but is off";
  return "";
}

}  // namespace gan::cuda
