#!/usr/bin/env bash
# scripts/gpu-check without a GPU: shellcheck; its budgets fit the 8-minute call and are the ones
# its header states; a dry run (real discovery, phase bodies replaced by stand-ins) cuts a slow
# phase off at its budget and still runs the ones after it, skips everything after a failed
# build, and prints the table last; --prepare makes a third_party/ that fits a device call and from
# which GoogleTest builds and runs, as the bare GPU machine will do it.
# Prints "N passed, N failed[, N skipped]" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0 skip=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
verdict() { # STATUS OK-MESSAGE FAIL-MESSAGE: the status of the test just run
  if (($1 == 0)); then ok "$2"; else bad "$3"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GPU_CHECK_BUILD=$tmp/build  # never the results of a real run in build/gpu-check

# --- shellcheck
if command -v shellcheck >/dev/null; then
  if out=$(shellcheck scripts/gpu-check 2>&1); then ok "shellcheck scripts/gpu-check"; else bad "shellcheck: $out"; fi
else
  echo "skip - shellcheck: not installed (make deps installs it)"
  skip=$((skip + 1))
fi

# --- budgets: the recipe's phases and 15 s of setup fit 480 s, and the header says the same
total=15 stated=1
while read -r phase secs; do
  [[ $phase == sanitize:* ]] && continue
  total=$((total + secs))
  grep -qE "^#  +$phase +$secs s " scripts/gpu-check || stated=0
done < <(scripts/gpu-check --budgets)
if ((total <= 480)); then ok "recipe budgets + setup = $total s <= 480 s"; else bad "recipe budgets + setup = $total s > 480 s"; fi
if ((stated)); then ok "the header states each phase's budget"; else bad "scripts/gpu-check's header and --budgets disagree"; fi

# --- dry run: a slow phase is cut off at its budget (plus what earlier phases left), the rest run
start=$(date +%s)
out=$(GPU_CHECK_BUDGETS="build=2 test=2 bench=2 compare=2 load=2" GPU_CHECK_STANDIN="test=sleep 60;bench=false" \
      PYTHON="$tmp/no-python" scripts/gpu-check --dry-run 2>&1)
rc=$? took=$(($(date +%s) - start))
row() { grep -E "^$1 " <<<"$out"; }
[[ $(row test) == *TIMEOUT*"cut off after 4 s"* ]]
verdict $? "a phase past its budget is cut off (build's 2 unused s carried over)" \
  "slow phase not cut off at 4 s: $(row test)"
[[ $(row bench) == *FAIL* && $(row compare) == *" ok "* && $(row load) == *" ok "* ]]
verdict $? "the phases after a slow or failing one still run" \
  "later phases: $(row bench) / $(row compare) / $(row load)"
((took < 20))
verdict $? "the dry run took $took s (budgets 10 s)" \
  "the dry run took $took s for 10 s of budgets"
((rc != 0))
verdict $? "a failed or cut-off phase makes the exit status non-zero" \
  "exit status 0 despite failures"
last=$(tail -1 <<<"$out")
header_line=$(grep -n '^phase  *result' <<<"$out" | cut -d: -f1)
rows_after=$(tail -n +"$((header_line + 1))" <<<"$out" | grep -cvE '^(build|test|bench|compare|load) |^total: ')
[[ $last == total:* && $rows_after == 0 ]]
verdict $? "the table is printed last" \
  "output after the table: $(tail -3 <<<"$out")"
grep -q "cannot import torch" <<<"$out"
verdict $? "discovery reports python without torch" \
  "no torch line in: $(head -8 <<<"$out")"
if ! command -v nvidia-smi >/dev/null; then
  grep -q "nvidia-smi: unavailable" <<<"$out"
  verdict $? "discovery reports no nvidia-smi" "no nvidia-smi line in: $(head -3 <<<"$out")"
fi

# --- a failed build skips the rest
out=$(GPU_CHECK_STANDIN="build=false" scripts/gpu-check --dry-run 2>&1)
[[ $(grep -c -E '^(test|bench|compare|load) +skip ' <<<"$out") == 4 ]]
verdict $? "a failed build skips the other phases" \
  "after a failed build: $(tail -7 <<<"$out")"

# --- --prepare, then GoogleTest from it, as on the bare machine
if [[ -f /usr/src/googletest/googletest/src/gtest-all.cc && -f /usr/include/stb/stb_image.h ]]; then
  tp=$tmp/third_party
  if GPU_CHECK_THIRD_PARTY=$tp scripts/gpu-check --prepare >"$tmp/prepare.log" 2>&1; then
    size=$(du -sk "$tp" | cut -f1)
    missing=""
    for f in googletest/src/gtest-all.cc googletest/src/gtest_main.cc googletest/include/gtest/gtest.h \
             stb/stb_image.h stb/stb_image_write.h COMMIT; do
      [[ -f $tp/$f ]] || missing+=" $f"
    done
    [[ -z $missing && $size -lt 65536 ]]
    verdict $? "--prepare: $size KiB with GoogleTest, stb and COMMIT" "--prepare: $size KiB, missing:$missing"
    cat >"$tmp/t.cc" <<'CC'
#include <gtest/gtest.h>
TEST(Prepared, Runs) { EXPECT_EQ(1 + 1, 2); }
CC
    if GPU_CHECK_THIRD_PARTY=$tp scripts/gpu-check --build-gtest >"$tmp/gtest.log" 2>&1 &&
       g++ -std=c++17 -I"$tp/googletest/include" "$tmp/t.cc" -L"$tmp/build/gtest" -lgtest_main -lgtest -lpthread -o "$tmp/t" &&
       "$tmp/t" >"$tmp/t.log" 2>&1; then
      ok "GoogleTest builds from the prepared folder and a test linked to it runs"
    else
      bad "GoogleTest from the prepared folder: $(tail -3 "$tmp/gtest.log" "$tmp/t.log" 2>/dev/null)"
    fi
  else
    bad "--prepare failed: $(tail -2 "$tmp/prepare.log")"
  fi
else
  echo "skip - --prepare: /usr/src/googletest or /usr/include/stb missing (make deps installs them)"
  skip=$((skip + 1))
fi
git check-ignore -q third_party/googletest/src/gtest-all.cc
verdict $? "third_party/ is git-ignored" "third_party/ is not git-ignored"

echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
