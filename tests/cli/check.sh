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
RUN=(--train --dataset synthetic --subset 640 --epochs 6 --evalfreq 2 --seed 5 "${TINY[@]}")
"$GAN" "${RUN[@]}" --out "$T/straight" --run-id r >/dev/null 2>&1 || bad "uninterrupted run failed"
"$GAN" "${RUN[@]}" --out "$T/killed" --run-id r >/dev/null 2>&1 &
pid=$!
# Wait until epoch 3 has started (the epoch-2 checkpoint is there), then a little more.
for _ in $(seq 1 600); do
  [[ -f $T/killed/r/epoch/2/summary.json && -f $T/killed/r/checkpoint/state.safetensors ]] && break
  sleep 0.1
done
sleep 1
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [[ -d $T/killed/r/epoch/6 ]]; then
  bad "the run finished before it could be killed (make the run longer)"
else
  ok "killed mid-run with SIGKILL"
fi
if "$GAN" --train --resume r --out "$T/killed" --no-monitor -q >/dev/null 2>"$T/resume.err"; then
  ok "resumed: $(grep -m1 resuming "$T/resume.err")"
else
  bad "resume failed: $(cat "$T/resume.err")"
fi
for e in 0 2 4 6; do
  if [[ -f $T/killed/r/epoch/$e/generated.png ]]; then ok "epoch $e present"; else bad "epoch $e missing"; fi
done
rows=$(for e in 2 4 6; do tail -n +2 "$T/killed/r/epoch/$e/metrics.csv"; done | cut -d, -f1,3 | sort | uniq | wc -l)
total=$(for e in 2 4 6; do tail -n +2 "$T/killed/r/epoch/$e/metrics.csv"; done | wc -l)
if [[ $rows == 120 && $total == 120 ]]; then ok "metrics.csv: 120 rows, none missing or repeated"; else bad "metrics.csv rows: $total (unique $rows), want 120"; fi
# Everything but wall-clock figures is the same as in the run that was never interrupted.
if diff -r -x summary.json "$T/straight/r/epoch" "$T/killed/r/epoch" >/dev/null; then
  ok "resumed run's epochs are byte-identical to the uninterrupted run's"
else
  bad "resumed run differs from the uninterrupted run: $(diff -rq -x summary.json "$T/straight/r/epoch" "$T/killed/r/epoch" | head -3)"
fi
strip_timing() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("Elapsed Time","Images Per Second")]; print(json.dumps(d, sort_keys=True))' "$1"; }
same=1
for e in 2 4 6; do
  [[ $(strip_timing "$T/straight/r/epoch/$e/summary.json") == $(strip_timing "$T/killed/r/epoch/$e/summary.json") ]] || same=0
done
if ((same)); then ok "summary.json identical but for timing"; else bad "summary.json differs beyond timing"; fi

# --- generate and summary ----------------------------------------------------------------
if "$GAN" --generate --checkpoint "$T/killed/r/epoch/6/generator.safetensors" --labels 0,3,9 --n 4 --out "$T/g.png" 2>/dev/null &&
  [[ $(head -c 8 "$T/g.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; then
  ok "--generate writes a PNG"
else
  bad "--generate failed"
fi
if "$GAN" --summary | grep -q "generator: 1169848 trainable parameters"; then ok "--summary"; else bad "--summary"; fi

echo "cli: $pass passed, $fail failed"
((fail == 0))
