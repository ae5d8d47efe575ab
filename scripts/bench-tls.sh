#!/usr/bin/env bash
# The TLS and HTTP/2 benchmark: sse-serve over TLS, with Debian's h2load (nghttp2-client) as the
# load generator, and nginx on the same certificate as the peer for handshakes.
#
# The server runs pinned to CPU 0, h2load (one thread) to CPU 1; every scenario starts a fresh
# server. The server's own counters (/metrics) and /proc give the figures, so they do not depend
# on what h2load can see.
#   handshakes  full TLS 1.3 handshakes (new connection, one request each) against sse-serve and
#               nginx: server CPU per handshake, and so handshakes per second on one core
#   fanout-h2   --h2-conns x --h2-streams HTTP/2 streams over TLS (100 x 100 = 10,000); stdin
#               events as fast as --backpressure lets them in, for --duration s: delivered
#               events/s and server CPU per delivered event
#   fanout-h1   --h1-clients HTTP/1.1 clients over TLS (10,000), the same load
#   idle        the same streams with no events: server memory per idle stream
# Not measured here: per-event latency (h2load times whole responses, and a stream never ends),
# and nginx + nchan over TLS and HTTP/2 (bench-fanout.sh compares nchan over plaintext HTTP/1.1).
# Every run is bounded; only 127.0.0.1 is used. Results go to --out (one JSON line per run).
#
# usage: scripts/bench-tls.sh [--no-setup] [--no-build] [--build-dir DIR] [--out DIR]
#          [--duration S] [--h2-conns N] [--h2-streams N] [--h1-clients N] [--handshakes N]
# SSE_SERVE overrides the binary's path (default: the release build).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$root/build/release
out=$root/build/bench-tls
setup=1
build=1
duration=10
h2_conns=100
h2_streams=100
h1_clients=10000
handshakes=5000

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --no-setup) setup=0 ;;
    --no-build) build=0 ;;
    --build-dir) build_dir=$(cd "$2" && pwd); shift ;;
    --out) out=$2; shift ;;
    --duration) duration=$2; shift ;;
    --h2-conns) h2_conns=$2; shift ;;
    --h2-streams) h2_streams=$2; shift ;;
    --h1-clients) h1_clients=$2; shift ;;
    --handshakes) handshakes=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-tls: error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "bench-tls: $*" >&2; }
die() { echo "bench-tls: error: $*" >&2; exit 1; }

[ "$setup" -eq 0 ] || bash "$root/scripts/setup.sh" bench
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
if [ "$build" -eq 1 ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target sse-serve)
fi
serve=${SSE_SERVE:-$build_dir/tools/sse-serve/sse-serve}
[ -x "$serve" ] || die "no sse-serve at $serve (build the release preset, or set SSE_SERVE)"
command -v h2load >/dev/null || die "h2load is missing (Debian's nghttp2-client; scripts/setup.sh installs it)"
command -v nginx >/dev/null || die "nginx is missing (scripts/setup.sh bench installs it)"
command -v taskset >/dev/null || die "taskset (util-linux) is needed to pin the processes"
[ "$(nproc)" -ge 2 ] || die "two CPUs are needed: the server on one, h2load on the other"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mkdir -p "$out"
results=$out/results.jsonl
: >"$results"
certs=$out/certs
bash "$root/tests/tools/sse-serve/tls/make_test_certs.sh" "$certs"
hz=$(getconf CLK_TCK)
port=18743
nginx_port=18744
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ ! -f "$out/nginx/nginx.pid" ] || kill "$(cat "$out/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

# CPU ticks (user + system) of a process and its threads; resident memory in KiB.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# Seconds of CPU from two tick counts, with 4 decimals.
seconds_of() { awk -v a="$1" -v b="$2" -v hz="$hz" 'BEGIN {printf "%.4f", (b - a) / hz}'; }
metric() {  # metric NAME: the sample's value from sse-serve's /metrics
  curl -sk --max-time 5 "https://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n {print $2}'
}
wait_for_metric() {  # wait_for_metric NAME VALUE TIMEOUT_S
  local deadline=$((SECONDS + $3))
  while [ "$(metric "$1")" != "$2" ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

start_serve() {  # start_serve [ARGS...]: sse-serve over TLS on CPU 0; sets serve_pid
  taskset -c 0 "$serve" -q -p "$port" --metrics --tls-cert "$certs/server.pem" \
    --tls-key "$certs/server.key" "$@" &
  serve_pid=$!
  pids+=("$serve_pid")
  local deadline=$((SECONDS + 10))
  until curl -sk --max-time 1 "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "sse-serve did not start"
    sleep 0.1
  done
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
record() { echo "$1" >>"$results"; say "$1"; }

# --- handshakes -----------------------------------------------------------------------------
start_nginx() {
  mkdir -p "$out/nginx"
  cat >"$out/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 20000; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $certs/server.pem;
    ssl_certificate_key $certs/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location /healthz { return 200 "ok\n"; }
  }
}
EOF
  taskset -c 0 nginx -c "$out/nginx/nginx.conf" -p "$out/nginx" 2>/dev/null
  local deadline=$((SECONDS + 10))
  until [ -s "$out/nginx/nginx.pid" ] && curl -sk --max-time 1 "https://127.0.0.1:$nginx_port/healthz" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "nginx did not start"
    sleep 0.1
  done
  nginx_worker=$(pgrep -P "$(cat "$out/nginx/nginx.pid")" | head -1)
}

# Rounds of `clients` new connections, one request each: every request is a full handshake.
handshake_run() {  # handshake_run NAME PID URL
  local name=$1 pid=$2 url=$3 clients=200
  local rounds=$(((handshakes + clients - 1) / clients)) done=0 start end t0 t1
  start=$(cpu_ticks "$pid")
  t0=$(date +%s.%N)
  for _ in $(seq "$rounds"); do
    taskset -c 1 h2load -t 1 -c "$clients" -n "$clients" "$url" >"$out/h2load-$name.txt" 2>&1 ||
      die "h2load failed against $name: $(tail -3 "$out/h2load-$name.txt")"
    grep -q "succeeded, 0 failed, 0 errored" "$out/h2load-$name.txt" ||
      grep -q "requests: $clients total, $clients started, $clients done, $clients succeeded" "$out/h2load-$name.txt" ||
      die "not every request succeeded against $name: $(grep requests: "$out/h2load-$name.txt")"
    done=$((done + clients))
  done
  t1=$(date +%s.%N)
  end=$(cpu_ticks "$pid")
  local cpu
  cpu=$(seconds_of "$start" "$end")
  local per_core per_us
  per_core=$(awk -v n="$done" -v c="$cpu" 'BEGIN {printf "%.0f", c > 0 ? n / c : 0}')
  per_us=$(awk -v n="$done" -v c="$cpu" 'BEGIN {printf "%.1f", c * 1e6 / n}')
  record "{\"scenario\":\"handshakes\",\"server\":\"$name\",\"handshakes\":$done,\"server_cpu_s\":$cpu,\"cpu_us_per_handshake\":$per_us,\"handshakes_per_core_s\":$per_core,\"wall_s\":$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')}"
}

say "handshakes: $handshakes against sse-serve and nginx"
start_serve --no-stdin
handshake_run sse-serve "$serve_pid" "https://127.0.0.1:$port/healthz"
stop "$serve_pid"
start_nginx
handshake_run nginx "$nginx_worker" "https://127.0.0.1:$nginx_port/healthz"
kill "$(cat "$out/nginx/nginx.pid")"

# --- fan-out and idle memory --------------------------------------------------------------------
line=$(printf 'event payload %050d' 0)  # 64 bytes of data per event
fanout_run() {  # fanout_run NAME STREAMS H2LOAD_ARGS...
  local name=$1 streams=$2
  shift 2
  say "$name: $streams streams, $duration s of events"
  # The producer writes as fast as --backpressure lets the slowest stream take events.
  (yes "$line" | taskset -c 0 "$serve" -q -p "$port" --metrics --backpressure --history 0 \
    --tls-cert "$certs/server.pem" --tls-key "$certs/server.key") &
  local group=$!
  pids+=("$group")
  local deadline=$((SECONDS + 10))
  until curl -sk --max-time 1 "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "sse-serve did not start"
    sleep 0.1
  done
  local pid
  pid=$(pgrep -f "^$serve -q -p $port" | head -1)
  taskset -c 1 h2load -t 1 -D $((duration + 120)) "$@" "https://127.0.0.1:$port/events" \
    >"$out/h2load-$name.txt" 2>&1 &
  local load=$!
  pids+=("$load")
  wait_for_metric sse_clients "$streams" 120 || die "$name: only $(metric sse_clients) of $streams streams connected"
  local e0 c0 e1 c1
  e0=$(metric sse_events_delivered_total)
  c0=$(cpu_ticks "$pid")
  sleep "$duration"
  e1=$(metric sse_events_delivered_total)
  c1=$(cpu_ticks "$pid")
  local clients_end
  clients_end=$(metric sse_clients)
  stop "$load"
  kill "$pid" 2>/dev/null || true
  wait "$group" 2>/dev/null || true
  local cpu events
  cpu=$(seconds_of "$c0" "$c1")
  events=$((e1 - e0))
  record "{\"scenario\":\"$name\",\"server\":\"sse-serve\",\"streams\":$streams,\"streams_at_end\":$clients_end,\"seconds\":$duration,\"events_delivered\":$events,\"events_per_s\":$(awk -v e="$events" -v d="$duration" 'BEGIN {printf "%.0f", e / d}'),\"server_cpu_s\":$cpu,\"cpu_us_per_event\":$(awk -v e="$events" -v c="$cpu" 'BEGIN {printf "%.3f", e > 0 ? c * 1e6 / e : 0}')}"
}
fanout_run fanout-h2 $((h2_conns * h2_streams)) -c "$h2_conns" -m "$h2_streams" -n $((h2_conns * h2_streams))
fanout_run fanout-h1 "$h1_clients" --h1 -c "$h1_clients" -n "$h1_clients"

idle_run() {  # idle_run NAME STREAMS H2LOAD_ARGS...
  local name=$1 streams=$2
  shift 2
  start_serve --no-stdin
  sleep 0.5
  local before
  before=$(rss_kib "$serve_pid")
  taskset -c 1 h2load -t 1 -D 300 "$@" "https://127.0.0.1:$port/events" >"$out/h2load-$name.txt" 2>&1 &
  local load=$!
  pids+=("$load")
  wait_for_metric sse_clients "$streams" 120 || die "$name: only $(metric sse_clients) of $streams streams connected"
  sleep 1
  local after
  after=$(rss_kib "$serve_pid")
  stop "$load"
  stop "$serve_pid"
  record "{\"scenario\":\"$name\",\"server\":\"sse-serve\",\"streams\":$streams,\"rss_before_kib\":$before,\"rss_after_kib\":$after,\"kib_per_stream\":$(awk -v a="$before" -v b="$after" -v n="$streams" 'BEGIN {printf "%.2f", (b - a) / n}')}"
}
say "idle: memory per stream"
idle_run idle-h2 $((h2_conns * h2_streams)) -c "$h2_conns" -m "$h2_streams" -n $((h2_conns * h2_streams))
idle_run idle-h1-tls "$h1_clients" --h1 -c "$h1_clients" -n "$h1_clients"

say "results in $results"
cat "$results"
