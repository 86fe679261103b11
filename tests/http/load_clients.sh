#!/usr/bin/env bash
# Does watching slow training down? Trains with 0 monitor clients, then with N (default 20), then
# with 0 again, and compares the training rate (mini-batches per second, from the total_rows
# counter of /api/live, times the batch size) of the loaded phase with the mean of the two idle ones.
#
# Each client is what a browser tab does: one Server-Sent-Events stream (/events) plus, once a
# second, the downsampled series and the run document (what the page fetches on a "batches"
# event). On a machine whose cores are all busy with CPU training, other load on the machine
# shows up here too: run it on an otherwise idle machine, and read the idle phases' spread as
# the noise floor. --wrk adds wrk hammering /api/runs/<run>/series as fast as it can (a stress figure,
# not a realistic one).
#
#   tests/http/load_clients.sh [--clients 20] [--phase 60] [--rounds 1] [--port 18090] [--wrk] -- ./gan --train ...
# --rounds N repeats loaded+idle N times after the first idle phase; on a machine shared with
# other work, more rounds average out their noise (the result gives every phase).
# The command must start the monitor on --port (pass --monitor-port yourself). The script stops the
# command when done. Bounded: startup wait 120 s, then 3 phases of --phase seconds.
set -euo pipefail
clients=20 phase=60 port=18090 use_wrk=0 rounds=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --phase) phase=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --wrk) use_wrk=1; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "load_clients.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "load_clients.sh: give the training command after --, e.g. -- ./gan --train --monitor-port $port" >&2; exit 2; }
command -v curl >/dev/null || { echo "load_clients.sh: needs curl" >&2; exit 2; }
PY=/usr/bin/python3
base=http://127.0.0.1:$port
auth=()
[[ -n ${GAN_MONITOR_TOKEN:-} ]] && auth=(-H "Authorization: Bearer $GAN_MONITOR_TOKEN")

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n ${train_pid:-} ]] && kill "$train_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$@" >"$work/train.log" 2>&1 &
train_pid=$!
echo "training: $* (pid $train_pid, log $work/train.log)"
for ((i = 0; i < 240; i++)); do
  if curl -sf "${auth[@]}" "$base/api/live" -o "$work/live.json" 2>/dev/null &&
     $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["total_rows"] > 0 else 1)' "$work/live.json"; then break; fi
  kill -0 "$train_pid" 2>/dev/null || { echo "training exited early:"; tail -20 "$work/train.log"; exit 1; }
  sleep 0.5
done
run=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"])' "$work/live.json")
batch=$(curl -sf "${auth[@]}" "$base/api/runs/$run" | $PY -c '
import json, sys
h = json.load(sys.stdin).get("hyperparameters") or {}
print(next((h[k] for k in ("batchsize", "batch_size", "batch", "b") if isinstance(h.get(k), int)), 0))')
echo "run $run, batch size ${batch:-unknown}"

# The trainer publishes mini-batch rows in blocks (every 16), so a row count read at an arbitrary
# moment is up to a block stale: over a 30 s phase that is several percent. edge() waits for the
# count to change and prints "rows time" at that moment, so a phase runs from one block's arrival
# to another's and the quotient is exact.
edge() {
  $PY - "$base" "${GAN_MONITOR_TOKEN:-}" <<'PY'
import json, sys, time, urllib.request
headers = {"Authorization": "Bearer " + sys.argv[2]} if sys.argv[2] else {}
def rows():
    with urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/api/live", headers=headers), timeout=5) as r:
        return json.load(r)["total_rows"]
first, deadline = rows(), time.time() + 60
while True:
    r, t = rows(), time.time()
    if r != first or t > deadline:
        print(r, t)
        break
    time.sleep(0.005)
PY
}
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$train_pid/stat"; }  # user+system seconds (USER_HZ 100)
measure() {  # prints mini-batches per second over about $phase seconds; the process's CPU use on stderr
  local r0 r1 t0 t1 c0 c1
  read -r r0 t0 < <(edge); c0=$(cpu)
  sleep "$phase"
  read -r r1 t1 < <(edge); c1=$(cpu)
  $PY -c "print(f'  (gan used {($c1 - $c0) / ($t1 - $t0):.2f} cores; load average {open(\"/proc/loadavg\").read().split()[0]})', file=__import__('sys').stderr)"
  $PY -c "print(($r1 - $r0) / ($t1 - $t0))"
}

start_clients() {
  # One Python process plays every client (threads on kept-alive connections), so the load
  # generator itself costs little CPU next to what it measures.
  # The clients stand in for browsers on other machines: ${CLIENT_NICE} (default 19) keeps their own
  # CPU use from competing with training, so what is measured is the monitor's cost.
  nice -n "${CLIENT_NICE:-19}" $PY - "$port" "$run" "$clients" "${GAN_MONITOR_TOKEN:-}" <<'PY' &
import http.client, sys, threading, time
port, run, n, token = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
hdr = {"Authorization": "Bearer " + token} if token else {}
def sse():
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/events?run=" + run, headers=hdr)
    r = c.getresponse()
    while r.fp.readline():
        pass
def page():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while True:
        for p in ("/api/runs/%s/series?width=1200" % run, "/api/runs/" + run):
            c.request("GET", p, headers=dict(hdr, **{"Accept-Encoding": "gzip"}))
            c.getresponse().read()
        time.sleep(1)
for _ in range(n):
    threading.Thread(target=sse, daemon=True).start()
    threading.Thread(target=page, daemon=True).start()
while True:
    time.sleep(60)
PY
  pids+=($!)
  if ((use_wrk)); then
    command -v wrk >/dev/null || { echo "--wrk: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
    wrk -t2 -c"$clients" -d"${phase}s" "${auth[@]}" "$base/api/runs/$run/series?width=1200" >"$work/wrk.txt" 2>&1 &
    pids+=($!)
  fi
  sleep 2
  curl -sf "${auth[@]}" "$base/metrics" | grep '^gan_monitor_event_clients' || true
}
stop_clients() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  pids=()
}

echo "idle: 0 clients, ${phase} s"
rates=("$(measure)")
echo "  ${rates[-1]} mini-batches/s"
for ((r = 1; r <= rounds; r++)); do
  echo "loaded: $clients clients (SSE + page refreshes every second$( ((use_wrk)) && echo ', plus wrk')), ${phase} s"
  start_clients
  rates+=("$(measure)")
  echo "  ${rates[-1]} mini-batches/s"
  ((use_wrk)) && grep -E 'Requests/sec|Latency' "$work/wrk.txt" || true
  stop_clients
  echo "idle: 0 clients, ${phase} s"
  rates+=("$(measure)")
  echo "  ${rates[-1]} mini-batches/s"
done
$PY - "$batch" "$clients" "${rates[@]}" <<'PY'
import statistics, sys
b, n = float(sys.argv[1]), int(sys.argv[2])
r = list(map(float, sys.argv[3:]))
idle, loaded = r[0::2], r[1::2]
ips = lambda x: f"{x * b:.0f} images/s" if b else f"{x:.2f} mini-batches/s"
# Each loaded phase against the mean of the idle phases either side of it.
slow = [(1 - l / ((idle[i] + idle[i + 1]) / 2)) * 100 for i, l in enumerate(loaded)]
print("idle phases:   " + ", ".join(ips(x) for x in idle))
print("loaded phases: " + ", ".join(ips(x) for x in loaded))
print(f"result: 0 clients {ips(statistics.mean(idle))}, {n} clients {ips(statistics.mean(loaded))}; "
      f"slowdown per round {', '.join(f'{s:.1f}%' for s in slow)}; median {statistics.median(slow):.1f}%; "
      f"idle phases spread {(max(idle) - min(idle)) / statistics.mean(idle) * 100:.1f}% (the noise floor)")
if len(slow) >= 2:
    # Student's t, two-sided 95%, for len(slow) - 1 degrees of freedom (beyond 10 rounds: 2.2).
    t = [12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23][min(len(slow) - 2, 9)]
    m, half = statistics.mean(slow), t * statistics.stdev(slow) / len(slow) ** 0.5
    print(f"mean slowdown {m:.1f}%, 95% confidence interval {m - half:.1f}% to {m + half:.1f}% over {len(slow)} rounds")
PY
