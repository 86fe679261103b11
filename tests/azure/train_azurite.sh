#!/usr/bin/env bash
# Training with --storage az://devstoreaccount1/gan-training-storage/runs against Azurite (which
# checks every Shared Key signature itself), behind tests/fixtures/azure/faultproxy.py:
#   1. a clean run: every artifact of the local run folder is in the container, byte for byte
#      (read back by tests/fixtures/azure/azblob.py, an independent Python reader);
#   2. a run under 500 / 503 ServerBusy / connection resets / answers lost after the request was
#      stored: every artifact arrives, whole, and nothing else does;
#   3. --resume from a run that exists only in Azure (its local folder deleted);
#   4. the standalone monitor (./gan --monitor --storage az://...) lists the runs;
#   5. ./gan --presign az://... prints a SAS link that downloads the same bytes; with a read-write
#      SAS as the credential it refuses (and says what to do), and so it does with an account SAS that only reads;
#   6. an endpoint that takes every upload and never answers: ./gan exits with code 3 within a
#      few seconds of --upload-timeout (the upload in flight cancelled, not waited for through its
#      retries), and the resume command it prints, followed, uploads what was left;
#   7. a VM with a managed identity and nothing else: Azurite over HTTPS with --oauth basic (its
#      certificate made here with openssl, trusted through CURL_CA_BUNDLE) and the fake instance
#      metadata service handing out Entra-shaped tokens — training uploads every artifact, the
#      monitor serves images and downloads itself (no link can be made), --presign says why not.
# Prints "N passed, N failed, N skipped" last; a missing fixture skips (a failure in CI, where
# .ci/allowed-skips does not list this script). Extra flags: GAN_TRAIN_AZ_ARGS.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FIX=$ROOT/tests/fixtures/azure
TOTAL=7
# shellcheck source=tests/fixtures/s3/checks.sh
source "$ROOT/tests/fixtures/s3/checks.sh"

GAN=${GAN:-./gan}
[[ -x $GAN ]] || skip_all "./gan is not built (make)"
command -v node >/dev/null || skip_all "node is not installed (azure/ci-deps)"
[[ -f $FIX/node_modules/azurite/package.json ]] || skip_all "Azurite is not installed (azure/ci-deps)"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"

TMP=$(mktemp -d /tmp/gan-train-az-XXXXXX)
# Every background job (pids) ends with the script, on success, failure and interruption; then cleanup.
# shellcheck source=tests/common/procs.sh
source "$ROOT/tests/common/procs.sh"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { rm -rf "$TMP"; }
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
unset AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_KEY AZURE_STORAGE_ACCOUNT AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_BLOB_ENDPOINT \
  AZURE_IMDS_ENDPOINT AZURE_CLIENT_ID CURL_CA_BUNDLE
URL=az://devstoreaccount1/gan-training-storage/runs
ARGS=(--train --dataset synthetic --epochs 2 --evalfreq 1 --no-monitor -q --out "$TMP/eval" --storage "$URL" --azure-endpoint "$EP")
read -r -a EXTRA <<<"${GAN_TRAIN_AZ_ARGS:---subset 320 --batchsize 32 --convFilters 8,8 --convTransposeFilters 8,8 --generatorInputFilters 8 --eval-samples 20}"

# Every file of the local run (but the upload journal and dotfiles) is in the container, byte for
# byte, and the container holds nothing else under the run. ENDPOINT and AZBLOB_* choose the account.
same_as_container() {
  local run=$1 endpoint=${2:-$DIRECT} down=$TMP/down-$1
  /usr/bin/python3 "$FIX/azblob.py" "$endpoint" gan-training-storage download "runs/$run/" "$down" || return 1
  local n=0
  while IFS= read -r -d '' f; do
    rel=${f#"$TMP/eval/$run/"}
    cmp -s "$f" "$down/$rel" || { echo "  differs or missing in the container: $rel"; return 1; }
    n=$((n + 1))
  done < <(find "$TMP/eval/$run" -type f ! -name '.*' ! -path '*/.*' ! -name 'upload-queue.journal*' -print0)
  ((n > 5)) || { echo "  only $n local files: did the run write its artifacts?"; return 1; }
  local stored
  stored=$(find "$down" -type f | wc -l)
  ((stored == n)) || { echo "  $stored blobs in the container for $n local files"; return 1; }
  echo "  $n artifacts identical in the container"
}

# 1. A clean run.
if out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --run-id clean 2>&1) && same_as_container clean; then
  ok "training run with --storage az:// uploads every artifact"
else
  echo "$out" | tail -20; bad "training run with --storage az:// uploads every artifact"
fi

# 2. Faults, including answers lost after Azurite stored the request (drop_response: the client
# cannot tell, retries, and the blob is written twice): what counts is the stored content — every
# artifact arrives whole, and no blob appears that the run did not write.
proxy reset >/dev/null
proxy faults '[{"kind":"500","count":3,"method":"PUT"},{"kind":"503","count":4,"method":"PUT"},
  {"kind":"reset","count":3,"method":"PUT"},{"kind":"drop_response","count":4,"method":"PUT"}]' >/dev/null
if out=$(timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --run-id faults 2>&1); then
  injected=$(stat_of faults)
  echo "  $injected faults injected"
  if ((injected == 14)) && same_as_container faults; then
    ok "uploads survive 500, 503 ServerBusy, resets and lost answers; every artifact stored whole"
  else
    bad "uploads survive 500, 503 ServerBusy, resets and lost answers; every artifact stored whole"
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
stop "$mpid"
if grep -q '"clean"' <<<"$runs" && grep -q '"faults"' <<<"$runs"; then
  ok "./gan --monitor --storage az:// lists the runs"
else
  echo "  /api/runs: ${runs:-no answer}"; tail -5 "$TMP/monitor.out"; bad "./gan --monitor --storage az:// lists the runs"
fi

# 5. A SAS link from ./gan --presign downloads the same bytes, with no credentials. A SAS that
# may write is never put in a link, nor is an account SAS, read-only or not (it covers every blob).
KEY=runs/faults/epoch/2/generator.safetensors
LOCAL=$TMP/eval/faults/epoch/2/generator.safetensors
presign() { "$GAN" --presign "az://devstoreaccount1/gan-training-storage/$KEY" --azure-endpoint "$EP" --expires 600 2>&1; }
rw_sas=$(/usr/bin/python3 "$FIX/azblob.py" - - sas rwdlac) ro_sas=$(/usr/bin/python3 "$FIX/azblob.py" - - sas rl)
problems=""
if sas=$(presign) && curl -fsS -o "$TMP/sas.bin" "$sas" && cmp -s "$TMP/sas.bin" "$LOCAL"; then :; else problems+=" key-signed link ($sas);"; fi
if rw=$(AZURE_STORAGE_SAS_TOKEN=$rw_sas presign); then problems+=" a read-write SAS was printed as a link ($rw);"
elif ! grep -q "sp=rwdlac" <<<"$rw" || ! grep -q "AZURE_STORAGE_KEY" <<<"$rw"; then problems+=" unhelpful refusal ($rw);"; fi
if ro=$(AZURE_STORAGE_SAS_TOKEN=$ro_sas presign); then problems+=" a read-only account SAS was printed as a link ($ro);"
elif ! grep -q "not scoped to one blob" <<<"$ro"; then problems+=" unhelpful refusal ($ro);"; fi
if [[ $sas != *spr=* && $sas == *sr=b* ]]; then :; else problems+=" the key-signed link is not one blob's, or limits an http endpoint to https ($sas);"; fi
if [[ -z $problems ]]; then
  ok "./gan --presign: a key-signed link for one blob downloads the same bytes; a read-write or account SAS is refused"
else
  echo "  $problems"; bad "./gan --presign: a key-signed link for one blob downloads the same bytes; a read-write or account SAS is refused"
fi

# 6. Every PUT held by the proxy (the server took the request and never answers): ./gan must exit
# within a few seconds of --upload-timeout with code 3, the item in flight listed as such; the
# printed resume command, followed once the endpoint answers again, uploads what was left.
proxy reset >/dev/null
proxy faults '[{"kind":"delay","seconds":600,"count":100000,"method":"PUT"}]' >/dev/null
TIMEOUT=8
{ timeout 600 "$GAN" "${ARGS[@]}" "${EXTRA[@]}" --run-id hung --upload-timeout $TIMEOUT 2>&1; echo "exit $?"; } |
  while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done >"$TMP/hung.out"
proxy reset >/dev/null
rc=$(sed -n 's/^[0-9.]* exit //p' "$TMP/hung.out")
t_end=$(awk '/ exit [0-9]+$/ {print $1}' "$TMP/hung.out")
t_drain=$(awk '/ gan: run .*mini-batches/ {print $1}' "$TMP/hung.out")
waited=$(awk -v a="${t_drain:-0}" -v b="${t_end:-0}" 'BEGIN {printf "%.1f", b - a}')
# The resume hint, not the best epoch's --generate hint printed before it.
hint=$(grep -o '`\./gan --train --resume [^`]*`' "$TMP/hung.out" | head -1 | tr -d '`')
echo "  exit $rc, $waited s from the end of training to exit (--upload-timeout $TIMEOUT)"
problems=""
[[ $rc == 3 ]] || problems+=" exit code $rc, want 3 (uploads left);"
[[ -n $t_drain ]] || problems+=" no 'gan: run ...' line before the wait;"
awk -v w="$waited" -v t=$TIMEOUT 'BEGIN {exit !(w >= t - 0.5 && w <= t + 5)}' ||
  problems+=" waited $waited s, want $TIMEOUT..$((TIMEOUT + 5)) s;"
grep -q ': in flight: ' "$TMP/hung.out" || problems+=" no item listed as in flight;"
[[ $hint == *"--azure-endpoint $EP"* ]] || problems+=" the resume hint lacks --azure-endpoint ($hint);"
if [[ -z $problems ]]; then
  # Followed (with this build, without the monitor), it sends what was left.
  if out=$(eval "timeout 600 \"\$GAN\" ${hint#./gan } --no-monitor" 2>&1) && same_as_container hung; then
    ok "--upload-timeout bounds the exit against a hung az:// endpoint; the resume hint uploads the rest"
  else
    echo "$out" | tail -20; bad "following the resume hint after a hung az:// endpoint uploads what was left"
  fi
else
  echo "  $problems"; sed 's/^[0-9.]* /  | /' "$TMP/hung.out" | tail -20
  bad "--upload-timeout bounds the exit against a hung az:// endpoint; the resume hint uploads the rest"
fi

# 7. The VM's managed identity alone, against Azurite that checks bearer tokens (HTTPS, --oauth).
mkdir -p "$TMP/tls"
if ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
     -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" >"$TMP/tls/log" 2>&1; then
  skip_all "openssl could not make a certificate: $(tail -2 "$TMP/tls/log")"
fi
OAPORT=$(free_port); MDPORT=$(free_port)
ACCT=gantestacct ACCT_KEY=Z2FuLXRlc3QtYWNjb3VudC1rZXktZm9yLWF6dXJpdGUtb2F1dGg=
AZURITE_ACCOUNTS="$ACCT:$ACCT_KEY" node "$FIX/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 \
  --blobPort "$OAPORT" --inMemoryPersistence --loose --skipApiVersionCheck --disableProductStyleUrl \
  --oauth basic --cert "$TMP/tls/cert.pem" --key "$TMP/tls/key.pem" >"$TMP/azurite-oauth.out" 2>&1 &
pids+=($!)
wait_for "$TMP/azurite-oauth.out" "successfully listens" || skip_all "Azurite --oauth did not start: $(tail -3 "$TMP/azurite-oauth.out")"
/usr/bin/python3 "$FIX/fake_metadata.py" "$MDPORT" >"$TMP/md.out" 2>&1 &
pids+=($!)
wait_for "$TMP/md.out" ready || skip_all "the fake metadata server did not start: $(cat "$TMP/md.out")"
curl -fsS -X POST --data '{"jwt": true}' "http://127.0.0.1:$MDPORT/__fake/config" >/dev/null
OEP=https://127.0.0.1:$OAPORT/$ACCT
OURL=az://$ACCT/gan-training-storage/runs
vm() { AZURE_IMDS_ENDPOINT=http://127.0.0.1:$MDPORT CURL_CA_BUNDLE=$TMP/tls/cert.pem "$@"; }
problems=""
if ! out=$(vm timeout 600 "$GAN" --train --dataset synthetic --epochs 2 --evalfreq 1 --no-monitor -q --out "$TMP/eval" \
             --storage "$OURL" --azure-endpoint "$OEP" "${EXTRA[@]}" --run-id vm 2>&1); then
  echo "$out" | tail -20; problems+=" training failed;"
elif ! AZBLOB_ACCOUNT=$ACCT AZBLOB_KEY=$ACCT_KEY AZBLOB_CAFILE=$TMP/tls/cert.pem same_as_container vm "$OEP"; then
  problems+=" artifacts;"
fi
tokens=$(curl -fsS "http://127.0.0.1:$MDPORT/__fake/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["azure"])')
((tokens >= 1)) || problems+=" no token was fetched from the metadata service;"
MPORT=$(free_port)
vm "$GAN" --monitor --storage "$OURL" --azure-endpoint "$OEP" --monitor-port "$MPORT" --monitor-bind 127.0.0.1 >"$TMP/monitor-vm.out" 2>&1 &
mpid=$!
pids+=("$mpid")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$MPORT/api/runs" >/dev/null 2>&1 && break; sleep 0.2; done
for f in epoch/2/generated.png epoch/2/generator.safetensors; do
  code=$(curl -sS -o "$TMP/served.bin" -w '%{http_code}' "http://127.0.0.1:$MPORT/files/vm/$f")
  if [[ $code != 200 ]] || ! cmp -s "$TMP/served.bin" "$TMP/eval/vm/$f"; then problems+=" monitor /files/vm/$f answered $code;"; fi
done
stop "$mpid"
if why=$(vm "$GAN" --presign "$OURL/vm/epoch/2/generator.safetensors" --azure-endpoint "$OEP" 2>&1); then
  problems+=" --presign printed a link with a managed identity ($why);"
elif ! grep -q "generate-sas" <<<"$why"; then problems+=" --presign said: $why;"; fi
if [[ -z $problems ]]; then
  ok "the VM identity alone (bearer tokens over HTTPS): training uploads everything, the monitor serves files"
else
  echo "  $problems"; tail -5 "$TMP/monitor-vm.out"; bad "the VM identity alone (bearer tokens over HTTPS): training uploads everything, the monitor serves files"
fi
finish
