# Sourced by the script tests: every process a test starts in the background ends with the test,
# on success, failure and interruption alike.
#   source tests/common/procs.sh
#   some-server ... &  pids+=($!)      # record each background job
#   stop "$pid"                        # end one early, with everything it started, and reap it
#   forget "$pid"                      # one the test ended itself (kill -9 and wait)
# stop ends a job's whole process tree (a backgrounded shell function runs in a subshell whose
# children outlive a plain `kill $!`). On exit the EXIT trap stops every recorded job, then calls
# the test's own `cleanup` function if it defines one; SIGINT (Ctrl-C: background jobs ignore it)
# and SIGTERM exit 130 and 143 through that trap. A process that detaches itself (setsid, double
# fork) escapes the tree; scripts/run-tests finds those through the session it runs each script in.
# shellcheck shell=bash
pids=()

# _tree PID...: the PIDs and all their descendants, parents first.
_tree() {
  local p
  for p in "$@"; do
    echo "$p"
    # shellcheck disable=SC2046
    _tree $(pgrep -P "$p")
  done
}
# _running PID...: those of the PIDs that are still running (not zombies).
_running() { (($#)) && ps -o pid=,stat= -p "$(tr ' ' , <<<"$*")" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}'; }

# stop PID...: SIGTERM to each PID and its descendants, up to 5 s to end, then SIGKILL; reaps them.
stop() {
  (($#)) || return 0
  local all left=""
  all=$(_tree "$@" | tr '\n' ' ')
  # shellcheck disable=SC2086
  kill -TERM $all 2>/dev/null
  for _ in $(seq 50); do
    # shellcheck disable=SC2086
    left=$(_running $all)
    [[ -z $left ]] && break
    sleep 0.1
  done
  # shellcheck disable=SC2086
  [[ -n $left ]] && kill -KILL $left 2>/dev/null
  local p
  for p in "$@"; do wait "$p" 2>/dev/null; done
  return 0
}

# forget PID...: no longer stop these at exit (the test ended and reaped them itself).
forget() {
  local p q keep=()
  for q in "${pids[@]}"; do
    for p in "$@"; do [[ $q == "$p" ]] && continue 2; done
    keep+=("$q")
  done
  pids=("${keep[@]}")
}

# shellcheck disable=SC2317  # called by the traps
_procs_exit() {
  local rc=$?
  trap - EXIT INT TERM
  ((${#pids[@]})) && stop "${pids[@]}"
  if declare -F cleanup >/dev/null; then cleanup; fi
  exit "$rc"
}
trap _procs_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
