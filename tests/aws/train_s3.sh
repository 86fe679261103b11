#!/usr/bin/env bash
# A short training run with --storage s3://... against the local S3 (s3rver behind sigproxy.py,
# which re-checks every signature with botocore): every artifact in the local run folder must be
# in the bucket with the same bytes (downloaded with the AWS CLI), with no rejected signature;
# then the same under injected faults and clock skew; then a run killed with uploads pending and
# resumed; then a run resumed from the bucket alone (its local folder deleted). Prints "N passed, N failed, N skipped" last. Extra training flags: GAN_TRAIN_S3_ARGS.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FIX=$ROOT/tests/fixtures/s3
pass=0 fail=0 skip=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; exit $((fail > 0)); }
skip_all() { echo "SKIP: $1"; skip=$((skip + 4)); finish; }

[[ -x ./gan ]] || skip_all "./gan is not built (make)"
./gan --help 2>&1 | grep -q -- '--s3-endpoint' || skip_all "./gan has no --s3-endpoint flag"
command -v node >/dev/null || skip_all "node is not installed (aws/ci-deps)"
[[ -f $FIX/node_modules/s3rver/package.json ]] || skip_all "s3rver is not installed (aws/ci-deps)"
/usr/bin/python3 -c 'import botocore' 2>/dev/null || skip_all "python3-botocore is not installed (make deps)"
[[ -x /usr/bin/aws ]] || skip_all "awscli is not installed (make deps)"

TMP=$(mktemp -d /tmp/gan-train-s3-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }

S3PORT=$(free_port); PROXYPORT=$(free_port)
node --openssl-legacy-provider "$FIX/run_s3rver.js" "$S3PORT" "$TMP/s3data" gan-test >"$TMP/s3rver.out" 2>&1 &
pids+=($!)
wait_ready "$TMP/s3rver.out" || skip_all "s3rver did not start: $(cat "$TMP/s3rver.out")"
/usr/bin/python3 "$FIX/sigproxy.py" "$PROXYPORT" "$S3PORT" S3RVER S3RVER >"$TMP/proxy.out" 2>"$TMP/proxy.err" &
pids+=($!)
wait_ready "$TMP/proxy.out" || skip_all "sigproxy did not start: $(cat "$TMP/proxy.err")"
EP=http://127.0.0.1:$PROXYPORT
proxy() { curl -fsS -X POST --data "${2:-}" "$EP/__proxy/$1" >/dev/null; }
rejected() { curl -fsS "$EP/__proxy/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["rejected"])'; }

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
ARGS=(--train --dataset synthetic --epochs 2 --evalfreq 1 --no-monitor --out "$TMP/eval"
      --storage s3://gan-test/runs --s3-endpoint "$EP" --region us-east-1)
read -r -a EXTRA <<<"${GAN_TRAIN_S3_ARGS:---subset 256 --batchsize 32 --eval-samples 20}"

# Every file of the local run (but the upload journal and dotfiles) is in the bucket, byte for byte.
same_as_bucket() {
  local run=$1 down=$TMP/down-$1
  /usr/bin/aws --region us-east-1 --endpoint-url "$EP" s3 cp --recursive --only-show-errors \
    "s3://gan-test/runs/$run" "$down" || return 1
  local n=0
  while IFS= read -r -d '' f; do
    rel=${f#"$TMP/eval/$run/"}
    cmp -s "$f" "$down/$rel" || { echo "  differs or missing in the bucket: $rel"; return 1; }
    n=$((n + 1))
  done < <(find "$TMP/eval/$run" -type f ! -name '.*' ! -path '*/.*' ! -name 'upload-queue.journal*' -print0)
  ((n > 5)) || { echo "  only $n local files: did the run write its artifacts?"; return 1; }
  echo "  $n artifacts identical in the bucket"
}

# 1. A clean run.
out=$(./gan "${ARGS[@]}" "${EXTRA[@]}" --run-id clean 2>&1); rc=$?
if grep -q "not available in this build" <<<"$out"; then skip_all "./gan does not support s3:// storage yet: $(tail -1 <<<"$out")"; fi
if ((rc == 0)); then
  if same_as_bucket clean && [[ $(rejected) == 0 ]]; then ok "training run uploads every artifact"; else bad "training run uploads every artifact"; fi
else
  echo "$out" | tail -20; bad "training run with --storage s3:// exited non-zero"
fi

# 2. The same under faults: 500s, SlowDown, connection resets, a stall, and a skewed server clock.
proxy reset
proxy skew '{"seconds": 1200}'
proxy faults '[{"kind":"500","count":3,"method":"PUT"},{"kind":"503","count":3,"method":"PUT"},
  {"kind":"reset","count":3,"method":"PUT"},{"kind":"stall","seconds":5,"count":1,"method":"PUT"}]'
faults() { curl -fsS "$EP/__proxy/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["faults"])'; }
if out=$(./gan "${ARGS[@]}" "${EXTRA[@]}" --run-id faults 2>&1); then
  injected=$(faults)
  proxy reset  # the CLI that checks the bucket should see a sane clock
  echo "  $injected faults injected"
  if ((injected >= 10)) && same_as_bucket faults; then ok "uploads survive injected faults and clock skew"; else bad "uploads survive injected faults and clock skew"; fi
else
  echo "$out" | tail -20; bad "training run under faults exited non-zero"
fi
proxy reset

# 3. Killed while uploads are stuck, then resumed: the rest is uploaded.
proxy faults '[{"kind":"stall","seconds":60,"count":100000,"method":"PUT"}]'
./gan "${ARGS[@]}" "${EXTRA[@]}" --run-id killed >"$TMP/killed.out" 2>&1 &
gpid=$!
# Killed once the first evaluation and its checkpoint are on local disk (what --resume needs).
for _ in $(seq 600); do
  [[ -f $TMP/eval/killed/epoch/1/summary.json && -f $TMP/eval/killed/checkpoint/state.safetensors ]] && break
  sleep 0.2
done
kill -9 "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null
proxy reset
pending=$(grep -c '^A ' "$TMP/eval/killed/upload-queue.journal" 2>/dev/null || echo 0)
echo "  killed with $pending journal entries"
if [[ ! -f $TMP/eval/killed/epoch/1/summary.json ]]; then
  tail -20 "$TMP/killed.out"; bad "killed run did not reach its first evaluation"
elif ((pending == 0)); then
  bad "the killed run had no pending uploads in upload-queue.journal (nothing to resume)"
elif out=$(./gan "${ARGS[@]}" "${EXTRA[@]}" --resume killed 2>&1); then
  if same_as_bucket killed; then ok "a killed run resumed uploads what was pending"; else bad "a killed run resumed uploads what was pending"; fi
else
  echo "$out" | tail -20; bad "--resume of the killed run exited non-zero"
fi

# 4. A run that exists only in the bucket continues from its checkpoint there.
rm -rf "$TMP/eval/killed"
if out=$(./gan "${ARGS[@]}" "${EXTRA[@]}" --resume killed --epochs 3 2>&1) &&
   /usr/bin/aws --region us-east-1 --endpoint-url "$EP" s3 ls s3://gan-test/runs/killed/epoch/3/summary.json >/dev/null; then
  ok "--resume from a run that exists only in the bucket trains on and uploads"
else
  echo "$out" | tail -20; bad "--resume from a run that exists only in the bucket"
fi
finish
