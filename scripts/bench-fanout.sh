#!/usr/bin/env bash
# The fan-out benchmark: sse-serve against nginx + nchan (one worker), side by side, same load.
#
# Each server runs pinned to CPU 0 and the load generator (tests/bench/fanout/loadgen.cpp) to CPU 1.
# Every scenario starts a fresh server. Scenarios:
#   throughput  N = 100, 1,000, 10,000 clients; the publisher hands over bursts of --burst events,
#               closed loop (at most --window events ahead of the slowest client), for --duration s;
#               delivered events/s, server CPU per delivered event
#               (and at the largest N with one event per hand-over: throughput-b1)
#   latency     1,000 clients x 10 and x 100 events/s, one event at a time: p50 / p99
#   idle        10,000 connected clients, no events: server RSS growth per client
# "all delivered" is yes when every client got every event, in order, by the end of the drain
# bound; otherwise the count of (client, event) pairs missing is shown.
# A table and the ratios ours/nchan are printed; results (one JSON line per run) are kept in
# --out. Every run is bounded; only 127.0.0.1 is used.
#
# usage: scripts/bench-fanout.sh [--no-setup] [--no-build] [--build-dir DIR] [--out DIR]
#          [--duration S] [--max-clients N] [--only sse-serve|nchan] [--burst N] [--window N]
#          [--quiet-wait S]  (each run first waits up to S s, default 60, for idle CPUs)
# SSE_SERVE and FANOUT_LOADGEN override the binaries' paths (default: the release build).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$root/build/release
out=$root/build/bench-fanout
setup=1
build=1
duration=10        # seconds of publishing in the 10,000-client throughput run (and the latency runs)
max_clients=10000
only=
burst=8
window=32
quiet_wait=60      # seconds each run may wait for the machine to go quiet (0: do not wait)

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --no-setup) setup=0 ;;
    --no-build) build=0 ;;
    --build-dir) build_dir=$(cd "$2" && pwd); shift ;;
    --out) out=$2; shift ;;
    --duration) duration=$2; shift ;;
    --max-clients) max_clients=$2; shift ;;
    --only) only=$2; shift ;;
    --burst) burst=$2; shift ;;
    --window) window=$2; shift ;;
    --quiet-wait) quiet_wait=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-fanout: error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "bench-fanout: $*" >&2; }
die() { echo "bench-fanout: error: $*" >&2; exit 1; }

if [ "$setup" -eq 1 ]; then
  bash "$root/scripts/setup.sh" bench
fi
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"  # the presets fix no job count
if [ "$build" -eq 1 ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release)
fi

serve=${SSE_SERVE:-$build_dir/tools/sse-serve/sse-serve}
loadgen=${FANOUT_LOADGEN:-$build_dir/tests/bench/fanout/fanout-loadgen}
[ -x "$serve" ] || die "no sse-serve at $serve (build the release preset, or set SSE_SERVE)"
[ -x "$loadgen" ] || die "no fanout-loadgen at $loadgen (tests/bench/CMakeLists.txt adds tests/bench/fanout; or set FANOUT_LOADGEN)"
nginx_bin=$(command -v nginx || true)
nchan_module=/usr/lib/nginx/modules/ngx_nchan_module.so
if [ "$only" != sse-serve ]; then
  [ -n "$nginx_bin" ] && [ -f "$nchan_module" ] ||
    die "nginx and libnginx-mod-nchan are needed for the comparison (scripts/setup.sh installs them)"
fi
command -v taskset >/dev/null || die "taskset (util-linux) is needed to pin the processes"
cpus=$(nproc)
[ "$cpus" -ge 2 ] || die "two CPUs are needed: the server on one, the load generator on the other"

mkdir -p "$out"
results=$out/results.jsonl
: >"$results"
tmp=$(mktemp -d)
server_pid=    # the process measured (sse-serve, or nginx's worker)
kill_pid=      # the process to stop (sse-serve, or nginx's master)
stdin_fd=

stop_server() {
  if [ -n "$kill_pid" ]; then
    kill "$kill_pid" 2>/dev/null || true
    wait "$kill_pid" 2>/dev/null || true
  fi
  if [ -n "$stdin_fd" ]; then
    exec {stdin_fd}>&-
  fi
  kill_pid=
  server_pid=
  stdin_fd=
}
trap 'stop_server; rm -rf "$tmp"' EXIT

# Starts sse-serve on a free port; sets url_sub, server_pid, kill_pid and stdin_fd (the FIFO
# feeding its stdin, held open read-write so the server never sees EOF between writers).
start_sse_serve() {
  rm -f "$tmp/stdin" "$tmp/serve.err"
  mkfifo "$tmp/stdin"
  exec {stdin_fd}<>"$tmp/stdin"
  taskset -c 0 "$serve" --port 0 --ping 0 <"$tmp/stdin" 2>"$tmp/serve.err" &
  kill_pid=$!
  server_pid=$kill_pid
  local url= i
  for i in $(seq 200); do
    url=$(sed -n 's|.*listening on \(http://[^ ]*\).*|\1|p' "$tmp/serve.err" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$kill_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$url" ] || { cat "$tmp/serve.err" >&2; die "sse-serve did not start"; }
  url_sub=${url%/}/events
  url_pub=
  publish=(--publish-fd "$stdin_fd")
}

# Starts nginx with one worker and nchan on a free port; sets url_sub, url_pub, server_pid
# (the worker, which does all the work) and kill_pid (the master).
channel=0
start_nchan() {
  local dir=$tmp/nginx port i
  rm -rf "$dir"
  mkdir -p "$dir"
  port=$("$loadgen" --free-port)
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
load_module $nchan_module;
events { worker_connections 12000; multi_accept on; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /sub { nchan_subscriber eventsource; nchan_channel_id \$arg_id; }
    location = /pub { nchan_publisher; nchan_channel_id \$arg_id; }
  }
}
EOF
  taskset -c 0 "$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
  kill_pid=$!
  server_pid=
  for i in $(seq 200); do
    # The worker: nginx's only child.
    if [ -z "$server_pid" ]; then
      for stat in /proc/[0-9]*/stat; do
        read -r -a fields <"$stat" 2>/dev/null || continue
        if [ "${fields[3]:-}" = "$kill_pid" ]; then server_pid=${fields[0]}; break; fi
      done
    fi
    if [ -n "$server_pid" ] && (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$kill_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$server_pid" ] || { cat "$dir/error.log" >&2; die "nginx did not start"; }
  channel=$((channel + 1))
  url_sub="http://127.0.0.1:$port/sub?id=bench$channel"
  url_pub="http://127.0.0.1:$port/pub?id=bench$channel"
  publish=(--publish-url "$url_pub")
}

field() { sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p" "$2"; }

# run SERVER SCENARIO CLIENTS LOADGEN_ARGS...: a fresh server, one load generator run.
# Waits (at most --quiet-wait seconds) until both CPUs are at least 90% idle over one second:
# on a shared machine, someone's compile on either CPU would be measured as ours.
cpu_idle_total() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t }' /proc/stat; }
wait_quiet() {
  local waited=0 i0 t0 i1 t1
  while [ "$waited" -lt "$quiet_wait" ]; do
    read -r i0 t0 < <(cpu_idle_total)
    sleep 1
    read -r i1 t1 < <(cpu_idle_total)
    waited=$((waited + 1))
    awk -v i=$((i1 - i0)) -v t=$((t1 - t0)) 'BEGIN { exit !(t > 0 && i / t >= 0.9) }' && return 0
  done
  say "the CPUs did not go quiet within ${quiet_wait}s; measuring anyway"
}

rows=()
max_load=0
run() {
  local server=$1 scenario=$2 clients=$3
  shift 3
  wait_quiet
  if [ "$server" = sse-serve ]; then start_sse_serve; else start_nchan; fi
  local args=(--url "$url_sub" --clients "$clients" --server-pid "$server_pid" --json "$@")
  case $scenario in idle*) ;; *) args+=("${publish[@]}") ;; esac
  local load
  read -r load _ </proc/loadavg
  max_load=$(awk -v a="$max_load" -v b="$load" 'BEGIN { print (b > a ? b : a) }')
  say "$server $scenario: $clients clients (load average $load)"
  local file=$tmp/run.json status=0
  taskset -c 1 "$loadgen" "${args[@]}" >"$file" || status=$?
  stop_server
  [ -s "$file" ] || die "$server $scenario: the load generator reported nothing (exit $status)"
  printf '{"server": "%s", "scenario": "%s", %s\n' "$server" "$scenario" "$(sed 's/^{//' "$file")" >>"$results"
  local all=no
  [ "$(field all_delivered "$file")" = true ] && all=yes
  [ "$all" = no ] && all="no ($(field missed "$file") missed)"
  local kib=- cpu=- rate=- p50=- p99=- busy=-
  case $scenario in
    idle*) kib=$(field kib_per_client "$file") ;;
    *) rate=$(field delivered_per_s "$file"); p50=$(field latency_p50_ms "$file")
       p99=$(field latency_p99_ms "$file"); cpu=$(field cpu_us_per_event "$file")
       busy=$(awk -v s="$(field server_cpu_share "$file")" -v g="$(field loadgen_cpu_share "$file")" \
         'BEGIN { printf "%d%%/%d%%", s * 100 + 0.5, g * 100 + 0.5 }') ;;
  esac
  rows+=("$server|$scenario|$clients|$rate|$p50|$p99|$kib|$cpu|$busy|$all")
  eval "r_${server//-/_}_${scenario//[^a-z0-9]/_}_${clients}=( \"\$rate\" \"\$p99\" \"\$kib\" \"\$cpu\" \"\$all\" )"
}

servers=(sse-serve nchan)
[ -n "$only" ] && servers=("$only")
sizes=()
for n in 100 1000 10000; do [ "$n" -le "$max_clients" ] && sizes+=("$n"); done
lat_clients=$((max_clients < 1000 ? max_clients : 1000))

# Each scenario runs on both servers back to back, so a noisy moment on this shared machine
# falls on both rather than on one server's whole series.
each_server() { local server; for server in "${servers[@]}"; do run "$server" "$@"; done; }
top=${sizes[${#sizes[@]}-1]}
for n in "${sizes[@]}"; do
  d=$duration
  [ "$n" -lt 10000 ] && d=$(awk -v d="$duration" 'BEGIN { print (d > 5 ? 5 : d) }')
  each_server throughput "$n" --duration "$d" --burst "$burst" --window "$window" \
    --drain 30 --timeout $((120 + 2 * ${d%.*}))
done
# The same at the largest size with one event per hand-over: what is left without publisher
# bursts (the server may still gather events that queue up behind a write in flight).
each_server throughput-b1 "$top" --duration "$duration" --burst 1 --window "$window" \
  --drain 30 --timeout $((120 + 2 * ${duration%.*}))
for rate in 10 100; do
  each_server "latency@${rate}/s" "$lat_clients" --rate "$rate" --duration "$duration" \
    --drain 10 --timeout $((60 + 2 * ${duration%.*}))
done
each_server idle "$max_clients" --idle 2 --timeout 120

# The table.
# "CPU srv/gen": the share of one CPU the server and the load generator used while events flowed
# (the side near 100% was the bottleneck).
printf '\n%-9s  %-13s  %7s  %12s  %9s  %9s  %10s  %9s  %11s  %s\n' server scenario clients \
  "delivered/s" "p50 ms" "p99 ms" "KiB/client" "us CPU/ev" "CPU srv/gen" "all delivered"
for row in "${rows[@]}"; do
  IFS='|' read -r s sc n rate p50 p99 kib cpu busy all <<<"$row"
  printf '%-9s  %-13s  %7s  %12s  %9s  %9s  %10s  %9s  %11s  %s\n' "$s" "$sc" "$n" "$rate" "$p50" \
    "$p99" "$kib" "$cpu" "$busy" "$all"
done

# The ratios and the issue's targets, when both servers ran.
if [ ${#servers[@]} -eq 2 ]; then
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
  verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v == "-") { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 < t + 0); print ok ? "met" : "MISSED" }'; }
  echo
  echo "ours/nchan                                ratio   target"
  top=${sizes[${#sizes[@]}-1]}
  eval "a=(\"\${r_sse_serve_throughput_${top}[@]}\")"; eval "b=(\"\${r_nchan_throughput_${top}[@]}\")"
  x=$(ratio "${a[0]}" "${b[0]}")
  printf '%-40s  %6s   >= 2     %s\n' "delivered events/s at $top clients" "$x" "$(verdict "$x" '>=' 2)"
  x=$(ratio "${a[3]}" "${b[3]}")
  printf '%-40s  %6s   < 1      %s\n' "server CPU per delivered event" "$x" "$(verdict "$x" '<' 1)"
  eval "a=(\"\${r_sse_serve_throughput_b1_${top}[@]}\")"; eval "b=(\"\${r_nchan_throughput_b1_${top}[@]}\")"
  printf '%-40s  %6s   (no target)\n' "  the same, one event per hand-over" "$(ratio "${a[0]}" "${b[0]}")"
  printf '%-40s  %6s   (no target)\n' "  its server CPU per delivered event" "$(ratio "${a[3]}" "${b[3]}")"
  for rate in 10 100; do
    eval "a=(\"\${r_sse_serve_latency_${rate}_s_${lat_clients}[@]}\")"
    eval "b=(\"\${r_nchan_latency_${rate}_s_${lat_clients}[@]}\")"
    x=$(ratio "${a[1]}" "${b[1]}")
    printf '%-40s  %6s   < 1      %s\n' "p99 latency, $lat_clients clients x $rate/s" "$x" "$(verdict "$x" '<' 1)"
  done
  eval "a=(\"\${r_sse_serve_idle_${max_clients}[@]}\")"; eval "b=(\"\${r_nchan_idle_${max_clients}[@]}\")"
  x=$(ratio "${a[2]}" "${b[2]}")
  printf '%-40s  %6s   (ours %s KiB; target < 6)  %s\n' "idle memory per client" "$x" "${a[2]}" \
    "$(verdict "${a[2]}" '<' 6)"
  all_ok=yes
  for row in "${rows[@]}"; do
    case $row in sse-serve\|*\|no) all_ok=no ;; esac
  done
  printf '%-40s  %6s            %s\n' "sse-serve: every event to every client" "" \
    "$([ $all_ok = yes ] && echo met || echo MISSED)"
fi
echo
# The two CPUs are the whole machine: anything else running skews every figure above.
if awk -v l="$max_load" 'BEGIN { exit !(l > 1.5) }'; then
  echo "WARNING: the load average reached $max_load during the runs: other processes competed for"
  echo "         the two CPUs (see the CPU srv/gen column), so these figures are not reliable."
fi
echo "results: $results"
