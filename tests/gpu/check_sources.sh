#!/usr/bin/env bash
# Static checks of the CUDA code that need no GPU (so they run in CI):
#   1. no synchronous copy or memset on the legacy default stream (cudaMemcpy, cudaMemset, ...):
#      CudaOps and ./bench run kernels on non-blocking streams, which the legacy stream neither
#      waits for nor is waited for by, so such a copy can land after a kernel has read the buffer;
#      every copy is cudaMemcpyAsync / cudaMemsetAsync on the stream the kernels use;
#   2. every kernel launch names its stream (<<<grid, block, smem, stream>>>);
#   3. every kernel launch is followed by CUDA_LAUNCH_CHECK() in its function, so a bad launch
#      configuration is reported where it happens (a launch error stays until it is read);
#   4. the build's nvcc flags make ptxas reject a kernel that spills or uses local memory.
# Each rule is first shown to catch a planted violation. Prints "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
check() { # DIR... → the violations, one a line
  python3 - "$@" <<'PY'
import os, re, sys
SYNC = re.compile(r"\b(cudaMemcpy|cudaMemset|cudaMemcpy2D|cudaMemcpy3D|cudaMemcpyToSymbol|cudaMemcpyFromSymbol|cudaMemset2D)\s*\(")
LAUNCH = re.compile(r"<<<(.*?)>>>", re.S)
def top_level_args(s):
    depth, n = 0, 1
    for ch in s:
        if ch in "([{": depth += 1
        elif ch in ")]}": depth -= 1
        elif ch == "," and depth == 0: n += 1
    return n
for root in sys.argv[1:]:
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith((".cu", ".cuh", ".cpp", ".h")):
                continue
            path = os.path.join(dirpath, f)
            text = open(path, encoding="utf-8").read()
            code = re.sub(r"//[^\n]*", lambda m: " " * len(m.group(0)), text)  # comments out, offsets kept
            line = lambda pos: code.count("\n", 0, pos) + 1
            for m in SYNC.finditer(code):
                print(f"{path}:{line(m.start())}: {m.group(1)} runs on the legacy default stream; use the Async form on the kernels' stream")
            for m in LAUNCH.finditer(code):
                if top_level_args(m.group(1)) < 4:
                    print(f"{path}:{line(m.start())}: kernel launch without a stream (<<<grid, block, smem, stream>>>)")
                close = code.find("\n}", m.end())  # the end of the launching function
                if "CUDA_LAUNCH_CHECK()" not in code[m.end(): close if close >= 0 else len(code)]:
                    print(f"{path}:{line(m.start())}: kernel launch not followed by CUDA_LAUNCH_CHECK() in its function")
PY
}
pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/planted.cu" <<'CU'
void a(float* d, const float* h, size_t n, cudaStream_t s) {
  cudaMemcpy(d, h, n, cudaMemcpyHostToDevice);  // rule 1
  k<<<1, 32>>>(d);                              // rules 2 and 3
}
void b(float* d, cudaStream_t s) {
  k<<<1, 32, 0, s>>>(d);
  CUDA_LAUNCH_CHECK();
}
CU
planted=$(check "$tmp")
if [[ $(grep -c . <<<"$planted") == 3 ]]; then
  pass=$((pass + 1))
else
  echo "FAIL: the checker did not find the three planted violations; it said:"
  echo "$planted"
  fail=$((fail + 1))
fi
# 4. The build's nvcc flags reject a kernel that spills or uses local memory (ptxas -Werror).
# The CUDA build's flags (CUDA=1), also when this runs under `make CUDA=0 test`, whose CUDA=0
# reaches this make through MAKEFLAGS and would print nvcc with no flags at all.
nvcc_cmd=$(make -s --no-print-directory CUDA=1 print-nvccflags 2>/dev/null | grep -v '^make')
if [[ -z $nvcc_cmd || ! -x ${nvcc_cmd%% *} ]]; then
  echo "skip - ptxas spill check: this build has no CUDA (nvcc not found)"
  skip=$((skip + 1))
else
  cat >"$tmp/spill.cu" <<'CU'
__global__ void planted_local_array(float* o, const int* idx, int n) {
  float a[256];  // indexed at run time: lives in local memory
  for (int i = 0; i < 256; ++i) a[i] = o[i * n];
  o[threadIdx.x] = a[idx[threadIdx.x] & 255];
}
CU
  # shellcheck disable=SC2086  # the flags are a list
  if $nvcc_cmd -c "$tmp/spill.cu" -o "$tmp/spill.o" >"$tmp/spill.log" 2>&1; then
    echo "FAIL: the build's nvcc flags accept a kernel with a 1 KiB stack frame (no -Xptxas -warn-lmem-usage,-Werror?)"
    fail=$((fail + 1))
  elif grep -q "Local memory used" "$tmp/spill.log"; then
    pass=$((pass + 1))
  else
    echo "FAIL: compiling the planted kernel failed for another reason:"
    cat "$tmp/spill.log"
    fail=$((fail + 1))
  fi
fi
found=$(check kernels benchmarks tests/gpu src)
if [[ -z $found ]]; then
  pass=$((pass + 1))
else
  echo "FAIL: CUDA source rules broken:"
  echo "$found"
  fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
