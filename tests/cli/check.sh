#!/usr/bin/env bash
# ./gan as a user runs it: bad input gets a one-line error naming the input and a non-zero exit
# (never a crash), and a run killed with SIGKILL mid-epoch resumes to a complete run: every
# evaluation epoch present, metrics.csv rows neither missing nor duplicated, and the same bytes
# as a run that was never interrupted.
set -u
cd "$(dirname "$0")/../.."
GAN=./gan
T=$(mktemp -d /tmp/gan-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
TINY=(--convFilters 8,8 --convTransposeFilters 8,8 --generatorInputFilters 8 --batchsize 32 --no-monitor -q)

# expect_error NAME NEEDLE -- ARGS...: exit 1..127, last stderr line starts with "gan: " and
# contains NEEDLE, and the error is that one line.
expect_error() {
  local name=$1 needle=$2
  shift 3
  local err rc
  err=$("$GAN" "$@" 2>&1 >/dev/null)
  rc=$?
  local last
  last=$(printf '%s\n' "$err" | tail -n 1)
  if ((rc == 0 || rc >= 128)); then
    bad "$name: exit $rc (want a non-zero exit, not a crash): $err"
  elif [[ $last != "gan: "* || $last != *"$needle"* ]]; then
    bad "$name: last line does not name '$needle': $err"
  else
    ok "$name: $last"
  fi
}

# --- bad input ---------------------------------------------------------------------------
mkdir -p "$T/idx"
head -c 5000 /dev/urandom >"$T/idx/train-images-idx3-ubyte"
printf '\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c' >"$T/idx/hdr"
cat "$T/idx/hdr" <(head -c 1000 /dev/zero) >"$T/idx/train-images-idx3-ubyte"
printf '\x00\x00\x08\x01\x00\x00\xea\x60' >"$T/idx/train-labels-idx1-ubyte"
expect_error "truncated IDX" "$T/idx/train-images-idx3-ubyte" -- --train --dataset "idx:$T/idx" "${TINY[@]}" --out "$T/o"

mkdir -p "$T/gz"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbagegarbage' >"$T/gz/train-images-idx3-ubyte.gz"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbagegarbage' >"$T/gz/train-labels-idx1-ubyte.gz"
expect_error "corrupt .gz" "$T/gz/train-" -- --train --dataset "idx:$T/gz" "${TINY[@]}" --out "$T/o"

mkdir -p "$T/folder/cats"
echo "this is not a PNG" >"$T/folder/cats/a.png"
expect_error "PNG that is not a PNG" "$T/folder" -- --train --dataset "folder:$T/folder" "${TINY[@]}" --out "$T/o"

mkdir -p "$T/empty"
expect_error "empty dataset folder" "$T/empty" -- --train --dataset "folder:$T/empty" "${TINY[@]}" --out "$T/o"

printf '\x10\x00\x00\x00\x00\x00\x00\x00{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}\x00\x00\x80\x3f' >"$T/foreign.safetensors"
# (the header above is 16 bytes short of its length field: a corrupt file)
expect_error "corrupt checkpoint" "$T/foreign.safetensors" -- --generate --checkpoint "$T/foreign.safetensors" --out "$T/x.png"
/usr/bin/python3 - "$T/other.safetensors" <<'PY'
import json, struct, sys
h = json.dumps({"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + struct.pack("<f", 1.0))
PY
expect_error "checkpoint from another model" "$T/other.safetensors" -- --generate --checkpoint "$T/other.safetensors" --out "$T/x.png"

touch "$T/a-file"
expect_error "unwritable --out" "$T/a-file/out" -- --train --dataset synthetic "${TINY[@]}" --out "$T/a-file/out"
expect_error "impossible --epochs" "--epochs" -- --train --epochs -3
expect_error "odd --batchsize" "--batchsize" -- --train --batchsize 7
expect_error "unknown flag" "--epoch" -- --train --epoch 3
expect_error "resume of a missing run" "nope" -- --train --resume nope --out "$T/o"

# --- SIGKILL mid-epoch, then --resume ------------------------------------------------------
# 12 epochs of 40 mini-batches, evaluated every 2: the kill lands as soon as epoch 2's checkpoint is
# written, with 10 epochs still to go, however fast the machine.
# The run trains on an IDX folder, so a resume that fell back to the default dataset would show.
mkdir -p "$T/good-idx"
/usr/bin/python3 - "$T/good-idx" <<'PY'
import random, struct, sys
rng = random.Random(3)
for stem, n in (("train", 1280), ("t10k", 300)):
    labels = bytes(rng.randrange(10) for _ in range(n))
    images = bytes(min(255, (i % 28) * 9 * (1 + labels[i // 784] % 3) // 3) for i in range(n * 784))
    open(f"{sys.argv[1]}/{stem}-images-idx3-ubyte", "wb").write(struct.pack(">iiii", 0x803, n, 28, 28) + images)
    open(f"{sys.argv[1]}/{stem}-labels-idx1-ubyte", "wb").write(struct.pack(">ii", 0x801, n) + labels)
PY
EPOCHS=12 EVALS=(2 4 6 8 10 12) ROWS_PER_EVAL=80
RUN=(--train --dataset "idx:$T/good-idx" --subset 1280 --epochs $EPOCHS --evalfreq 2 --seed 5 "${TINY[@]}")
"$GAN" "${RUN[@]}" --out "$T/straight" --run-id r >/dev/null 2>&1 || bad "uninterrupted run failed"
"$GAN" "${RUN[@]}" --out "$T/killed" --run-id r >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
  [[ -f $T/killed/r/epoch/2/summary.json && -f $T/killed/r/checkpoint/state.safetensors ]] && break
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [[ -d $T/killed/r/epoch/$EPOCHS ]]; then
  bad "the run finished before it could be killed (make the run longer)"
else
  ok "killed mid-run with SIGKILL"
fi
# No --dataset here: the run's own dataset comes back from its checkpoint.
if "$GAN" --train --resume r --out "$T/killed" --no-monitor >/dev/null 2>"$T/resume.err"; then
  after=$(grep -m1 -o 'resuming r after epoch [0-9]*' "$T/resume.err" | grep -o '[0-9]*$')
  # The kill lands after epoch 2's summary.json: during epoch 2's evaluation (its checkpoint not yet
  # written, so the resume starts after epoch 1) or later.
  if [[ -n $after ]] && ((after >= 1 && after < EPOCHS)); then
    ok "resumed after epoch $after of $EPOCHS"
  else
    bad "resume did not start mid-run: $(head -5 "$T/resume.err")"
  fi
  if grep -qF "| idx:$T/good-idx, 1280 images" "$T/resume.err"; then
    ok "resume trains on the run's own dataset without --dataset"
  else
    bad "resume chose another dataset: $(grep -m1 ' on cpu' "$T/resume.err")"
  fi
else
  bad "resume failed: $(cat "$T/resume.err")"
fi
for e in 0 "${EVALS[@]}"; do
  if [[ -f $T/killed/r/epoch/$e/generated.png ]]; then ok "epoch $e present"; else bad "epoch $e missing"; fi
done
want=$((ROWS_PER_EVAL * ${#EVALS[@]}))
rows=$(for e in "${EVALS[@]}"; do tail -n +2 "$T/killed/r/epoch/$e/metrics.csv"; done | cut -d, -f1,3 | sort | uniq | wc -l)
total=$(for e in "${EVALS[@]}"; do tail -n +2 "$T/killed/r/epoch/$e/metrics.csv"; done | wc -l)
if [[ $rows == "$want" && $total == "$want" ]]; then ok "metrics.csv: $want rows, none missing or repeated"; else bad "metrics.csv rows: $total (unique $rows), want $want"; fi
# Everything but wall-clock figures is the same as in the run that was never interrupted.
if diff -r -x summary.json "$T/straight/r/epoch" "$T/killed/r/epoch" >/dev/null; then
  ok "resumed run's epochs are byte-identical to the uninterrupted run's"
else
  bad "resumed run differs from the uninterrupted run: $(diff -rq -x summary.json "$T/straight/r/epoch" "$T/killed/r/epoch" | head -3)"
fi
strip_timing() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("Elapsed Time","Images Per Second","Quality Seconds")]; print(json.dumps(d, sort_keys=True))' "$1"; }
same=1 differs=""
for e in "${EVALS[@]}"; do
  # The right-hand side quoted: unquoted, [[ ]] reads it as a glob pattern, and the JSON's arrays
  # ("Per-Class Frechet Distance") as bracket expressions.
  if [[ $(strip_timing "$T/straight/r/epoch/$e/summary.json") != "$(strip_timing "$T/killed/r/epoch/$e/summary.json")" ]]; then
    same=0
    differs+=" epoch $e: $(diff <(strip_timing "$T/straight/r/epoch/$e/summary.json" | tr ',' '\n') \
      <(strip_timing "$T/killed/r/epoch/$e/summary.json" | tr ',' '\n') | grep '^[<>]' | head -4 | tr '\n' ' ')"
  fi
done
if ((same)); then ok "summary.json identical but for timing"; else bad "summary.json differs beyond timing:$differs"; fi

# --- what --resume keeps -------------------------------------------------------------------
expect_error "resume on another dataset" "trained on idx:$T/good-idx" -- --train --resume r --out "$T/killed" --dataset synthetic --no-monitor -q
err=$("$GAN" --train --resume r --out "$T/killed" --batchsize 64 --no-monitor -q 2>&1 >/dev/null)
if [[ $err == *"keeps the run's batch_size = 32; the command line's 64 is ignored"* ]]; then
  ok "resume says which flags it ignores"
else
  bad "resume with --batchsize 64 said: $err"
fi
# --resume latest: the run trained last, whatever its name sorts as.
cp -r "$T/killed/r" "$T/killed/a-later-run"
touch "$T/killed/a-later-run/checkpoint/state.safetensors"
if "$GAN" --train --resume latest --out "$T/killed" --no-monitor -q 2>&1 | grep -q "resuming a-later-run"; then
  ok "--resume latest picks the run trained last"
else
  bad "--resume latest did not pick a-later-run"
fi

# --- an unconditional model on a folder of 11 classes ------------------------------------------
/usr/bin/python3 - "$T/eleven" <<'PY'
import os, struct, sys, zlib
def png(path, shade):
    rows = b"".join(b"\0" + bytes([shade] * 8) for _ in range(8))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
for c in range(11):
    os.makedirs(f"{sys.argv[1]}/class{c}")
    for i in range(2):
        png(f"{sys.argv[1]}/class{c}/{i}.png", 20 * c + i)
PY
if "$GAN" --train --model dcgan64 --dataset "folder:$T/eleven" --ngf 8 --ndf 8 --batchsize 4 --epochs 1 --no-monitor -q \
  --out "$T/eleven-out" >/dev/null 2>"$T/eleven.err"; then
  ok "dcgan64 trains on a folder of 11 classes"
else
  bad "dcgan64 on 11 classes: $(tail -1 "$T/eleven.err")"
fi
if "$GAN" --train --dataset "folder:$T/eleven" "${TINY[@]}" --batchsize 4 --epochs 1 --out "$T/eleven-out" >/dev/null 2>"$T/eleven.err"; then
  ok "acgan28 sizes its class head for a folder of 11 classes"
else
  bad "acgan28 on 11 classes: $(tail -1 "$T/eleven.err")"
fi
# The hint printed when training (and its monitor) ends is a command the shell reads back as is.
port=$((20000 + RANDOM % 10000))
"$GAN" --train --dataset synthetic --subset 64 --epochs 1 --convFilters 8,8 --convTransposeFilters 8,8 \
  --generatorInputFilters 8 --batchsize 32 -q --monitor-port "$port" --monitor-bind 127.0.0.1 \
  --out "$T/with space" >/dev/null 2>"$T/watch.err"
want="./gan --monitor --storage '$T/with space' --monitor-port $port --monitor-bind 127.0.0.1"
if grep -qF "to keep watching this run: $want" "$T/watch.err"; then
  ok "the keep-watching hint quotes the folder"
else
  bad "keep-watching hint: $(grep -m1 'keep watching' "$T/watch.err" || tail -1 "$T/watch.err")"
fi
expect_error "flags without a mode" "add --train" -- --epochs 3
expect_error "a bad value names the spelling typed" "--lr (--adamLearningRate): 0 is out of range" -- --train --lr 0

# --- generate and summary ----------------------------------------------------------------
if "$GAN" --generate --checkpoint "$T/killed/r/epoch/$EPOCHS/generator.safetensors" --labels 0,3,9 --n 4 --out "$T/g.png" 2>/dev/null &&
  [[ $(head -c 8 "$T/g.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; then
  ok "--generate writes a PNG"
else
  bad "--generate failed"
fi
if "$GAN" --summary | grep -q "generator: 1169592 trainable parameters"; then ok "--summary"; else bad "--summary"; fi

# --- quality metrics of an earlier run: --evaluate, then RUN:best ---------------------------
# A run written without the metrics (--quality-samples 0) gets them afterwards, stored as training
# stores them: new keys in each summary.json (the reference's kept), best.json naming an epoch.
"$GAN" --train --dataset synthetic --subset 640 --epochs 4 --evalfreq 2 --quality-samples 0 "${TINY[@]}" \
  --out "$T/q" --run-id old --data-dir "$T/qdata" >/dev/null 2>&1 || bad "run without quality metrics failed"
if [[ -f $T/q/old/best.json ]] || grep -q "Frechet" "$T/q/old/epoch/4/summary.json"; then
  bad "--quality-samples 0 still measured quality"
fi
if "$GAN" --evaluate old --out "$T/q" --quality-samples 300 --data-dir "$T/qdata" --device cpu >/dev/null 2>"$T/evaluate.err"; then
  if /usr/bin/python3 - "$T/q/old" <<'PY'
import json, sys
run = sys.argv[1]
for e in (2, 4):
    s = json.load(open(f"{run}/epoch/{e}/summary.json"))
    assert s["Epoch"] == e and "Real Accuracy" in s and "Elapsed Time" in s, s
    assert s["Frechet Distance"] > 0 and 0 <= s["Class Agreement"] <= 1 and s["Quality Samples"] == 300, s
    assert len(s["Per-Class Frechet Distance"]) == 10 and 0 <= s["Precision"] <= 1 and 0 <= s["Recall"] <= 1, s
b = json.load(open(f"{run}/best.json"))
assert b["epoch"] in (2, 4) and b["why"] and b["generator"] == f"epoch/{b['epoch']}/generator.safetensors", b
assert json.load(open(f"{run}/evaluator.json"))["accuracy"] > 0.5
PY
  then ok "--evaluate stores FD, agreement, precision, recall and best.json"; else bad "--evaluate wrote: $(ls "$T/q/old")"; fi
else
  bad "--evaluate failed: $(tail -2 "$T/evaluate.err")"
fi
if "$GAN" --generate --checkpoint "$T/q/old:best" --n 2 --out "$T/best.png" 2>"$T/best.err" && [[ -s $T/best.png ]] &&
  grep -q "from $T/q/old/epoch/[24]/generator.safetensors" "$T/best.err"; then
  ok "--generate --checkpoint RUN:best draws from the best epoch"
else
  bad "--generate RUN:best: $(tail -1 "$T/best.err")"
fi
expect_error "RUN:best without best.json" "best.json does not exist" -- --generate --checkpoint "$T/killed/nope:best" --out "$T/x.png"
expect_error "--evaluate of a folder without generators" "generator.safetensors" -- --evaluate "$T/eleven" --out "$T/q"

echo "cli: $pass passed, $fail failed"
((fail == 0))
