# kernels/: the CUDA backend. .cu files are picked up by the Makefile (CU_SRCS); the host-only
# pieces (CudaOps, the cuBLAS and cuDNN wrappers, error formatting) are .cpp so a kernel edit does
# not recompile them and g++ (not nvcc) builds them. Only with CUDA=1: the CPU-only build gets
# make_cuda_ops/cuda_available from src/ops.cpp and the inline fallbacks in kernels/graph.h.
ifeq ($(CUDA),1)
CORE_SRCS += $(wildcard kernels/*.cpp)
endif
# Static rules for the CUDA sources (streams, launch checks), checked without a GPU.
TEST_SCRIPTS += tests/gpu/check_sources.sh
# scripts/gpu-check rehearsed without a GPU (budgets, timeouts, the table, --prepare).
TEST_SCRIPTS += tests/gpu/check_gpu_check.sh
