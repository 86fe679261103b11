#!/usr/bin/env bash
# The CI bookkeeping, on fake inputs:
#   - scripts/test-summary adds the steps' counts into one closing line that is the very last line,
#     counts a step that broke before counting (or exited non-zero without a failure) as failed,
#     and exits non-zero exactly when something failed;
#   - scripts/run-tests fails a script test that leaves a process running (and kills it), passes
#     one that ends what it started, and writes its counts to GAN_TEST_COUNTS;
#   - tests/common/procs.sh ends a script's background processes (a shell function's children
#     included) on exit and on SIGTERM.
# Prints "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
T=$(mktemp -d /tmp/gan-ci-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# The fakes' processes: a copy of sleep under a name no other process has.
MARK=gan-ci-check-$$
cp "$(command -v sleep)" "$T/$MARK"
NAP="$T/$MARK 300"
alive() { pgrep -f "$MARK" >/dev/null; }

# --- scripts/test-summary ---
printf 'FAILED: test_x (exit 1)\ntests: 10 passed, 1 failed, 2 skipped\n' >"$T/suite.counts"
printf 'tests: 5 passed, 0 failed, 0 skipped\n' >"$T/sanitize.counts"
printf 'tests: 3 passed, 0 failed, 0 skipped\n' >"$T/fuzz.counts"
out=$(scripts/test-summary --step setup 0 - --step suite 1 "$T/suite.counts" --step sanitize 0 "$T/sanitize.counts" \
        --step fuzz 0 "$T/fuzz.counts"); rc=$?
last=$(tail -n 1 <<<"$out")
if [[ $last == "tests: 18 passed, 1 failed, 2 skipped" && $rc -ne 0 ]] && grep -q '^FAILED: suite: test_x' <<<"$out"; then
  ok "test-summary: the last line adds every step; a failure names its step; exit non-zero"
else bad "test-summary adds the steps: exit $rc, output: $out"; fi

out=$(scripts/test-summary --step setup 0 - --step sanitize 0 "$T/sanitize.counts" --step fuzz 0 "$T/fuzz.counts"); rc=$?
if [[ $(tail -n 1 <<<"$out") == "tests: 8 passed, 0 failed, 0 skipped" && $rc -eq 0 ]]; then
  ok "test-summary: all passed, exit 0"
else bad "test-summary all passed: exit $rc, output: $out"; fi

out=$(scripts/test-summary --step sanitize 2 "$T/missing.counts" --step fuzz 0 "$T/fuzz.counts"); rc=$?
if [[ $(tail -n 1 <<<"$out") == "tests: 3 passed, 1 failed, 0 skipped" && $rc -ne 0 ]] && grep -q '^FAILED: sanitize (exit 2' <<<"$out"; then
  ok "test-summary: a step with no counts (its build broke) is one failure"
else bad "test-summary missing counts: exit $rc, output: $out"; fi

out=$(scripts/test-summary --step fuzz 1 "$T/fuzz.counts" --step setup 0 -); rc=$?
if [[ $(tail -n 1 <<<"$out") == "tests: 3 passed, 1 failed, 0 skipped" && $rc -ne 0 ]]; then
  ok "test-summary: a non-zero exit with no failure counted is one failure"
else bad "test-summary non-zero exit: exit $rc, output: $out"; fi

out=$(scripts/test-summary --step setup 100 -); rc=$?
if [[ $(tail -n 1 <<<"$out") == "tests: 0 passed, 1 failed, 0 skipped" && $rc -ne 0 ]]; then
  ok "test-summary: a failed setup is a failure"
else bad "test-summary failed setup: exit $rc, output: $out"; fi

# .ci/run's own last command is the summary (nothing may print after it).
if [[ $(grep -vE '^[[:space:]]*(#|$)' .ci/run | tail -n 1) == 'scripts/test-summary "${steps[@]}"' ]]; then
  ok ".ci/run ends with scripts/test-summary"
else bad ".ci/run does not end with scripts/test-summary: $(tail -n 1 .ci/run)"; fi

# --- scripts/run-tests: a script that leaves a process behind fails ---
mkdir -p "$T/fake"
cat >"$T/fake/leaves.sh" <<FAKE
#!/usr/bin/env bash
$NAP &
echo "1 passed, 0 failed"
FAKE
cat >"$T/fake/tidy.sh" <<FAKE
#!/usr/bin/env bash
source "$ROOT/tests/common/procs.sh"
$NAP &
pids+=(\$!)
( $NAP ) &
pids+=(\$!)
echo "1 passed, 0 failed"
FAKE
cat >"$T/fake/daemon.sh" <<FAKE
#!/usr/bin/env bash
# A child in a process group of its own (job control), still in the script's session.
set -m
$NAP &
echo "1 passed, 0 failed"
FAKE
out=$(BUILD=$T/build GAN_TEST_COUNTS=$T/rt.counts scripts/run-tests -- "$T/fake/leaves.sh" 2>&1); rc=$?
if [[ $rc -ne 0 && $(tail -n 1 <<<"$out") == "tests: 1 passed, 1 failed, 0 skipped" ]] &&
   grep -q "^FAILED: fake/leaves.sh (left 1 process(es) running: $T/$MARK" <<<"$out" && ! alive; then
  ok "run-tests: a script that leaves a process running fails, and the process is killed"
else bad "run-tests with a leftover sleep: exit $rc, alive: $(pgrep -af "$MARK"), output: $out"; fi
pkill -f "$MARK" 2>/dev/null
if [[ $(tail -n 1 "$T/rt.counts" 2>/dev/null) == "tests: 1 passed, 1 failed, 0 skipped" ]]; then
  ok "run-tests writes its closing line to GAN_TEST_COUNTS"
else bad "run-tests GAN_TEST_COUNTS: $(cat "$T/rt.counts" 2>&1)"; fi

out=$(BUILD=$T/build scripts/run-tests -- "$T/fake/daemon.sh" 2>&1); rc=$?
if [[ $rc -ne 0 ]] && grep -q '^FAILED: fake/daemon.sh (left' <<<"$out" && ! alive; then
  ok "run-tests: a process that left the script's group but not its session is found too"
else bad "run-tests with a setsid child: exit $rc, output: $out"; fi
pkill -f "$MARK" 2>/dev/null

out=$(BUILD=$T/build scripts/run-tests -- "$T/fake/tidy.sh" 2>&1); rc=$?
if [[ $rc -eq 0 && $(tail -n 1 <<<"$out") == "tests: 1 passed, 0 failed, 0 skipped" ]] && ! alive; then
  ok "run-tests: a script that ends its processes (tests/common/procs.sh) passes"
else bad "run-tests with a tidy script: exit $rc, alive: $(pgrep -af "$MARK"), output: $out"; fi
pkill -f "$MARK" 2>/dev/null

# --- tests/common/procs.sh on Ctrl-C: a function's background child (the shape that leaked) ---
cat >"$T/fake/term.sh" <<FAKE
#!/usr/bin/env bash
source "$ROOT/tests/common/procs.sh"
wrap() { env FOO=1 "\$@"; }
wrap $NAP &
pids+=(\$!)
echo started
sleep 300
FAKE
# In a session of its own, SIGINT not ignored (as a background job's is) — as if run from a terminal.
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp("bash", ["bash", sys.argv[1]])' \
  "$T/fake/term.sh" >"$T/term.out" 2>&1 &
tpid=$!
for _ in $(seq 50); do grep -q started "$T/term.out" && break; sleep 0.1; done
# As Ctrl-C does: SIGINT to the script's process group (background jobs ignore it).
kill -INT -- "-$tpid"; wait "$tpid"; trc=$?
sleep 0.2
if ((trc == 130)) && ! alive; then
  ok "procs.sh: Ctrl-C ends a shell function's background child; the script exits 130"
else bad "procs.sh on Ctrl-C: exit $trc, alive: $(pgrep -af "$MARK")"; fi
pkill -f "$MARK" 2>/dev/null

echo "$pass passed, $fail failed"
exit $((fail > 0))
