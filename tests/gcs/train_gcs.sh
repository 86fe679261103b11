#!/usr/bin/env bash
# Training with --storage gs://gan-test/runs through GCS's S3-compatible XML API path, against the
# local S3 server in "GCS mode": s3rver behind tests/fixtures/s3/sigproxy.py, which re-checks every
# SigV4 signature with botocore and (told so) refuses any scope region but GCS's "auto". HMAC keys
# come from GCS_HMAC_ACCESS_ID / GCS_HMAC_SECRET and the endpoint from GCS_ENDPOINT_URL — no flag
# of ./gan is involved, so this runs as soon as gs:// opens storage.
#   1. a clean run: every artifact in the bucket, byte for byte (read back with the AWS CLI,
#      itself signing for region "auto"), no signature rejected;
#   2. --resume from a run that exists only in the bucket;
#   3. the standalone monitor lists the run.
# Prints "N passed, N failed, N skipped" last. GAN=path runs another build.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FIX=$ROOT/tests/fixtures/s3
GAN=${GAN:-./gan}
pass=0 fail=0 skip=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; exit $((fail > 0)); }
skip_all() { echo "SKIP: $1"; skip=$((skip + 3 - pass - fail)); finish; }

[[ -x $GAN ]] || skip_all "./gan is not built (make)"
command -v node >/dev/null || skip_all "node is not installed (aws/ci-deps)"
[[ -f $FIX/node_modules/s3rver/package.json ]] || skip_all "s3rver is not installed (aws/ci-deps)"
/usr/bin/python3 -c 'import botocore' 2>/dev/null || skip_all "python3-botocore is not installed (make deps)"
[[ -x /usr/bin/aws ]] || skip_all "awscli is not installed (make deps)"

TMP=$(mktemp -d /tmp/gan-train-gcs-XXXXXX)
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
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
curl -fsS -X POST --data '{"name": "auto"}' "$EP/__proxy/region" >/dev/null
stat_of() { curl -fsS "$EP/__proxy/stats" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# (s3rver knows only the key S3RVER; the proxy checks the signatures made with it.)
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export GCS_HMAC_ACCESS_ID=S3RVER GCS_HMAC_SECRET=S3RVER GCS_ENDPOINT_URL=$EP
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
ARGS=(--train --dataset synthetic --epochs 2 --evalfreq 1 --no-monitor -q --out "$TMP/eval" --storage gs://gan-test/runs)
read -r -a EXTRA <<<"${GAN_TRAIN_GCS_ARGS:---subset 320 --batchsize 32 --convFilters 8,8 --convTransposeFilters 8,8 --generatorInputFilters 8 --eval-samples 20}"
awsg() { AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER /usr/bin/aws --region auto --endpoint-url "$EP" "$@"; }

# 1. A clean run: everything local is in the bucket, and no request was signed wrongly.
out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --run-id clean 2>&1); rc=$?
if grep -q "not supported" <<<"$out"; then skip_all "./gan does not support gs:// yet: $(tail -1 <<<"$out")"; fi
n=0; missing=""
if ((rc == 0)) && awsg s3 cp --recursive --only-show-errors s3://gan-test/runs/clean "$TMP/down"; then
  while IFS= read -r -d '' f; do
    rel=${f#"$TMP/eval/clean/"}
    cmp -s "$f" "$TMP/down/$rel" || missing+=" $rel"
    n=$((n + 1))
  done < <(find "$TMP/eval/clean" -type f ! -name '.*' ! -path '*/.*' ! -name 'upload-queue.journal*' -print0)
fi
rejected=$(stat_of rejected)
echo "  $n local artifacts; differing or missing:${missing:- none}; $rejected signatures rejected"
if ((rc == 0 && n > 5)) && [[ -z $missing && $rejected == 0 ]]; then
  ok "training run with --storage gs:// (HMAC, region auto) uploads every artifact"
else
  echo "$out" | tail -20; bad "training run with --storage gs:// (HMAC, region auto) uploads every artifact"
fi

# 2. A run that exists only in the bucket continues from its checkpoint there.
rm -rf "$TMP/eval/clean"
if out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --resume clean --epochs 3 2>&1) &&
   awsg s3 ls s3://gan-test/runs/clean/epoch/3/summary.json >/dev/null; then
  ok "--resume from a run that exists only in the GCS bucket"
else
  echo "$out" | tail -20; bad "--resume from a run that exists only in the GCS bucket"
fi

# 3. The standalone monitor reads it.
MPORT=$(free_port)
"$GAN" --monitor --storage gs://gan-test/runs --monitor-port "$MPORT" --monitor-bind 127.0.0.1 >"$TMP/monitor.out" 2>&1 &
pids+=($!)
runs=""
for _ in $(seq 100); do runs=$(curl -fsS "http://127.0.0.1:$MPORT/api/runs" 2>/dev/null) && break; sleep 0.2; done
if grep -q '"clean"' <<<"$runs"; then ok "./gan --monitor --storage gs:// lists the run"; else
  echo "  /api/runs: ${runs:-no answer}"; tail -5 "$TMP/monitor.out"; bad "./gan --monitor --storage gs:// lists the run"; fi
finish
