#!/usr/bin/env bash
# Test: a generator saved by the C++ code (./bench trains acgan28 for one step on the CPU and
# writes it) loads into benchmarks/torch_ref.py's Generator with load_state_dict(strict=True) and
# runs. Needs torch in python3 (skipped with the reason otherwise) and ./bench (built by `make`).
# Prints "N passed, N failed, N skipped" last.
set -u
py=${PYTHON:-python3}
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "skip: load_check needs PyTorch, and '$py' cannot import torch"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
# shellcheck source=benchmarks/bench_test_lib.sh
source "$(dirname "$0")/bench_test_lib.sh"
if ! ./bench --only e2e --device cpu --models acgan28 --steps 1 --save-generator "$tmp/generator.safetensors" >"$tmp/bench.log" 2>&1; then
  cat "$tmp/bench.log"
  echo "FAIL: ./bench could not train and save a generator"
  echo "0 passed, 1 failed"
  exit 1
fi
if "$py" benchmarks/load_check.py "$tmp/generator.safetensors"; then
  pass=$((pass + 1))
else
  echo "FAIL: the generator did not load strictly into the PyTorch module"
  fail=$((fail + 1))
fi
# A file of an earlier version, whose ConvTranspose layers in front of BatchNorm had biases: the
# old module (biases on) and the folded current one compute the same in eval mode.
if "$py" - "$tmp/generator.safetensors" <<'PY'
import sys
import torch
sys.path.insert(0, "benchmarks")
import load_check  # noqa: E402

sd = load_check.load_tensors(sys.argv[1])
torch.manual_seed(0)
legacy = dict(sd)
ups = sorted(int(k.split(".")[1]) for k in sd if k.startswith("up.") and k.endswith(".weight"))
for i in ups:
    b = 0.5 * torch.randn_like(sd[f"bn_up.{i}.running_mean"])
    legacy[f"up.{i}.bias"] = b
    legacy[f"bn_up.{i}.running_mean"] = sd[f"bn_up.{i}.running_mean"] + b
old, latent, classes = load_check.generator_for(sd)
for i in ups:  # the earlier module: the same layers with biases
    u = old.up[i]
    old.up[i] = torch.nn.ConvTranspose2d(u.in_channels, u.out_channels, u.kernel_size, u.stride, u.padding, bias=True)
old.load_state_dict(legacy, strict=True)
folded = dict(legacy)
assert load_check.fold_legacy_biases(folded) == len(ups)
new, _, _ = load_check.generator_for(folded)
new.load_state_dict(folded, strict=True)
old.eval()
new.eval()
z = torch.randn(10, latent)
labels = torch.arange(10) % classes
with torch.no_grad():
    d = (old(z, labels) - new(z, labels)).abs().max().item()
print(f"legacy file: {len(ups)} biases folded, eval outputs differ by at most {d:.2e}")
sys.exit(0 if d <= 1e-5 else 1)
PY
then
  pass=$((pass + 1))
else
  echo "FAIL: a file with the earlier conv biases does not load into the same function"
  fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
((fail == 0))
