# gan — one build: ./gan, ./bench and the test binaries.
#
#   make deps      install the Debian/Ubuntu packages the build and the tests need (apt-get)
#   make           build ./gan and ./bench (with CUDA when nvcc is found; CUDA=0 forces CPU-only)
#   make test      build and run every test (GPU tests skip without a GPU)
#   make sanitize  ASan + UBSan build of the core tests, run on the bad-input and op tests
#   make fuzz      libFuzzer harnesses (clang) in build/fuzz; make fuzz-run runs each (fuzz.mk)
#
# (The benchmark sources live in benchmarks/: a folder named bench/ could not sit beside ./bench.)
# Libraries: build/libgancore.a is src/ (minus storage/ and the libcurl pieces) plus kernels/; it
# needs only a C++ compiler, zlib, RapidJSON's headers and, for kernels/, the CUDA toolkit. ./gan adds
# src/app/, storage/, cloud/ and its aws/, azure/, gcs/ dialects, and http/ (libcurl, OpenSSL, expat,
# cpp-httplib).
# Subsystems add their own rules in <dir>/module.mk (generated sources, test scripts).

BUILD    ?= build
CXX      ?= g++
OPT      ?= -O3 -march=native
CXXFLAGS  = -std=c++17 $(OPT) -g -fopenmp -Wall -Wextra -Wno-unused-parameter -MMD -MP \
            -I. -Isrc $(STB_FLAGS) $(CUDA_DEFS) $(EXTRA_CXXFLAGS)
LDFLAGS  += -fopenmp $(EXTRA_LDFLAGS)
STB_DIR  ?= $(firstword $(wildcard /usr/include/stb third_party/stb))
STB_FLAGS = $(if $(STB_DIR),-I$(STB_DIR),)

# ---- CUDA (optional) ----
NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA ?= $(if $(NVCC),1,0)
ifeq ($(CUDA),1)
CUDA_HOME  ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUDNN_HOME ?= $(CUDA_HOME)
CUDA_ARCH  ?= -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90,code=sm_90
CUDA_DEFS   = -DGAN_HAVE_CUDA
CUDA_INC    = -I$(CUDA_HOME)/include -I$(CUDNN_HOME)/include
# ptxas: a register spill or any local memory (a stack frame) is an error: no kernel has one
# (benchmarks/RESULTS.md lists each kernel's registers), and one appearing is a regression.
NVCCFLAGS  ?= -std=c++17 -O3 -g -lineinfo $(CUDA_ARCH) -Xcompiler -fopenmp,-Wall -MMD -MP \
              -Xptxas -warn-spills,-warn-lmem-usage,-Werror \
              -I. -Isrc $(CUDA_INC) $(CUDA_DEFS) $(EXTRA_NVCCFLAGS)
CUDA_LIBDIRS = $(wildcard $(CUDA_HOME)/lib64 $(CUDA_HOME)/lib $(CUDNN_HOME)/lib64 $(CUDNN_HOME)/lib)
CUBLAS_LIBS ?= -lcublas -lcublasLt
CUDNN_LIBS  ?= -lcudnn
CUDA_LIBS   = $(addprefix -L,$(CUDA_LIBDIRS)) $(addprefix -Wl$(comma)-rpath$(comma),$(CUDA_LIBDIRS)) \
              $(CUDNN_LIBS) $(CUBLAS_LIBS) -lcudart_static -ldl -lrt -lpthread
CXXFLAGS   += $(CUDA_INC)
CU_SRCS     = $(wildcard kernels/*.cu)
endif
comma := ,

# ---- sources ----
CORE_SRCS = $(filter-out %_curl.cpp,$(wildcard src/*.cpp src/common/*.cpp src/ref/*.cpp src/nn/*.cpp src/train/*.cpp src/train/artifacts/*.cpp src/train/quality/*.cpp src/data/*.cpp))
CORE_SRCS := $(filter-out src/main.cpp,$(CORE_SRCS))
APP_SRCS  = $(wildcard src/app/*.cpp src/storage/*.cpp src/data/*_curl.cpp cloud/*.cpp aws/*.cpp gcs/*.cpp azure/*.cpp http/*.cpp)
GEN_SRCS  =
CORE_LIBS = -lz
APP_LIBS  = -lcurl -lssl -lcrypto -lexpat -lz -lpthread
GTEST_LIBS = -lgmock -lgtest_main -lgtest -lpthread
TEST_SCRIPTS = tests/cli/check.sh tests/ci/check.sh

-include http/module.mk aws/module.mk azure/module.mk infra/module.mk kernels/module.mk benchmarks/module.mk
include fuzz.mk

CORE_OBJS = $(CORE_SRCS:%.cpp=$(BUILD)/%.o) $(CU_SRCS:%.cu=$(BUILD)/%.o)
APP_OBJS  = $(APP_SRCS:%.cpp=$(BUILD)/%.o) $(GEN_SRCS:%.cpp=$(BUILD)/%.o)
BENCH_SRCS = $(wildcard benchmarks/*.cpp) $(if $(filter 1,$(CUDA)),$(wildcard benchmarks/*.cu),)
BENCH_OBJS = $(patsubst %.cu,$(BUILD)/%.o,$(BENCH_SRCS:%.cpp=$(BUILD)/%.o))

# One test binary per folder in tests/ that holds .cpp files: build/test_<folder>.
# tests/gpu links only the core (it must build where only the CUDA toolkit is).
# (tests/fuzz/ holds libFuzzer harnesses, built by clang: fuzz.mk.)
TEST_DIRS = $(filter-out fuzz,$(patsubst tests/%/,%,$(sort $(dir $(wildcard tests/*/*.cpp)))))
TEST_BINS = $(TEST_DIRS:%=$(BUILD)/test_%)

.PHONY: all deps test sanitize clean bench-build tests-build print-nvccflags
all: gan bench

# Objects built with CUDA=1 and CUDA=0 differ (GAN_HAVE_CUDA): switching rebuilds them.
MODE_STAMP := $(BUILD)/.mode-cuda$(CUDA)
$(MODE_STAMP):
	@mkdir -p $(@D) && rm -f $(BUILD)/.mode-cuda* && touch $@

$(BUILD)/libgancore.a: $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

gan: $(BUILD)/src/main.o $(APP_OBJS) $(BUILD)/libgancore.a
	$(CXX) -o $@ $^ $(LDFLAGS) $(APP_LIBS) $(CUDA_LIBS)

bench: $(BENCH_OBJS) $(BUILD)/libgancore.a
	$(CXX) -o $@ $^ $(LDFLAGS) $(CORE_LIBS) $(CUDA_LIBS)

$(BUILD)/%.o: %.cpp $(MODE_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cu $(MODE_STAMP)
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@

# Keep every object: test objects are otherwise treated as intermediates and deleted after linking.
.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/test_gpu: $$(patsubst %.cpp,$(BUILD)/%.o,$$(wildcard tests/gpu/*.cpp)) $(BUILD)/libgancore.a
	$(CXX) -o $@ $^ $(LDFLAGS) $(GTEST_LIBS) $(CORE_LIBS) $(CUDA_LIBS)

# (No % inside the prerequisites: in a pattern rule make would replace it with the stem.)
$(BUILD)/test_%: $$(addprefix $(BUILD)/,$$(addsuffix .o,$$(basename $$(wildcard tests/$$*/*.cpp)))) $(APP_OBJS) $(BUILD)/libgancore.a
	$(CXX) -o $@ $^ $(LDFLAGS) $(GTEST_LIBS) $(APP_LIBS) $(CUDA_LIBS)

tests-build: gan bench $(TEST_BINS)

test: tests-build
	@BUILD=$(BUILD) scripts/run-tests $(TEST_BINS) -- $(TEST_SCRIPTS)

# ASan + UBSan: the core tests (ops, data, artifacts, bad input) in a separate build folder.
sanitize:
	$(MAKE) BUILD=build/asan CUDA=0 OPT="-O1" \
	  EXTRA_CXXFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" build/asan/test_core
	OMP_WAIT_POLICY=passive ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  GTEST_FILTER='$(SANITIZE_FILTER)' BUILD=build/asan scripts/run-tests build/asan/test_core
SANITIZE_FILTER ?= BadInput*:Data*:Artifacts*:RefOps*:Registry/OpCase*

deps:
	scripts/install-deps

# The nvcc command and flags, for scripts (tests/gpu/check_sources.sh); empty without CUDA.
print-nvccflags:
	@echo $(NVCC) $(NVCCFLAGS)

clean:
	rm -rf build gan bench

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
