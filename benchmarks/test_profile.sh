#!/usr/bin/env bash
# Test: ./bench's ceilings, floors and --profile on the CPU backend (they run the same on a GPU).
#   1. `--only profile`: the ceilings section (copy bandwidth, GEMM FLOP/s) and a profile of one
#      acgan28 mini-batch whose rows come largest first, whose shares add up to 100%, in which
#      every matrix op has its TFLOP/s and %peak and every other op its GB/s and %copy, and which
#      covers the step's ops (convs, the fused BatchNorm block, Adam); the JSON has the same rows.
#   2. `--only e2e`: the row has the mini-batch's GFLOP, its floor and the fraction reached.
#   3. bad --only/--profile-steps values are errors naming the flag.
# Needs ./bench (built by `make`). Prints "N passed, N failed" last.
set -u
# shellcheck source=benchmarks/bench_test_lib.sh
source "$(dirname "$0")/bench_test_lib.sh"

if ./bench --device cpu --only profile --models acgan28 --profile-steps 1 --json "$tmp/p.json" >"$tmp/p.txt" 2>&1; then
  if python3 - "$tmp/p.txt" "$tmp/p.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
rows = json.load(open(sys.argv[2]))["rows"]
def fail(m):
    print(text[-3000:]); print("check:", m); sys.exit(1)
ceil = [r for r in rows if r["section"] == "ceilings"]
if len(ceil) != 2 or not all(r["ms"] and r["ms"] > 0 for r in ceil): fail("two measured ceilings")
if not (ceil[0]["gbps"] > 0 and ceil[1]["tflops"] > 0): fail("copy GB/s and GEMM TFLOP/s")
prof = [r for r in rows if r["section"] == "profile"]
if len(prof) < 10: fail("a profile row per op class, got %d" % len(prof))
ms = [r["ms"] for r in prof]
if ms != sorted(ms, reverse=True): fail("largest first")
share = sum(r["share"] for r in prof)
if abs(share - 1.0) > 1e-6: fail("shares add up to 1, got %g" % share)
names = " ".join(r["name"] for r in prof)
for op in ["conv2d_forward", "conv_transpose2d_forward", "conv2d_backward", "linear_forward",
           "bn_act_dropout_forward_train", "bn_act_dropout_backward", "adam_update", "bce_logits"]:
    if op not in names: fail("the profile has " + op)
for r in prof:
    if r["calls"] < 1: fail("calls per mini-batch " + r["name"])
    if r["gflop"] is not None:  # matrix op: beside the GEMM ceiling
        if not (r["tflops"] > 0 and r["peak_fraction"] > 0): fail("TFLOP/s and %peak for " + r["name"])
    elif r["gbps"] is not None:
        if not (r["gbps"] > 0 and r["copy_fraction"] > 0): fail("GB/s and %copy for " + r["name"])
    else:
        fail("a figure beside a ceiling for " + r["name"])
# Two Adam calls for D (real and fake steps) and one for G, each over one flat buffer.
adam = [r for r in prof if "adam_update" in r["name"]]
if sum(r["calls"] for r in adam) != 3 or not all(r["shape"].endswith(" in 1") for r in adam):
    fail("three Adam calls per mini-batch, each over one flat buffer: " + str([(r["shape"], r["calls"]) for r in adam]))
# The printed table: the header, and the rows in the same order.
if "== profile" not in text or "%peak" not in text or "%copy" not in text: fail("the printed table")
printed = [l.split()[1] for l in text.splitlines() if l.startswith("acgan28 ")]
if printed != [r["name"].split()[1] for r in prof]: fail("the printed rows in the JSON's order")
if not re.search(r"note: profile acgan28: 1 mini-batch\(es\) of 128, ops sum to [0-9.]+ ms", text): fail("the summary note")
PY
  then ok "profile: ceilings, rows largest first, shares, figures beside ceilings"
  else bad "profile format"; fi
else
  cat "$tmp/p.txt"; bad "./bench --only profile failed"
fi

if ./bench --device cpu --only e2e --models acgan28 --steps 1 --json "$tmp/e.json" >"$tmp/e.txt" 2>&1; then
  if python3 - "$tmp/e.json" <<'PY'
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["section"] == "e2e"]
r = rows[0]
# acgan28 at batch 128: the five forward passes' and the backward passes' matrix work, ~130 GFLOP
# at the reference widths (the issue's count); the floor is that at the GEMM ceiling.
assert 50 < r["gflop"] < 300, r
assert r["floor_ms"] > 0 and 0 < r["peak_fraction"] <= 1.5, r
assert abs(r["floor_ms"] / r["ms"] - r["peak_fraction"]) < 1e-6, r
PY
  then ok "e2e: GFLOP per mini-batch, floor and fraction"
  else cat "$tmp/e.txt"; bad "e2e floor"; fi
else
  cat "$tmp/e.txt"; bad "./bench --only e2e failed"
fi

out=$(./bench --only nonsense 2>&1); rc=$?
if [[ $rc == 2 && $out == *"--only takes kernels, layers, e2e or profile"* ]]; then ok "bad --only"; else bad "bad --only: rc $rc: $out"; fi
out=$(./bench --profile-steps 0 2>&1); rc=$?
if [[ $rc == 2 && $out == *"--profile-steps takes a positive integer"* ]]; then ok "bad --profile-steps"; else bad "bad --profile-steps: rc $rc: $out"; fi
out=$(./bench --precision fp16 2>&1); rc=$?
if [[ $rc == 2 && $out == *"--precision takes fp32, tf32 or bf16"* ]]; then ok "bad --precision"; else bad "bad --precision: rc $rc: $out"; fi

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
