#!/usr/bin/env bash
# The fan-out benchmark: sse-serve beside nginx + nchan (one worker) and beside the yardstick
# (tests/bench/fanout/yardstick.cpp: a minimal one-thread epoll broadcaster, the most this machine
# does), all driven by the same load generator (tests/bench/fanout/loadgen.cpp).
#
# Each server runs pinned to CPU 0 and the load generator to CPU 1; everything is on 127.0.0.1.
# Every run starts a fresh server, and each scenario runs --repeat times on every server in turn
# (so a noisy moment on this shared machine falls on all of them); the table shows medians.
# Groups of scenarios (--groups, default all):
#   throughput  N = 100, 1,000, 10,000 clients; the publisher hands over bursts of --burst events,
#               closed loop (at most --window events ahead of the slowest client), for --duration s
#               (and at the largest N with one event per hand-over: throughput-b1)
#   latency     1,000 clients x 10 and x 100 events/s, one event at a time: p50 / p99
#   idle        10,000 connected clients, no events: server RSS growth per client
#   rate        10,000 clients, offered 100 to 2,000 events/s (--rates), open loop: events
#               go out when due whatever the clients do, for --rate-duration s, then at most
#               --drain s for the rest; yardstick, sse-serve and nchan
#   topics      100 topics x 100 clients (each follows one topic: /events/TOPIC, nchan's
#               /sub?id=TOPIC), events to random topics at 1,000 and 10,000 events/s; sse-serve fed
#               by stdin (--format json lines with a "topic") and, when it has HTTP publishing, by
#               POSTs over one keep-alive connection (sse-serve-http), nchan by its publisher
#   publish     HTTP publish rate over one keep-alive connection, closed loop with 1 request in
#               flight and pipelined with 32, with no subscriber and with 100 (on the topic
#               published to): sse-serve's POST /events/TOPIC vs nchan's publisher location,
#               beside the yardstick answering POSTs unparsed (the machine's floor)
# Per run: delivered events/s, p50/p99 publish-to-delivery latency, server CPU per delivered
# event, the CPU shares of the server and of the load generator (the side near 100% was the
# limit), POSTs answered per second, and whether every client got every event, in order.
# A table with medians, then the ratios against the issue's targets; one JSON line per run is
# kept in --out/results.jsonl. Every run is bounded in time.
#
# usage: scripts/bench-fanout.sh [--no-setup] [--no-build] [--build-dir DIR] [--out DIR]
#          [--groups LIST] [--only SERVER] [--repeat N] [--duration S] [--rate-duration S]
#          [--rates "R ..."] [--drain S] [--max-clients N] [--burst N] [--window N]
#          [--quiet-wait S]  (each run first waits up to S s, default 60, for idle CPUs)
#          [--append]  (add to --out's results.jsonl instead of starting it afresh; the table
#                       covers everything in it)  [--report-only]  (no runs: the table of --out)
#          [--nice N]  (runs the servers and the load generator at this niceness, and sets it
#                       on the script's autogroup too: with autogrouping on, as here, plain nice
#                       only ranks processes within their own session. On a machine others keep
#                       busy, a negative N, as root, gives the measured processes most of their
#                       CPUs; the default 0 leaves the scheduler alone)
# LIST: comma-separated groups. SERVER: yardstick, sse-serve, sse-serve-http or nchan.
# SSE_SERVE, FANOUT_LOADGEN and FANOUT_YARDSTICK override the binaries (default: the release build).
# SSE_SERVE_BASELINE=PATH adds another sse-serve build (say, an older commit's) to the rate group
# as server "baseline", for targets put as "no worse than today".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_name=bench-fanout
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"
build_dir=$root/build/release
out=$root/build/bench-fanout
setup=1
build=1
groups=throughput,latency,idle,rate,topics,publish
only=
repeat=3
duration=10        # seconds of publishing in the 10,000-client throughput run (and the latency runs)
rate_duration=5    # seconds of publishing in the rate and topics runs
rates="100 200 500 1000 2000"
topic_rates="1000 10000"  # the first: everyone keeps up; the last: past nchan's limit
drain=10           # seconds the open-loop runs wait for the last events
max_clients=10000
burst=8
window=32
quiet_wait=60      # seconds each run may wait for the machine to go quiet (0: do not wait)
niceness=0
append=0
report_only=0

usage() { sed -n '2,47p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  bench_option "$@"
  if [ "$bench_took" -gt 0 ]; then shift "$bench_took"; continue; fi
  case $1 in
    --rate-duration) rate_duration=$2; shift ;;
    --rates) rates=$2; shift ;;
    --drain) drain=$2; shift ;;
    --max-clients) max_clients=$2; shift ;;
    --burst) burst=$2; shift ;;
    --window) window=$2; shift ;;
    --quiet-wait) quiet_wait=$2; shift ;;
    --append) append=1 ;;
    *) echo "bench-fanout: error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "bench-fanout: $*" >&2; }
die() { echo "bench-fanout: error: $*" >&2; exit 1; }

[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat takes a positive integer"
[[ $niceness =~ ^-?[0-9]+$ ]] || die "--nice takes an integer"
bench_pin  # each measured process: pinned to its CPU, at --nice
for g in ${groups//,/ }; do
  case $g in throughput|latency|idle|rate|topics|publish) ;; *) die "unknown group: $g" ;; esac
done
case ${only:-all} in all|yardstick|sse-serve|sse-serve-http|baseline|nchan) ;; *) die "unknown server: $only" ;; esac
in_groups() { [[ ",$groups," == *",$1,"* ]]; }

bench_prepare "$setup" "$build" sse-serve fanout-loadgen fanout-yardstick

serve=${SSE_SERVE:-$build_dir/tools/sse-serve/sse-serve}
loadgen=${FANOUT_LOADGEN:-$build_dir/tests/bench/fanout/fanout-loadgen}
yardstick=${FANOUT_YARDSTICK:-$build_dir/tests/bench/fanout/fanout-yardstick}
for exe in "$serve" "$loadgen" "$yardstick"; do
  [ -x "$exe" ] || die "no $exe (build the release preset, or set SSE_SERVE / FANOUT_LOADGEN / FANOUT_YARDSTICK)"
done
if [ "${only:-nchan}" = nchan ]; then
  command -v nginx >/dev/null && [ -f "$nchan_module" ] ||
    die "nginx and libnginx-mod-nchan are needed for the comparison (scripts/setup.sh installs them)"
fi
command -v taskset >/dev/null || die "taskset (util-linux) is needed to pin the processes"
cpus=$(nproc)
[ "$cpus" -ge 2 ] || die "two CPUs are needed: the server on one, the load generator on the other"
baseline=${SSE_SERVE_BASELINE:-}
[ -z "$baseline" ] || [ -x "$baseline" ] || die "SSE_SERVE_BASELINE: not executable: $baseline"
# HTTP publishing is sse-serve's newest source: measured when this build has it.
http_publish=0
# (Not `--help | grep -q`: grep's early exit may kill the writer, and pipefail then says no.)
[[ $("$serve" --help 2>/dev/null) == *--publish-token-file* ]] && http_publish=1

mkdir -p "$out"
out=$(cd "$out" && pwd)  # nginx -p needs absolute paths
results=$out/results.jsonl
[ "$append" -eq 1 ] || [ "$report_only" -eq 1 ] || : >"$results"
# Beside the results it belongs to.
tmp=$(mktemp -d "$out/run.XXXXXX")
token_file=$tmp/publish-token
head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file"
server_pid=    # the process measured (sse-serve, the yardstick, or nginx's worker)
kill_pid=      # the process to stop (the same, or nginx's master)
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

# Starts a server fed by stdin that prints "listening on http://HOST:PORT/"; sets base,
# server_pid, kill_pid and stdin_fd (the FIFO feeding its stdin, held open read-write so the
# server never sees EOF between writers).
start_stdin_server() {
  rm -f "$tmp/stdin"
  # Made here, not by the server's redirection: the loop below may read it before the child has
  # opened it, and a failing sed (under pipefail and -e) ended whole runs.
  : >"$tmp/serve.err"
  mkfifo "$tmp/stdin"
  exec {stdin_fd}<>"$tmp/stdin"
  "${on_cpu0[@]}" "$@" <"$tmp/stdin" 2>"$tmp/serve.err" &
  kill_pid=$!
  server_pid=$kill_pid
  local url= i
  for i in $(seq 200); do
    url=$(sed -n 's|.*listening on \(http://[^ ]*\).*|\1|p' "$tmp/serve.err" | head -n 1) || url=
    [ -n "$url" ] && break
    kill -0 "$kill_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$url" ] || { cat "$tmp/serve.err" >&2; die "$1 did not start"; }
  base=${url%/}
}

# The URLs each server serves: one stream (sub_one, pub_one) or a topic each ({topic} in
# sub_topic and pub_topic is the load generator's placeholder for a topic's name).
start_sse_serve() {
  local extra=("$@")
  [ "$http_publish" -eq 1 ] && extra+=(--publish-token-file "$token_file")
  start_stdin_server "$serve" --port 0 --ping 0 "${extra[@]}"
  sub_one=$base/events sub_topic="$base/events/{topic}" pub_one= pub_topic="$base/events/{topic}"
}

start_yardstick() {
  start_stdin_server "$yardstick" --port 0
  # One stream whatever the path; its POSTs publish to it (the publish group's floor).
  sub_one=$base/events sub_topic=$base/events pub_one=$base/events pub_topic=$base/events
}

# Starts nginx with one worker and nchan on a free port; server_pid is the worker (it does all
# the work), kill_pid the master.
channel=0
start_nchan() {
  local dir=$tmp/nginx port
  rm -rf "$dir"
  mkdir -p "$dir"
  port=$("$loadgen" --free-port)
  nginx_conf_head "$dir" 20000 12000
  cat >>"$dir/nginx.conf" <<EOF
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /sub { nchan_subscriber eventsource; nchan_channel_id \$arg_id; }
    location = /pub { nchan_publisher; nchan_channel_id \$arg_id; }
  }
}
EOF
  local up=0
  nginx_start "$dir" "$port" && up=1
  kill_pid=$nginx_master server_pid=$nginx_worker
  [ "$up" -eq 1 ] || die "nginx did not start"
  channel=$((channel + 1))
  base=http://127.0.0.1:$port
  sub_one="$base/sub?id=bench$channel" pub_one="$base/pub?id=bench$channel"
  sub_topic="$base/sub?id={topic}" pub_topic="$base/pub?id={topic}"
}

field() { sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p" "$2"; }

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

# run SERVER SCENARIO CLIENTS REP LOADGEN_ARGS...: a fresh server, one load generator run.
# Scenarios named topics* or publish* use the topic URLs; the others one stream.
max_load=0
run() {
  local server=$1 scenario=$2 clients=$3 rep=$4
  shift 4
  [ "$report_only" -eq 0 ] || return 0
  wait_quiet
  local topical=0
  case $scenario in topics*|publish*) topical=1 ;; esac
  case $server in
    sse-serve) if [ "$topical" -eq 1 ]; then start_sse_serve --format json; else start_sse_serve; fi ;;
    sse-serve-http) start_sse_serve ;;
    yardstick) start_yardstick ;;
    baseline) start_stdin_server "$baseline" --port 0 --ping 0; sub_one=$base/events pub_one= ;;
    nchan) start_nchan ;;
  esac
  # What is measured must be the server itself, never a shell around it.
  [ "$(cat "/proc/$server_pid/comm" 2>/dev/null)" != bash ] || die "measuring a shell, not $server"
  local sub=$sub_one pub=$pub_one
  [ "$topical" -eq 1 ] && sub=$sub_topic pub=$pub_topic
  local args=(--url "$sub" --clients "$clients" --server-pid "$server_pid" --json "$@")
  case $scenario in
    idle*) ;;
    *)
      case $server in
        sse-serve-http) args+=(--publish-url "$pub" --publish-token-file "$token_file") ;;
        yardstick) if [ "${scenario#publish}" != "$scenario" ]; then args+=(--publish-url "$pub")
                   else args+=(--publish-fd "$stdin_fd"); fi ;;
        nchan) args+=(--publish-url "$pub") ;;
        *) args+=(--publish-fd "$stdin_fd")
           [ "$topical" -eq 1 ] && args+=(--publish-format json) ;;
      esac ;;
  esac
  local load
  read -r load _ </proc/loadavg
  max_load=$(awk -v a="$max_load" -v b="$load" 'BEGIN { print (b > a ? b : a) }')
  say "$server $scenario: $clients clients, run $rep/$repeat (load average $load)"
  local file=$tmp/run.json status=0
  "${on_cpu1[@]}" "$loadgen" "${args[@]}" >"$file" || status=$?
  stop_server
  [ -s "$file" ] || die "$server $scenario: the load generator reported nothing (exit $status)"
  printf '{"server": "%s", "scenario": "%s", "rep": %d, %s\n' "$server" "$scenario" "$rep" \
    "$(sed 's/^{//' "$file")" >>"$results"
}

# each SERVERS SCENARIO CLIENTS LOADGEN_ARGS...: --repeat rounds, every server in each round.
each() {
  local servers=$1 rep server
  shift
  for rep in $(seq "$repeat"); do
    for server in $servers; do
      [ -n "$only" ] && [ "$server" != "$only" ] && continue
      if [ "$server" = sse-serve-http ] && [ "$http_publish" -eq 0 ]; then continue; fi
      run "$server" "$1" "$2" "$rep" "${@:3}"
    done
  done
}

sizes=()
for n in 100 1000 10000; do [ "$n" -le "$max_clients" ] && sizes+=("$n"); done
top=${sizes[${#sizes[@]}-1]}
lat_clients=$((max_clients < 1000 ? max_clients : 1000))
int() { printf '%.0f' "$1"; }

if in_groups throughput; then
  for n in "${sizes[@]}"; do
    d=$duration
    [ "$n" -lt 10000 ] && d=$(awk -v d="$duration" 'BEGIN { print (d > 5 ? 5 : d) }')
    each "sse-serve nchan" throughput "$n" --duration "$d" --burst "$burst" --window "$window" \
      --drain 30 --timeout $((120 + 2 * $(int "$d")))
  done
  # The same at the largest size with one event per hand-over: what is left without publisher
  # bursts (the server may still gather events that queue up behind a write in flight).
  each "sse-serve nchan" throughput-b1 "$top" --duration "$duration" --burst 1 --window "$window" \
    --drain 30 --timeout $((120 + 2 * $(int "$duration")))
fi
if in_groups latency; then
  for rate in 10 100; do
    each "sse-serve nchan" "latency@${rate}/s" "$lat_clients" --rate "$rate" --duration "$duration" \
      --drain 10 --timeout $((60 + 2 * $(int "$duration")))
  done
fi
if in_groups idle; then
  each "sse-serve nchan" idle "$max_clients" --idle 2 --timeout 120
fi
open_loop_timeout=$((90 + $(int "$rate_duration") + $(int "$drain")))
if in_groups rate; then
  for rate in $rates; do
    each "yardstick sse-serve ${baseline:+baseline }nchan" "rate@${rate}/s" "$max_clients" --rate "$rate" \
      --duration "$rate_duration" --drain "$drain" --timeout "$open_loop_timeout"
  done
fi
topic_count=$((max_clients >= 10000 ? 100 : (max_clients >= 100 ? max_clients / 100 : 1)))
topic_clients=$((topic_count * 100 <= max_clients ? topic_count * 100 : max_clients))
if in_groups topics; then
  for rate in $topic_rates; do
    each "sse-serve sse-serve-http nchan" "topics@${rate}/s" "$topic_clients" --topics "$topic_count" \
      --rate "$rate" --duration "$rate_duration" --drain "$drain" --timeout "$open_loop_timeout"
  done
fi
if in_groups publish; then
  for subscribers in 0 100; do
    for inflight in 1 32; do
      each "yardstick sse-serve-http nchan" "publish-$inflight" "$subscribers" --window 0 --inflight "$inflight" \
        --duration 3 --drain "$drain" --timeout 60
    done
  done
fi

# -- the table: medians over the repeats ----------------------------------------------------------

# The lines of one (server, scenario, clients) in results.jsonl.
lines_of() { grep -F "\"server\": \"$1\", \"scenario\": \"$2\"," "$results" | grep -F "\"clients\": $3," || true; }
# median SERVER SCENARIO CLIENTS KEY: the median of KEY over the repeats, or "-".
median() { lines_of "$1" "$2" "$3" | median_of "$4"; }
# "yes" when every repeat got every event to every client; else how many of the repeats did.
all_delivered() {
  local total ok
  total=$(lines_of "$1" "$2" "$3" | wc -l)
  ok=$(lines_of "$1" "$2" "$3" | grep -c '"all_delivered": true' || true)
  if [ "$total" -eq 0 ]; then echo -; elif [ "$ok" -eq "$total" ]; then echo yes; else
    echo "no ($ok/$total; median $(median "$1" "$2" "$3" missed) missed)"; fi
}

echo
echo "Medians of $repeat run(s) each. CPU srv/gen: the share of one CPU the server and the load"
echo "generator used while events flowed (the side near 100% was the limit)."
printf '%-14s  %-15s  %7s  %12s  %10s  %10s  %9s  %11s  %10s  %10s  %s\n' server scenario clients \
  "delivered/s" "p50 ms" "p99 ms" "us CPU/ev" "CPU srv/gen" "POSTs/s" "KiB/client" "all delivered"
keys=$(sed -n 's/.*"server": "\([^"]*\)", "scenario": "\([^"]*\)", "rep": [0-9]*, "clients": \([0-9]*\),.*/\2|\3|\1/p' \
  "$results" | awk '!seen[$0]++')
while IFS='|' read -r sc n s; do
  [ -n "$sc" ] || continue
  rate=$(fmt "$(median "$s" "$sc" "$n" delivered_per_s)" '%.0f')
  p50=$(fmt "$(median "$s" "$sc" "$n" latency_p50_ms)" '%.2f')
  p99=$(fmt "$(median "$s" "$sc" "$n" latency_p99_ms)" '%.2f')
  cpu=$(fmt "$(median "$s" "$sc" "$n" cpu_us_per_event)" '%.3f')
  busy=$(awk -v s="$(median "$s" "$sc" "$n" server_cpu_share)" -v g="$(median "$s" "$sc" "$n" loadgen_cpu_share)" \
    'BEGIN { if (s == "-") print "-"; else printf "%d%%/%d%%", s * 100 + 0.5, g * 100 + 0.5 }')
  posts=$(fmt "$(median "$s" "$sc" "$n" publish_per_s)" '%.0f')
  kib=-
  case $sc in
    idle*) kib=$(fmt "$(median "$s" "$sc" "$n" kib_per_client)" '%.2f') rate=- p50=- p99=- cpu=- busy=- posts=- ;;
    publish*) ;;
    *) posts=- ;;
  esac
  [ "$rate" = 0 ] && rate=- p50=- p99=- cpu=-
  printf '%-14s  %-15s  %7s  %12s  %10s  %10s  %9s  %11s  %10s  %10s  %s\n' "$s" "$sc" "$n" "$rate" \
    "$p50" "$p99" "$cpu" "$busy" "$posts" "$kib" "$(all_delivered "$s" "$sc" "$n")"
done <<<"$keys"

# -- the ratios and the issues' targets -----------------------------------------------------------

line() { printf '%-60s  %8s   %-10s %s\n' "$1" "$2" "$3" "$4"; }
m() { median "$@"; }

echo
line "ratio (medians)" value target verdict
if in_groups throughput; then
  x=$(ratio "$(m sse-serve throughput "$top" delivered_per_s)" "$(m nchan throughput "$top" delivered_per_s)")
  line "throughput at $top clients, sse-serve/nchan" "$x" ">= 2" "$(verdict "$x" '>=' 2)"
  x=$(ratio "$(m sse-serve throughput "$top" cpu_us_per_event)" "$(m nchan throughput "$top" cpu_us_per_event)")
  line "  server CPU per delivered event, sse-serve/nchan" "$x" "< 1" "$(verdict "$x" '<' 1)"
  line "  the same, one event per hand-over" \
    "$(ratio "$(m sse-serve throughput-b1 "$top" delivered_per_s)" "$(m nchan throughput-b1 "$top" delivered_per_s)")" "-" ""
fi
if in_groups latency; then
  for rate in 10 100; do
    x=$(ratio "$(m sse-serve "latency@${rate}/s" "$lat_clients" latency_p99_ms)" \
      "$(m nchan "latency@${rate}/s" "$lat_clients" latency_p99_ms)")
    line "p99 latency, $lat_clients clients x $rate/s, sse-serve/nchan" "$x" "< 1" "$(verdict "$x" '<' 1)"
  done
fi
if in_groups idle; then
  x=$(m sse-serve idle "$max_clients" kib_per_client)
  line "idle memory per client, sse-serve (KiB)" "$x" "< 6" "$(verdict "$x" '<' 6)"
  line "  sse-serve/nchan" "$(ratio "$x" "$(m nchan idle "$max_clients" kib_per_client)")" "-" ""
fi
if in_groups rate; then
  previous=0
  rising=met
  for rate in $rates; do
    ours=$(m sse-serve "rate@${rate}/s" "$max_clients" delivered_per_s)
    x=$(ratio "$ours" "$(m yardstick "rate@${rate}/s" "$max_clients" delivered_per_s)")
    line "delivered/s at $rate ev/s offered, sse-serve/yardstick" "$x" ">= 0.5" "$(verdict "$x" '>=' 0.5)"
    x=$(ratio "$ours" "$(m nchan "rate@${rate}/s" "$max_clients" delivered_per_s)")
    v=$(verdict "$x" '>=' 10)
    # Delivering (nearly) all that was offered, sse-serve cannot be further ahead: the offered
    # rate, not the server, then sets the ratio.
    if [ "$v" = MISSED ] && awk -v a="$ours" -v o="$(m sse-serve "rate@${rate}/s" "$max_clients" offered_per_s)" \
      'BEGIN { exit !(a >= 0.97 * o) }'; then
      v="not reachable: sse-serve delivered all offered"
    fi
    line "  sse-serve/nchan" "$x" ">= 10" "$v"
    # "Never falls": a drop beyond 5% (this machine's run-to-run noise) counts as falling.
    if [ "$ours" = - ] || awk -v a="$ours" -v b="$previous" 'BEGIN { exit !(a < 0.95 * b) }'; then
      rising=MISSED
    fi
    previous=$ours
  done
  line "sse-serve delivered/s never falls as the rate rises" "" "(5% noise)" "$rising"
  first=${rates%% *}
  line "p99 at $first ev/s: sse-serve / yardstick / nchan (ms)" "" "" \
    "$(m sse-serve "rate@${first}/s" "$max_clients" latency_p99_ms) / $(m yardstick "rate@${first}/s" "$max_clients" latency_p99_ms) / $(m nchan "rate@${first}/s" "$max_clients" latency_p99_ms)"
  if grep -q '"server": "baseline"' "$results"; then
    x=$(ratio "$(m sse-serve "rate@${first}/s" "$max_clients" latency_p99_ms)" \
      "$(m baseline "rate@${first}/s" "$max_clients" latency_p99_ms)")
    line "p99 at $first ev/s, sse-serve/baseline" "$x" "<= 1" "$(verdict "$x" '<=' 1)"
    for rate in $rates; do
      line "  delivered/s at $rate ev/s, sse-serve/baseline" "$(ratio "$(m sse-serve "rate@${rate}/s" \
        "$max_clients" delivered_per_s)" "$(m baseline "rate@${rate}/s" "$max_clients" delivered_per_s)")" "-" ""
    done
  fi
fi
if in_groups topics; then
  # At the lower rate every server keeps up (latency is the figure); the higher one is past
  # nchan's limit (delivered/s is).
  for s in sse-serve sse-serve-http; do
    x=$(ratio "$(m $s "topics@${topic_rates%% *}/s" "$topic_clients" latency_p99_ms)" \
      "$(m nchan "topics@${topic_rates%% *}/s" "$topic_clients" latency_p99_ms)")
    line "topics at ${topic_rates%% *} ev/s, p99 latency, $s/nchan" "$x" "< 1" "$(verdict "$x" '<' 1)"
  done
  for s in sse-serve sse-serve-http; do
    x=$(ratio "$(m $s "topics@${topic_rates##* }/s" "$topic_clients" delivered_per_s)" \
      "$(m nchan "topics@${topic_rates##* }/s" "$topic_clients" delivered_per_s)")
    line "topics at ${topic_rates##* } ev/s, delivered/s, $s/nchan" "$x" ">= 2" "$(verdict "$x" '>=' 2)"
  done
fi
if in_groups publish; then
  if [ "$http_publish" -eq 0 ]; then
    line "publish rate" "" "" "n/a: this sse-serve has no HTTP publishing"
  fi
  for subscribers in 0 100; do
    for inflight in 1 32; do
      x=$(ratio "$(m sse-serve-http "publish-$inflight" "$subscribers" publish_per_s)" \
        "$(m nchan "publish-$inflight" "$subscribers" publish_per_s)")
      line "POSTs/s, $inflight in flight, $subscribers subscribers, sse-serve/nchan" "$x" ">= 2" \
        "$(verdict "$x" '>=' 2)"
    done
  done
  # The floor: a loop that answers POSTs without parsing them. With one request in flight a
  # server waits for each round trip between the CPUs, so no server gets far past the floor.
  for subscribers in 0 100; do
    x=$(ratio "$(m yardstick "publish-1" "$subscribers" publish_per_s)" \
      "$(m nchan "publish-1" "$subscribers" publish_per_s)")
    line "POSTs/s, 1 in flight, $subscribers subscribers, floor (yardstick)/nchan" "$x" "" "the most any server gets"
  done
fi
# Open-loop runs past a server's limit may end with events undelivered (the drain is bounded):
# that is what the table's last column shows. Everywhere else every event must arrive.
all_ok=yes
grep '"server": "sse-serve' "$results" | grep -v -e '"scenario": "rate@' -e '"scenario": "topics@' |
  grep -q '"all_delivered": false' && all_ok=no
line "sse-serve: every event to every client (closed loops)" "" "" "$([ $all_ok = yes ] && echo met || echo MISSED)"
echo
# The two CPUs are the whole machine: anything else running skews every figure above.
if awk -v l="$max_load" 'BEGIN { exit !(l > 1.5) }'; then
  echo "WARNING: the load average reached $max_load during the runs: other processes competed for"
  echo "         the two CPUs (see the CPU srv/gen column), so these figures are not reliable."
fi
echo "results: $results"
