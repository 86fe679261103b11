#!/usr/bin/env bash
# A short training run with --storage s3://... against the local S3 (s3rver behind sigproxy.py,
# which re-checks every signature with botocore): every artifact in the local run folder must be
# in the bucket with the same bytes (downloaded with the AWS CLI), with no rejected signature;
# then the same under injected faults, lost answers and clock skew, each version of each key
# stored exactly once (plus once per answer lost); then a run killed with uploads pending and
# resumed; then a run resumed from the bucket alone (its local folder deleted); then a run whose
# server never answers, which must exit within a few seconds of --upload-timeout, say what was not
# uploaded and why, and print a resume command that, followed, uploads the rest.
# Prints "N passed, N failed, N skipped" last. Extra training flags: GAN_TRAIN_S3_ARGS.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FIX=$ROOT/tests/fixtures/s3
TOTAL=5
# shellcheck source=tests/fixtures/s3/checks.sh
source "$FIX/checks.sh"

[[ -x ./gan ]] || skip_all "./gan is not built (make)"
./gan --help 2>&1 | grep -q -- '--s3-endpoint' || skip_all "./gan has no --s3-endpoint flag"
need_s3_tools

TMP=$(mktemp -d /tmp/gan-train-s3-XXXXXX)
# Every background job (pids) ends with the script, on success, failure and interruption; then cleanup.
# shellcheck source=tests/common/procs.sh
source "$ROOT/tests/common/procs.sh"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { rm -rf "$TMP"; }
start_s3_stack
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

# Each version of each key was stored exactly once, or once more per answer the proxy dropped
# after storing (the client cannot know those went through, so it sends them again); and each
# local file's bytes are among them. Reads the proxy's stats saved in $1, for run $2.
stored_once() {
  /usr/bin/python3 - "$1" "$TMP/eval/$2" "/gan-test/runs/$2/" <<'PY'
import hashlib, json, os, sys
stats = json.load(open(sys.argv[1]))
run_dir, prefix = sys.argv[2], sys.argv[3]
stored = {k[len(prefix):]: v for k, v in stats["stored"].items() if k.startswith(prefix)}
dropped = {k[len(prefix):]: v for k, v in stats["dropped"].items() if k.startswith(prefix)}
bad, stores, lost_total = 0, 0, 0
for key, bodies in sorted(stored.items()):
    for digest, n in bodies.items():
        lost = dropped.get(key, {}).get(digest, 0)
        stores += n
        lost_total += lost
        if n - lost > 1:
            print(f"  {key}: the same bytes were stored {n} times with {lost} answer(s) lost")
            bad = 1
for root, _, files in os.walk(run_dir):
    for f in files:
        if f.startswith(".") or f.startswith("upload-queue.journal"):
            continue
        path = os.path.join(root, f)
        key = os.path.relpath(path, run_dir)
        if os.path.getsize(path) > 16 << 20:
            continue  # multipart: the proxy sees parts, not the file; same_as_bucket checks its bytes
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        n = stored.get(key, {}).get(digest, 0)
        lost = dropped.get(key, {}).get(digest, 0)
        if n - lost != 1:
            print(f"  {key}: its final bytes were stored {n} times with {lost} answer(s) lost (want once more than lost)")
            bad = 1
print(f"  {len(stored)} keys, {stores} stores, {lost_total} of them with the answer dropped")
sys.exit(bad)
PY
}

# 2. The same under faults: 500s, SlowDown, connection resets, a stall, answers lost after the
# object was stored, and a skewed server clock.
proxy reset
proxy skew '{"seconds": 1200}'
proxy faults '[{"kind":"500","count":3,"method":"PUT"},{"kind":"503","count":3,"method":"PUT"},
  {"kind":"reset","count":3,"method":"PUT"},{"kind":"stall","seconds":5,"count":1,"method":"PUT"},
  {"kind":"drop_response","count":2,"method":"PUT"}]'
stats() { curl -fsS "$EP/__proxy/stats"; }
if out=$(./gan "${ARGS[@]}" "${EXTRA[@]}" --run-id faults 2>&1); then
  stats >"$TMP/faults-stats.json"
  injected=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["faults"])' "$TMP/faults-stats.json")
  proxy reset  # the CLI that checks the bucket should see a sane clock
  echo "  $injected faults injected"
  if ((injected >= 12)) && same_as_bucket faults && stored_once "$TMP/faults-stats.json" faults; then
    ok "uploads survive injected faults and clock skew, each version stored once"
  else
    bad "uploads survive injected faults and clock skew, each version stored once"
  fi
else
  echo "$out" | tail -20; bad "training run under faults exited non-zero"
fi
proxy reset

# 3. Killed while uploads are stuck, then resumed: the rest is uploaded.
proxy faults '[{"kind":"stall","seconds":60,"count":100000,"method":"PUT"}]'
./gan "${ARGS[@]}" "${EXTRA[@]}" --run-id killed >"$TMP/killed.out" 2>&1 &
gpid=$!
pids+=("$gpid")
# Killed once the first evaluation and its checkpoint are on local disk (what --resume needs).
for _ in $(seq 600); do
  [[ -f $TMP/eval/killed/epoch/1/summary.json && -f $TMP/eval/killed/checkpoint/state.safetensors ]] && break
  sleep 0.2
done
kill -9 "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null; forget "$gpid"
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
# 5. A server that accepts connections and never answers: ./gan must exit within a few seconds of
# --upload-timeout (an upload in flight is cancelled, not waited for through its retries), print a
# plain progress line about every 10 s (stderr is not a terminal here), list what it did not upload
# with a reason ("in flight", "not attempted yet"), and print a resume command that, followed,
# finds the journal and the endpoint and uploads the rest.
proxy reset
proxy faults '[{"kind":"stall","seconds":600,"count":100000,"method":"PUT"}]'
TIMEOUT=12
{ ./gan "${ARGS[@]}" "${EXTRA[@]}" --run-id hung --upload-timeout $TIMEOUT 2>&1; echo "exit $?"; } |
  while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done >"$TMP/hung.out"
proxy reset
rc=$(sed -n 's/^[0-9.]* exit //p' "$TMP/hung.out")
t_end=$(awk '/ exit [0-9]+$/ {print $1}' "$TMP/hung.out")
t_drain=$(awk '/ gan: run .*mini-batches/ {print $1}' "$TMP/hung.out")
waited=$(awk -v a="${t_drain:-0}" -v b="${t_end:-0}" 'BEGIN {printf "%.1f", b - a}')
progress=$(grep -c ' gan: uploading: ' "$TMP/hung.out")
# The resume hint, not the best epoch's --generate hint printed before it.
hint=$(grep -o '`\./gan --train --resume [^`]*`' "$TMP/hung.out" | head -1 | tr -d '`')
echo "  exit $rc, $waited s from the end of training to exit (--upload-timeout $TIMEOUT), $progress progress line(s)"
echo "  resume hint: $hint"
problems=()
[[ $rc == 3 ]] || problems+=("exit code $rc, want 3 (uploads left)")
[[ -n $t_drain ]] || problems+=("no 'gan: run ...' line before the drain")
awk -v w="$waited" -v t=$TIMEOUT 'BEGIN {exit !(w >= t - 0.5 && w <= t + 5)}' ||
  problems+=("waited $waited s, want $TIMEOUT..$((TIMEOUT + 5)) s")
((progress >= 2)) || problems+=("$progress plain progress lines in $TIMEOUT s, want one at the start and one 10 s later")
grep -q ': in flight: ' "$TMP/hung.out" || problems+=("no item listed as in flight")
grep -q ': not attempted yet$' "$TMP/hung.out" || problems+=("no item listed as not attempted yet")
grep -Eq '^[0-9.]+   [^ ]+: $' "$TMP/hung.out" && problems+=("an item listed with an empty reason")
for want in "--storage s3://gan-test/runs" "--out $TMP/eval" "--s3-endpoint $EP" "--region us-east-1"; do
  [[ $hint == *"$want"* ]] || problems+=("the resume hint lacks '$want'")
done
if ((${#problems[@]} == 0)); then
  # Followed (without the monitor, which a test need not serve), it sends what was left.
  if out=$(eval "$hint --no-monitor" 2>&1) && same_as_bucket hung; then
    ok "--upload-timeout bounds the exit against a hung server; the list and the resume hint are right"
  else
    echo "$out" | tail -20; bad "following the resume hint uploads what was left"
  fi
else
  printf '  %s\n' "${problems[@]}"; sed 's/^[0-9.]* /  | /' "$TMP/hung.out" | tail -25
  bad "--upload-timeout bounds the exit against a hung server; the list and the resume hint are right"
fi
finish
