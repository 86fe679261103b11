# Sourced by the benchmarks' script tests: runs from the repository root, fails the test when
# ./bench is missing, gives a temporary folder $tmp (removed on exit) and the ok/bad counters.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
if [[ ! -x ./bench ]]; then
  echo "FAIL: ./bench is missing; run make first"
  echo "0 passed, 1 failed"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
