#!/usr/bin/env bash
# bench.fanout.smoke: the fan-out benchmark's pipeline on a small load, as a correctness check.
# 50 clients connect to sse-serve, the load generator writes 200 timestamped lines into its stdin
# (in bursts, closed loop, then paced), and every client must get every event, in order, once.
# Nothing here is timed: the only bound is a deadline against hangs.
# usage: smoke.sh SSE_SERVE FANOUT_LOADGEN
set -euo pipefail

serve=${1:?usage: smoke.sh SSE_SERVE FANOUT_LOADGEN}
loadgen=${2:?usage: smoke.sh SSE_SERVE FANOUT_LOADGEN}
for exe in "$serve" "$loadgen"; do
  [ -x "$exe" ] || { echo "smoke: error: not executable: $exe" >&2; exit 1; }
done

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Hold the FIFO open read-write, so sse-serve's stdin opens at once and sees no EOF between runs.
mkfifo "$tmp/stdin"
exec 3<>"$tmp/stdin"
"$serve" --port 0 --ping 0 <"$tmp/stdin" 2>"$tmp/stderr" &
server_pid=$!

url=
for _ in $(seq 200); do
  url=$(sed -n 's|.*listening on \(http://[^ ]*\).*|\1|p' "$tmp/stderr" | head -n 1)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
if [ -z "$url" ]; then
  echo "smoke: error: sse-serve printed no 'listening on' line; its stderr:" >&2
  cat "$tmp/stderr" >&2
  exit 1
fi
url=${url%/}/events

failures=0
# run NAME EXPECTED_EVENTS LOADGEN_ARGS...: one load generator run; every check must hold.
run() {
  local name=$1 expected=$2
  shift 2
  local status=0
  "$loadgen" --url "$url" --clients 50 --publish-fd 3 --server-pid "$server_pid" \
    --timeout 60 --drain 20 --json "$@" >"$tmp/$name.json" || status=$?
  echo "$name: $(cat "$tmp/$name.json")"
  local field
  for field in '"connected": 50,' "\"published\": $expected," "\"events_min\": $expected," \
               "\"events_max\": $expected," '"order_errors": 0,' '"malformed": 0,' \
               '"missed": 0,' '"lost": 0,' '"all_delivered": true,' '"timed_out": false,'; do
    if ! grep -qF -- "$field" "$tmp/$name.json"; then
      echo "smoke: FAIL ($name): expected $field" >&2
      failures=$((failures + 1))
    fi
  done
  if [ "$status" -ne 0 ]; then
    echo "smoke: FAIL ($name): fanout-loadgen exited $status" >&2
    failures=$((failures + 1))
  fi
}

# Bursts of 10 lines, at most 50 events ahead of the slowest client: several frames per writev.
run burst 200 --events 200 --burst 10 --window 50
# Paced, one line at a time (each event its own write).
run paced 200 --events 200 --rate 400

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "smoke: FAIL: sse-serve is no longer running; its stderr:" >&2
  cat "$tmp/stderr" >&2
  failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] || exit 1
echo "smoke: ok"
