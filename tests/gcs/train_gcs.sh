#!/usr/bin/env bash
# Training with --storage gs://gan-test/runs through GCS's S3-compatible XML API path, against the
# local S3 server in "GCS mode": s3rver behind tests/fixtures/s3/sigproxy.py, which re-checks every
# SigV4 signature with botocore and (told so) refuses any scope region but GCS's "auto". HMAC keys
# come from GCS_HMAC_ACCESS_ID / GCS_HMAC_SECRET and the endpoint from GCS_ENDPOINT_URL — no flag
# of ./gan is involved.
#   1. a clean run: every artifact in the bucket, byte for byte (read back with the AWS CLI,
#      itself signing for region "auto"), no signature rejected;
#   2. --resume from a run that exists only in the bucket;
#   3. the standalone monitor lists the run, and ./gan --presign gs://... prints a signed URL that
#      downloads the same bytes;
#   4. a monitor VM with only its service account (a token from the fake GCE metadata server, sent
#      to tests/fixtures/gcs/bearer_front.py, which accepts only those tokens): it lists the run and
#      serves images and downloads itself, as no signed URL can be made; --presign says why not.
# Prints "N passed, N failed, N skipped" last; a missing fixture skips (a failure in CI, where
# .ci/allowed-skips does not list this script). GAN=path runs another build.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FIX=$ROOT/tests/fixtures/s3
TOTAL=4
GAN=${GAN:-./gan}
# shellcheck source=tests/fixtures/s3/checks.sh
source "$FIX/checks.sh"

[[ -x $GAN ]] || skip_all "./gan is not built (make)"
need_s3_tools

TMP=$(mktemp -d /tmp/gan-train-gcs-XXXXXX)
# Every background job (pids) ends with the script, on success, failure and interruption; then cleanup.
# shellcheck source=tests/common/procs.sh
source "$ROOT/tests/common/procs.sh"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { rm -rf "$TMP"; }
start_s3_stack
curl -fsS -X POST --data '{"name": "auto"}' "$EP/__proxy/region" >/dev/null
stat_of() { curl -fsS "$EP/__proxy/stats" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# (s3rver knows only the key S3RVER; the proxy checks the signatures made with it.)
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN GCE_METADATA_HOST CURL_CA_BUNDLE
export GCS_HMAC_ACCESS_ID=S3RVER GCS_HMAC_SECRET=S3RVER GCS_ENDPOINT_URL=$EP
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
ARGS=(--train --dataset synthetic --epochs 2 --evalfreq 1 --no-monitor -q --out "$TMP/eval" --storage gs://gan-test/runs)
read -r -a EXTRA <<<"${GAN_TRAIN_GCS_ARGS:---subset 320 --batchsize 32 --convFilters 8,8 --convTransposeFilters 8,8 --generatorInputFilters 8 --eval-samples 20}"
awsg() { AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER /usr/bin/aws --region auto --endpoint-url "$EP" "$@"; }

# 1. A clean run: everything local is in the bucket, and no request was signed wrongly.
out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --run-id clean 2>&1); rc=$?
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

# 3. The standalone monitor reads it; a signed URL downloads an artifact.
MPORT=$(free_port)
"$GAN" --monitor --storage gs://gan-test/runs --monitor-port "$MPORT" --monitor-bind 127.0.0.1 >"$TMP/monitor.out" 2>&1 &
mpid=$!
pids+=("$mpid")
runs=""
for _ in $(seq 100); do runs=$(curl -fsS "http://127.0.0.1:$MPORT/api/runs" 2>/dev/null) && break; sleep 0.2; done
stop "$mpid"
KEY=clean/epoch/2/generator.safetensors
awsg s3 cp --only-show-errors "s3://gan-test/runs/$KEY" "$TMP/want.bin" || echo "  could not read s3://gan-test/runs/$KEY back"
link=$("$GAN" --presign "gs://gan-test/runs/$KEY" --expires 600 2>&1)
if grep -q '"clean"' <<<"$runs" && curl -fsS -o "$TMP/signed.bin" "$link" && cmp -s "$TMP/signed.bin" "$TMP/want.bin"; then
  ok "./gan --monitor --storage gs:// lists the run; a --presign URL downloads the same bytes"
else
  echo "  /api/runs: ${runs:-no answer}; --presign: $link"; tail -5 "$TMP/monitor.out"
  bad "./gan --monitor --storage gs:// lists the run; a --presign URL downloads the same bytes"
fi

# 4. A monitor VM with only its service account's token (no HMAC keys anywhere).
FRONTPORT=$(free_port); MDPORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/fixtures/gcs/bearer_front.py" "$FRONTPORT" "$S3PORT" >"$TMP/front.out" 2>&1 &
pids+=($!)
wait_ready "$TMP/front.out" || skip_all "bearer_front did not start: $(cat "$TMP/front.out")"
/usr/bin/python3 "$ROOT/tests/fixtures/azure/fake_metadata.py" "$MDPORT" >"$TMP/md.out" 2>&1 &
pids+=($!)
wait_ready "$TMP/md.out" || skip_all "the fake metadata server did not start: $(cat "$TMP/md.out")"
vm() { env -u GCS_HMAC_ACCESS_ID -u GCS_HMAC_SECRET GCE_METADATA_HOST=127.0.0.1:$MDPORT GCS_ENDPOINT_URL=http://127.0.0.1:$FRONTPORT "$@"; }
problems=""
MPORT=$(free_port)
vm "$GAN" --monitor --storage gs://gan-test/runs --monitor-port "$MPORT" --monitor-bind 127.0.0.1 >"$TMP/monitor-vm.out" 2>&1 &
mpid=$!
pids+=("$mpid")
runs=""
for _ in $(seq 100); do runs=$(curl -fsS "http://127.0.0.1:$MPORT/api/runs" 2>/dev/null) && break; sleep 0.2; done
grep -q '"clean"' <<<"$runs" || problems+=" /api/runs: ${runs:-no answer};"
for f in epoch/2/generated.png epoch/2/generator.safetensors; do
  awsg s3 cp --only-show-errors "s3://gan-test/runs/clean/$f" "$TMP/want-file.bin"
  code=$(curl -sS -o "$TMP/served.bin" -w '%{http_code}' "http://127.0.0.1:$MPORT/files/clean/$f")
  if [[ $code != 200 ]] || ! cmp -s "$TMP/served.bin" "$TMP/want-file.bin"; then problems+=" /files/clean/$f answered $code;"; fi
done
stop "$mpid"
accepted=$(curl -fsS "http://127.0.0.1:$FRONTPORT/__front/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["accepted"])')
((accepted > 0)) || problems+=" no request reached the bucket with a token;"
if why=$(vm "$GAN" --presign "gs://gan-test/runs/$KEY" 2>&1); then problems+=" --presign printed a URL with a token alone ($why);"
elif ! grep -q "gcloud storage sign-url" <<<"$why"; then problems+=" --presign said: $why;"; fi
if [[ -z $problems ]]; then
  ok "the VM's service account alone: the monitor lists the run and serves its files; --presign says to use gcloud"
else
  echo "  $problems"; tail -5 "$TMP/monitor-vm.out"
  bad "the VM's service account alone: the monitor lists the run and serves its files; --presign says to use gcloud"
fi
finish
