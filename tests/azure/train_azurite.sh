#!/usr/bin/env bash
# Training with --storage az://devstoreaccount1/gan-training-storage/runs against Azurite (which
# checks every Shared Key signature itself), behind tests/fixtures/azure/faultproxy.py:
#   1. a clean run: every artifact of the local run folder is in the container, byte for byte
#      (read back by tests/fixtures/azure/azblob.py, an independent Python reader);
#   2. a run under 500 / 503 ServerBusy / connection resets: every artifact arrives, exactly once;
#   3. --resume from a run that exists only in Azure (its local folder deleted);
#   4. the standalone monitor (./gan --monitor --storage az://...) lists the runs;
#   5. ./gan --presign az://... prints a SAS link that downloads the same bytes.
# Skips (with the reason) when node/Azurite are missing or ./gan does not pass --azure-endpoint to
# its storage yet. Prints "N passed, N failed, N skipped" last. Extra flags: GAN_TRAIN_AZ_ARGS.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FIX=$ROOT/tests/fixtures/azure
pass=0 fail=0 skip=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
skipped() { echo "SKIP: $1"; skip=$((skip + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; exit $((fail > 0)); }
skip_all() { echo "SKIP: $1"; skip=$((skip + 5 - pass - fail)); finish; }

GAN=${GAN:-./gan}
[[ -x $GAN ]] || skip_all "./gan is not built (make)"
"$GAN" --help 2>&1 | grep -q -- '--azure-endpoint' || skip_all "./gan has no --azure-endpoint flag"
command -v node >/dev/null || skip_all "node is not installed (azure/ci-deps)"
[[ -f $FIX/node_modules/azurite/package.json ]] || skip_all "Azurite is not installed (azure/ci-deps)"
command -v curl >/dev/null || skip_all "curl is not installed"

TMP=$(mktemp -d /tmp/gan-train-az-XXXXXX)
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }

AZPORT=$(free_port); PROXYPORT=$(free_port)
node "$FIX/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort "$AZPORT" \
  --inMemoryPersistence --loose --skipApiVersionCheck --disableProductStyleUrl >"$TMP/azurite.out" 2>&1 &
pids+=($!)
wait_for "$TMP/azurite.out" "successfully listens" || skip_all "Azurite did not start: $(tail -3 "$TMP/azurite.out")"
/usr/bin/python3 "$FIX/faultproxy.py" "$PROXYPORT" "$AZPORT" >"$TMP/proxy.out" 2>"$TMP/proxy.err" &
pids+=($!)
wait_for "$TMP/proxy.out" ready || skip_all "faultproxy did not start: $(cat "$TMP/proxy.err")"
P=http://127.0.0.1:$PROXYPORT
EP=$P/devstoreaccount1
DIRECT=http://127.0.0.1:$AZPORT/devstoreaccount1
proxy() { curl -fsS -X POST --data "${2:-}" "$P/__proxy/$1"; }
stat_of() { proxy stats | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# No credentials in the environment: devstoreaccount1 uses the emulator's well-known key.
unset AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_KEY AZURE_STORAGE_ACCOUNT AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_BLOB_ENDPOINT
URL=az://devstoreaccount1/gan-training-storage/runs
ARGS=(--train --dataset synthetic --epochs 2 --evalfreq 1 --no-monitor -q --out "$TMP/eval" --storage "$URL" --azure-endpoint "$EP")
read -r -a EXTRA <<<"${GAN_TRAIN_AZ_ARGS:---subset 320 --batchsize 32 --convFilters 8,8 --convTransposeFilters 8,8 --generatorInputFilters 8 --eval-samples 20}"

# Does ./gan open az:// storage at the endpoint it was given? The standalone monitor lists the
# container through it: Azurite must see requests.
MPORT=$(free_port)
timeout 20 "$GAN" --monitor --storage "$URL" --azure-endpoint "$EP" --monitor-port "$MPORT" --monitor-bind 127.0.0.1 >"$TMP/probe.out" 2>&1 &
probe=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$MPORT/api/runs" >/dev/null 2>&1 && break; sleep 0.2; done
kill "$probe" 2>/dev/null; wait "$probe" 2>/dev/null
if grep -q "not supported" "$TMP/probe.out"; then skip_all "./gan does not support az:// yet: $(tail -1 "$TMP/probe.out")"; fi
if [[ $(stat_of requests) == 0 ]]; then
  skip_all "./gan accepts --azure-endpoint but does not pass it to the storage yet (main.cpp must call gan::set_default_azure_options); probe said: $(tail -2 "$TMP/probe.out" | tr '\n' ' ')"
fi
proxy reset >/dev/null

# Every file of the local run (but the upload journal and dotfiles) is in the container, byte for byte.
same_as_container() {
  local run=$1 down=$TMP/down-$1
  /usr/bin/python3 "$FIX/azblob.py" "$DIRECT" gan-training-storage download "runs/$run/" "$down" || return 1
  local n=0
  while IFS= read -r -d '' f; do
    rel=${f#"$TMP/eval/$run/"}
    cmp -s "$f" "$down/$rel" || { echo "  differs or missing in the container: $rel"; return 1; }
    n=$((n + 1))
  done < <(find "$TMP/eval/$run" -type f ! -name '.*' ! -path '*/.*' ! -name 'upload-queue.journal*' -print0)
  ((n > 5)) || { echo "  only $n local files: did the run write its artifacts?"; return 1; }
  echo "  $n artifacts identical in the container"
}

# 1. A clean run.
if out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --run-id clean 2>&1) && same_as_container clean; then
  ok "training run with --storage az:// uploads every artifact"
else
  echo "$out" | tail -20; bad "training run with --storage az:// uploads every artifact"
fi

# 2. Faults: every artifact arrives, and each immutable one (all but checkpoint/, rewritten every
# evaluation) is stored exactly once — retries after a 5xx or a reset never duplicate.
proxy reset >/dev/null
proxy faults '[{"kind":"500","count":3,"method":"PUT"},{"kind":"503","count":4,"method":"PUT"},
  {"kind":"reset","count":3,"method":"PUT"}]' >/dev/null
if out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --run-id faults 2>&1); then
  injected=$(stat_of faults)
  # "<artifacts checked> <key x count>...": each immutable artifact's PUTs that Azurite accepted.
  read -r checked dupes < <(proxy stats | /usr/bin/python3 -c '
import json, sys
puts = {k: v for k, v in json.load(sys.stdin)["puts"].items()
        if "/runs/faults/" in k and "/checkpoint/" not in k and "comp=block" not in k}
print(len(puts), " ".join(f"{k}x{v}" for k, v in puts.items() if v != 1))')
  echo "  $injected faults injected; $checked immutable artifacts each stored once"
  if ((injected >= 10 && checked >= 8)) && [[ -z $dupes ]] && same_as_container faults; then
    ok "uploads survive 500, 503 ServerBusy and resets, each artifact stored once"
  else
    echo "  stored more than once: ${dupes:-none}"; bad "uploads survive 500, 503 ServerBusy and resets, each artifact stored once"
  fi
else
  echo "$out" | tail -20; bad "training run under faults exited non-zero"
fi
proxy reset >/dev/null

# 3. A run that exists only in Azure continues from its checkpoint there.
rm -rf "$TMP/eval/clean"
if out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --resume clean --epochs 3 2>&1) &&
   /usr/bin/python3 "$FIX/azblob.py" "$DIRECT" gan-training-storage list runs/clean/epoch/3/ | grep -q summary.json; then
  ok "--resume from a run that exists only in Azure trains on and uploads"
else
  echo "$out" | tail -20; bad "--resume from a run that exists only in Azure"
fi

# 4. The standalone monitor reads the runs from Azure.
MPORT=$(free_port)
"$GAN" --monitor --storage "$URL" --azure-endpoint "$EP" --monitor-port "$MPORT" --monitor-bind 127.0.0.1 >"$TMP/monitor.out" 2>&1 &
mpid=$!
pids+=("$mpid")
runs=""
for _ in $(seq 100); do runs=$(curl -fsS "http://127.0.0.1:$MPORT/api/runs" 2>/dev/null) && break; sleep 0.2; done
kill "$mpid" 2>/dev/null
if grep -q '"clean"' <<<"$runs" && grep -q '"faults"' <<<"$runs"; then
  ok "./gan --monitor --storage az:// lists the runs"
else
  echo "  /api/runs: ${runs:-no answer}"; tail -5 "$TMP/monitor.out"; bad "./gan --monitor --storage az:// lists the runs"
fi

# 5. A SAS link from ./gan --presign downloads the same bytes, with no credentials.
KEY=runs/faults/epoch/2/generator.safetensors
if ! sas=$("$GAN" --presign "az://devstoreaccount1/gan-training-storage/$KEY" --azure-endpoint "$EP" --expires 600 2>&1); then
  if grep -q "expected s3://" <<<"$sas"; then skipped "./gan --presign does not accept az:// yet: $sas"
  else echo "  $sas"; bad "./gan --presign az:// prints a SAS link"; fi
elif curl -fsS -o "$TMP/sas.bin" "$sas" && cmp -s "$TMP/sas.bin" "$TMP/eval/faults/epoch/2/generator.safetensors"; then
  ok "a SAS link from ./gan --presign downloads the same bytes"
else
  echo "  link: $sas"; bad "a SAS link from ./gan --presign downloads the same bytes"
fi
finish
