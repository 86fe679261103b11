#!/usr/bin/env bash
# Test: a generator saved by the C++ code (./bench trains acgan28 for one step on the CPU and
# writes it) loads into benchmarks/torch_ref.py's Generator with load_state_dict(strict=True) and
# runs. Needs torch in python3 (skipped with the reason otherwise) and ./bench (built by `make`).
# Prints "N passed, N failed, N skipped" last.
set -u
cd "$(dirname "$0")/.." || exit 1
py=${PYTHON:-python3}
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "skip: load_check needs PyTorch, and '$py' cannot import torch"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
if [[ ! -x ./bench ]]; then
  echo "FAIL: ./bench is missing; run make first"
  echo "0 passed, 1 failed"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! ./bench --only e2e --device cpu --models acgan28 --steps 1 --save-generator "$tmp/generator.safetensors" >"$tmp/bench.log" 2>&1; then
  cat "$tmp/bench.log"
  echo "FAIL: ./bench could not train and save a generator"
  echo "0 passed, 1 failed"
  exit 1
fi
if "$py" benchmarks/load_check.py "$tmp/generator.safetensors"; then
  echo "1 passed, 0 failed"
else
  echo "FAIL: the generator did not load strictly into the PyTorch module"
  echo "0 passed, 1 failed"
  exit 1
fi
