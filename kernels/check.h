// Error checks for CUDA, cuBLAS and cuDNN from one macro generator.
//
// Each library returns a status code; GAN_LIB_CHECK turns a bad one into a std::runtime_error
// carrying the library, the failing statement, file:line and the library's own message, so a test
// or the CLI can report it. Throwing (not aborting) is the point; destructors must not use these
// macros — they log with GAN_LOG_CHECK instead. The library headers are not included here: a macro
// names its message function only where it is used, so kernel files need not see cuDNN.
#pragma once
#include <string>

namespace gan::cuda {

[[noreturn]] void check_failed(const char* lib, int code, const char* message, const char* stmt,
                               const char* file, int line);
void check_log(const char* lib, int code, const char* message, const char* stmt, const char* file,
               int line);

}  // namespace gan::cuda

// The generator: evaluate once, compare against the library's success value, report.
#define GAN_LIB_CHECK(lib, stmt, ok, msgfn)                                                 \
  do {                                                                                     \
    auto gan_status_ = (stmt);                                                             \
    if (gan_status_ != (ok))                                                               \
      ::gan::cuda::check_failed(lib, (int)gan_status_, msgfn(gan_status_), #stmt, __FILE__, \
                                __LINE__);                                                 \
  } while (0)

#define CUDA_CHECK(stmt) GAN_LIB_CHECK("CUDA", stmt, cudaSuccess, cudaGetErrorString)
#define CUBLAS_CHECK(stmt) \
  GAN_LIB_CHECK("cuBLAS", stmt, CUBLAS_STATUS_SUCCESS, cublasGetStatusString)
#define CUDNN_CHECK(stmt) GAN_LIB_CHECK("cuDNN", stmt, CUDNN_STATUS_SUCCESS, cudnnGetErrorString)

// After a kernel launch: configuration errors surface here, not at the next sync.
#define CUDA_LAUNCH_CHECK() CUDA_CHECK(cudaGetLastError())

// For destructors: log and carry on.
#define CUDA_LOG_CHECK(stmt)                                                                 \
  do {                                                                                       \
    auto gan_status_ = (stmt);                                                               \
    if (gan_status_ != cudaSuccess)                                                          \
      ::gan::cuda::check_log("CUDA", (int)gan_status_, cudaGetErrorString(gan_status_), #stmt, \
                             __FILE__, __LINE__);                                            \
  } while (0)
