#!/usr/bin/env bash
# The Redis benchmark (issue 13): 1 Redis + 3 sse-serve replicas sharing one stream, beside 3
# nginx + nchan instances sharing one Redis through nchan's backplane (nchan_redis_server and
# nchan_redis_pass, nchan 1.3's form of nchan_redis_url and nchan_use_redis), and beside one
# sse-serve process without Redis (the single-process figure).
# All driven by the fan-out benchmark's load generator (tests/bench/fanout/loadgen.cpp), which
# spreads its clients round robin over the three instances (--url given three times).
#
# Everything on the server side (Redis and the three instances) runs pinned to CPU 0, the load
# generator to CPU 1; only 127.0.0.1 is used; every run starts a fresh Redis (on a free port, no
# persistence) and fresh servers; each scenario runs --repeat times on every server in turn.
#   rate@R   --clients clients (9,000), events published at R events/s (--rates, open loop) for
#            --duration s into instance A (sse-serve: its stdin; nchan: its publisher location;
#            the single process: its stdin): delivered events/s over all instances, p50/p99
#            publish-to-delivery latency across the replicas, the instances' CPU per delivered
#            event, and Redis's CPU time
#   storm    --storm-events events published into A; A is killed (kill -9), and --clients clients
#            reconnect to B and C at once, each with the Last-Event-ID of the middle event: the
#            time until every one has the second half (connected and caught up), and the
#            commands Redis ran meanwhile (XRANGE for sse-serve; nchan's are EVALSHA scripts)
#   storm-cold  the same, but B and C are new instances started after the events were published
#            (as after a scale-out): nothing is in their memory, every replay comes from Redis
# A table with medians, then ratios against the issue's targets; one JSON line per run in
# --out/results.jsonl.
#
# usage: scripts/bench-redis.sh [--no-setup] [--no-build] [--build-dir DIR] [--out DIR]
#          [--repeat N] [--clients N] [--rates "R ..."] [--duration S] [--drain S]
#          [--storm-events N] [--groups rate,storm,storm-cold] [--only SERVER] [--nice N]
#          [--report-only]
# SERVER: sse-serve (the replicas), single (one sse-serve, no Redis) or nchan.
# --nice N runs the measured processes at this niceness and sets it on the script's autogroup
# (see bench-fanout.sh); on a machine others keep busy, as root, -19 keeps them on their CPUs.
# SSE_SERVE and FANOUT_LOADGEN override the binaries (default: the release build).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_name=bench-redis
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"
build_dir=$root/build/release
out=$root/build/bench-redis
setup=1
build=1
repeat=3
clients=9000
rates="20 100"
duration=5
drain=10
storm_events=200
groups=rate,storm,storm-cold
only=
niceness=0
report_only=0

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }
while [ $# -gt 0 ]; do
  bench_option "$@"
  if [ "$bench_took" -gt 0 ]; then shift "$bench_took"; continue; fi
  case $1 in
    --clients) clients=$2; shift ;;
    --rates) rates=$2; shift ;;
    --drain) drain=$2; shift ;;
    --storm-events) storm_events=$2; shift ;;
    *) echo "bench-redis: error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "bench-redis: $*" >&2; }
die() { echo "bench-redis: error: $*" >&2; exit 1; }

[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat takes a positive integer"
[[ $clients =~ ^[1-9][0-9]*$ ]] || die "--clients takes a positive integer"
[[ $storm_events =~ ^[1-9][0-9]*$ ]] && [ "$storm_events" -ge 2 ] || die "--storm-events takes an integer >= 2"
[[ $niceness =~ ^-?[0-9]+$ ]] || die "--nice takes an integer"
for g in ${groups//,/ }; do
  case $g in rate|storm|storm-cold) ;; *) die "unknown group: $g" ;; esac
done
case ${only:-all} in all|sse-serve|single|nchan) ;; *) die "unknown server: $only" ;; esac
in_groups() { [[ ",$groups," == *",$1,"* ]]; }
bench_pin
bench_prepare "$setup" "$build" sse-serve fanout-loadgen
serve=${SSE_SERVE:-$build_dir/tools/sse-serve/sse-serve}
loadgen=${FANOUT_LOADGEN:-$build_dir/tests/bench/fanout/fanout-loadgen}
if [ "$report_only" -eq 0 ]; then
  for exe in "$serve" "$loadgen"; do
    [ -x "$exe" ] || die "no $exe (build the release preset, or set SSE_SERVE / FANOUT_LOADGEN)"
  done
  # Not `--help | grep -q`: grep's early exit may kill the writer, and pipefail then says no.
  [[ $("$serve" --help 2>/dev/null) == *--redis* ]] || die "this sse-serve has no --redis"
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    die "redis-server and redis-cli are needed (scripts/setup.sh installs them)"
  command -v nginx >/dev/null && [ -f "$nchan_module" ] ||
    die "nginx and libnginx-mod-nchan are needed for the comparison (scripts/setup.sh bench)"
  command -v taskset >/dev/null || die "taskset (util-linux) is needed to pin the processes"
  [ "$(nproc)" -ge 2 ] || die "two CPUs are needed: the servers on one, the load generator on the other"
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)  # nginx -p needs absolute paths
results=$out/results.jsonl
[ "$report_only" -eq 1 ] || : >"$results"
tmp=$(mktemp -d "$out/run.XXXXXX")
hz=$(getconf CLK_TCK)

# Every process started here, so that the exit trap stops exactly those (and nothing else).
started=()
redis_pid='' redis_port=''
instance_pids=()  # the processes measured: sse-serve replicas or nginx workers
stdin_fd=
stop_all() {
  local p
  for p in "${started[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${started[@]}"; do wait "$p" 2>/dev/null || true; done
  started=() instance_pids=() redis_pid=
  if [ -n "$stdin_fd" ]; then exec {stdin_fd}>&-; stdin_fd=; fi
}
trap 'stop_all; rm -rf "$tmp"' EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
redis() { redis-cli -p "$redis_port" "$@"; }
# Calls of every command Redis ran, and of XRANGE alone: "TOTAL XRANGE".
redis_calls() {  # (not counting the INFO commands that ask)
  redis INFO commandstats | tr -d '\r' | awk -F'[:=,]' '
    /^cmdstat_/ { if ($1 != "cmdstat_info") total += $3; if ($1 == "cmdstat_xrange") x = $3 }
    END { print total + 0, x + 0 }'
}

start_redis() {
  redis_port=$("$loadgen" --free-port)
  "${on_cpu0[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --logfile "$tmp/redis.log" --dir "$tmp" &
  redis_pid=$!
  started+=("$redis_pid")
  for _ in $(seq 100); do
    [ "$(redis PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  cat "$tmp/redis.log" >&2
  die "redis-server did not start"
}

# start_serve NAME ARGS...: one sse-serve on a free port, pinned; sets serve_pid and serve_url.
# The first one started with stdin reads the FIFO the load generator publishes into.
start_serve() {
  local name=$1 err=$tmp/$1.err
  shift
  : >"$err"
  if [ "${1:-}" = --stdin ]; then
    shift
    rm -f "$tmp/stdin"
    mkfifo "$tmp/stdin"
    exec {stdin_fd}<>"$tmp/stdin"
    "${on_cpu0[@]}" "$serve" --port 0 --ping 0 "$@" <"$tmp/stdin" 2>"$err" &
  else
    "${on_cpu0[@]}" "$serve" --port 0 --ping 0 --no-stdin "$@" 2>"$err" &
  fi
  serve_pid=$!
  started+=("$serve_pid")
  serve_url=
  for _ in $(seq 200); do
    serve_url=$(sed -n 's|.*listening on \(http://[^ ]*\).*|\1|p' "$err" | head -n 1) || serve_url=
    [ -n "$serve_url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$serve_url" ] || { cat "$err" >&2; die "sse-serve $name did not start"; }
  serve_url=${serve_url%/}
}

# The replicas: A reads stdin, B and C only serve; all share the stream in Redis.
start_replicas() {
  start_redis
  local redis_args=(--redis "redis://127.0.0.1:$redis_port" --history "$((storm_events * 2))")
  urls=() instance_pids=()
  start_serve a --stdin "${redis_args[@]}"
  urls+=("$serve_url/events") instance_pids+=("$serve_pid")
  start_serve b "${redis_args[@]}"
  urls+=("$serve_url/events") instance_pids+=("$serve_pid")
  start_serve c "${redis_args[@]}"
  urls+=("$serve_url/events") instance_pids+=("$serve_pid")
  pub_args=(--publish-fd "$stdin_fd")
}

start_single() {
  redis_pid='' urls=() instance_pids=()
  start_serve single --stdin --history "$((storm_events * 2))"
  urls+=("$serve_url/events") instance_pids+=("$serve_pid")
  pub_args=(--publish-fd "$stdin_fd")
}

# One nginx (one worker) with nchan on Redis; its worker joins instance_pids, its master
# nginx_masters.
channel=0
start_nginx() {
  local name=$1 dir=$tmp/nginx-$1 port master worker=''
  rm -rf "$dir"
  mkdir -p "$dir"
  port=$("$loadgen" --free-port)
  nginx_conf_head "$dir" 20000 12000
  cat >>"$dir/nginx.conf" <<EOF
  upstream redis { nchan_redis_server "redis://127.0.0.1:$redis_port"; }
  nchan_message_buffer_length $((storm_events * 2));
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /sub { nchan_subscriber eventsource; nchan_channel_id \$arg_id; nchan_redis_pass redis; }
    location = /pub { nchan_publisher; nchan_channel_id \$arg_id; nchan_redis_pass redis; }
  }
}
EOF
  local up=0
  nginx_start "$dir" "$port" && up=1
  started+=("$nginx_master")
  [ "$up" -eq 1 ] || die "nginx $name did not start"
  worker=$nginx_worker master=$nginx_master
  started+=("$worker")
  instance_pids+=("$worker")
  nginx_masters+=("$master")
  nginx_ports+=("$port")
}

start_nchans() {
  start_redis
  instance_pids=() nginx_masters=() nginx_ports=() urls=()
  channel=$((channel + 1))
  local name p
  for name in a b c; do start_nginx "$name"; done
  for p in "${nginx_ports[@]}"; do urls+=("http://127.0.0.1:$p/sub?id=bench$channel"); done
  pub_args=(--publish-url "http://127.0.0.1:${nginx_ports[0]}/pub?id=bench$channel")
  # Wait until every instance has its two Redis connections (commands, pub/sub), plus the asking
  # redis-cli: a publish before that is lost.
  for _ in $(seq 100); do
    [ "$(redis CLIENT LIST 2>/dev/null | grep -c .)" -ge 7 ] && break
    sleep 0.1
  done
}

start_server() {
  case $1 in
    sse-serve) start_replicas ;;
    single) start_single ;;
    nchan) start_nchans ;;
  esac
}

# The load average now (in $load_avg), and the most seen (in $max_load). Not called in $(...): a
# subshell's max_load would be lost.
max_load=0
note_load() {
  read -r load_avg _ </proc/loadavg
  max_load=$(awk -v a="$max_load" -v b="$load_avg" 'BEGIN { print (b > a ? b : a) }')
}

# record SERVER SCENARIO REP LOADGEN_JSON EXTRA_JSON
record() {
  printf '{"server": "%s", "scenario": "%s", "rep": %d, %s%s}\n' "$1" "$2" "$3" \
    "$(sed 's/^{//; s/}$//' "$4")" "$5" >>"$results"
}

pids_csv() { local IFS=,; echo "${instance_pids[*]}"; }
url_args() { local u; for u in "${urls[@]}"; do printf -- '--url\n%s\n' "$u"; done; }

run_rate() {  # run_rate SERVER RATE REP
  local server=$1 rate=$2 rep=$3
  start_server "$server"
  note_load
  say "$server rate@${rate}/s: $clients clients, run $rep/$repeat (load average $load_avg)"
  local r0=0 calls0=(0 0)
  if [ -n "$redis_pid" ]; then r0=$(cpu_ticks "$redis_pid"); read -r -a calls0 < <(redis_calls); fi
  local args=() status=0
  mapfile -t args < <(url_args)
  "${on_cpu1[@]}" "$loadgen" "${args[@]}" --clients "$clients" --server-pid "$(pids_csv)" --json \
    "${pub_args[@]}" --rate "$rate" --duration "$duration" --drain "$drain" \
    --timeout $((120 + duration + drain)) >"$tmp/run.json" || status=$?
  local redis_cpu=0 calls1=(0 0)
  if [ -n "$redis_pid" ]; then
    redis_cpu=$(awk -v a="$r0" -v b="$(cpu_ticks "$redis_pid")" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }')
    read -r -a calls1 < <(redis_calls)
  fi
  stop_all
  [ -s "$tmp/run.json" ] || die "$server rate@$rate: the load generator reported nothing (exit $status)"
  record "$server" "rate@${rate}/s" "$rep" "$tmp/run.json" \
    ", \"redis_cpu_s\": $redis_cpu, \"redis_commands\": $((calls1[0] - calls0[0]))"
}

run_storm() {  # run_storm SERVER storm|storm-cold REP
  local server=$1 scenario=$2 rep=$3 half=$((storm_events / 2)) id=
  start_server "$server"
  note_load
  say "$server $scenario: $storm_events events, then $clients clients resume at once, run $rep/$repeat (load average $load_avg)"
  # The history, watched by one subscriber on B: it gives the id of the middle event as that
  # server sends it (sse-serve: the Redis id; nchan: its own TIME:N).
  curl -sN --max-time 60 -H 'Accept: text/event-stream' "${urls[1]}" >"$tmp/watch.txt" 2>/dev/null &
  local watch=$!
  started+=("$watch")
  for _ in $(seq 100); do
    [ -s "$tmp/watch.txt" ] && break  # its response has begun (both send a comment first)
    sleep 0.05
  done
  "$loadgen" --url "${urls[0]}" --clients 0 "${pub_args[@]}" --rate 2000 --events "$storm_events" \
    --drain 10 --json >/dev/null
  for _ in $(seq 100); do
    [ "$(grep -c '^data:' "$tmp/watch.txt")" -ge "$storm_events" ] && break
    sleep 0.1
  done
  kill "$watch" 2>/dev/null || true
  id=$(awk -v want="$half" '/^id:/ { id = substr($0, 4); sub(/^ /, "", id) }
    /^data:/ { split(substr($0, 6), f, " "); if (f[1] + 0 == want) { print id; exit } }' "$tmp/watch.txt")
  [ -n "$id" ] || die "$server storm: no id for event $half (the watcher got $(grep -c '^data:' "$tmp/watch.txt") events)"
  # A dies; its clients come back to the others.
  kill -9 "${instance_pids[0]}"
  if [ "$server" = nchan ]; then
    kill -9 "${nginx_masters[0]}"
    wait "${nginx_masters[0]}" 2>/dev/null || true
  else
    wait "${instance_pids[0]}" 2>/dev/null || true
  fi
  local survivors=("${urls[@]:1}") pids=("${instance_pids[@]:1}")
  urls=("${survivors[@]}") instance_pids=("${pids[@]}")
  if [ "$scenario" = storm-cold ]; then
    # B and C replaced by new instances that never read the events live (as after a scale-out):
    # nothing is in their memory, every replay comes from Redis.
    local p
    for p in "${instance_pids[@]}"; do kill -9 "$p"; done
    if [ "$server" = nchan ]; then
      for p in "${nginx_masters[@]:1}"; do kill -9 "$p"; wait "$p" 2>/dev/null || true; done
      instance_pids=() nginx_masters=() nginx_ports=() urls=()
      start_nginx b2
      start_nginx c2
      for p in "${nginx_ports[@]}"; do urls+=("http://127.0.0.1:$p/sub?id=bench$channel"); done
    else
      for p in "${instance_pids[@]}"; do wait "$p" 2>/dev/null || true; done
      instance_pids=() urls=()
      local name
      for name in b2 c2; do
        start_serve "$name" --redis "redis://127.0.0.1:$redis_port" --history "$((storm_events * 2))"
        urls+=("$serve_url/events") instance_pids+=("$serve_pid")
      done
    fi
  fi
  local args=() status=0 calls0=(0 0) calls1=(0 0) r0
  mapfile -t args < <(url_args)
  read -r -a calls0 < <(redis_calls)
  r0=$(cpu_ticks "$redis_pid")
  "${on_cpu1[@]}" "$loadgen" "${args[@]}" --clients "$clients" --server-pid "$(pids_csv)" --json \
    --last-event-id "$id" --resume-after "$half" --events $((storm_events - half)) \
    --max-pending "$clients" --settle 0 --timeout 60 >"$tmp/run.json" || status=$?
  read -r -a calls1 < <(redis_calls)
  local redis_cpu
  redis_cpu=$(awk -v a="$r0" -v b="$(cpu_ticks "$redis_pid")" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }')
  stop_all
  [ -s "$tmp/run.json" ] || die "$server storm: the load generator reported nothing (exit $status)"
  record "$server" "$scenario" "$rep" "$tmp/run.json" ", \"redis_cpu_s\": $redis_cpu, \"redis_commands\": $((calls1[0] - calls0[0])), \"redis_xrange\": $((calls1[1] - calls0[1]))"
}

if [ "$report_only" -eq 0 ]; then
  for rep in $(seq "$repeat"); do
    if in_groups rate; then
      for rate in $rates; do
        for server in sse-serve single nchan; do
          [ -n "$only" ] && [ "$server" != "$only" ] && continue
          run_rate "$server" "$rate" "$rep"
        done
      done
    fi
    for scenario in storm storm-cold; do
      in_groups "$scenario" || continue
      for server in sse-serve nchan; do
        [ -n "$only" ] && [ "$server" != "$only" ] && continue
        run_storm "$server" "$scenario" "$rep"
      done
    done
  done
fi

# -- the table: medians over the repeats ----------------------------------------------------------

lines_of() { grep -F "\"server\": \"$1\", \"scenario\": \"$2\"," "$results" || true; }
median() { lines_of "$1" "$2" | median_of "$3"; }
all_delivered() {
  local total ok
  total=$(lines_of "$1" "$2" | wc -l)
  ok=$(lines_of "$1" "$2" | grep -c '"all_delivered": true' || true)
  if [ "$total" -eq 0 ]; then echo -; elif [ "$ok" -eq "$total" ]; then echo yes; else
    echo "no ($ok/$total; median $(median "$1" "$2" missed) missed)"; fi
}
line() { printf '%-62s  %8s   %-6s %s\n' "$1" "$2" "$3" "$4"; }

echo
echo "Medians of $repeat run(s). sse-serve: 3 replicas + 1 Redis; single: one sse-serve without"
echo "Redis; nchan: 3 nginx + nchan sharing one Redis. CPU/ev: the instances' CPU per delivered"
echo "event; Redis s: Redis's CPU time over the run; storm s: from the first reconnect until every"
echo "client had every missed event."
printf '%-10s  %-11s  %12s  %9s  %9s  %9s  %8s  %8s  %9s  %8s  %s\n' server scenario "delivered/s" \
  "p50 ms" "p99 ms" "us CPU/ev" "Redis s" "storm s" "commands" XRANGE "all delivered"
keys=$(sed -n 's/.*"server": "\([^"]*\)", "scenario": "\([^"]*\)",.*/\2|\1/p' "$results" | awk '!seen[$0]++')
while IFS='|' read -r sc s; do
  [ -n "$sc" ] || continue
  rate=$(fmt "$(median "$s" "$sc" delivered_per_s)" '%.0f')
  p50=$(fmt "$(median "$s" "$sc" latency_p50_ms)" '%.2f')
  p99=$(fmt "$(median "$s" "$sc" latency_p99_ms)" '%.2f')
  cpu=$(fmt "$(median "$s" "$sc" cpu_us_per_event)" '%.3f')
  rcpu=$(fmt "$(median "$s" "$sc" redis_cpu_s)" '%.2f')
  storm=- cmds=$(fmt "$(median "$s" "$sc" redis_commands)" '%.0f') xr=-
  if [[ $sc == storm* ]]; then
    storm=$(fmt "$(median "$s" "$sc" run_s)" '%.2f')
    xr=$(fmt "$(median "$s" "$sc" redis_xrange)" '%.0f')
    rate=- p50=- p99=- cpu=-
  fi
  [ "$s" = single ] && rcpu=- cmds=-
  printf '%-10s  %-11s  %12s  %9s  %9s  %9s  %8s  %8s  %9s  %8s  %s\n' "$s" "$sc" "$rate" "$p50" \
    "$p99" "$cpu" "$rcpu" "$storm" "$cmds" "$xr" "$(all_delivered "$s" "$sc")"
done <<<"$keys"

echo
line "ratio (medians)" value target verdict
in_groups rate || rates=
for rate in $rates; do
  x=$(ratio "$(median sse-serve "rate@${rate}/s" delivered_per_s)" "$(median nchan "rate@${rate}/s" delivered_per_s)")
  v=$(verdict "$x" '>=' 2)
  # Delivering (nearly) all that was offered, the replicas cannot be further ahead: the offered
  # rate, not the servers, then sets the ratio.
  if [ "$v" = MISSED ] && awk -v a="$(median sse-serve "rate@${rate}/s" delivered_per_s)" \
    -v o="$(median sse-serve "rate@${rate}/s" offered_per_s)" 'BEGIN { exit !(a >= 0.97 * o) }'; then
    v="not reachable: the replicas delivered all offered"
  fi
  line "delivered/s at $rate ev/s, replicas/nchan" "$x" ">= 2" "$v"
  x=$(ratio "$(median sse-serve "rate@${rate}/s" latency_p99_ms)" "$(median nchan "rate@${rate}/s" latency_p99_ms)")
  line "  p99 latency, replicas/nchan" "$x" "< 1" "$(verdict "$x" '<' 1)"
  x=$(ratio "$(median sse-serve "rate@${rate}/s" delivered_per_s)" "$(median single "rate@${rate}/s" delivered_per_s)")
  line "  delivered/s, replicas/single process" "$x" "-" ""
done
for sc in storm storm-cold; do
  in_groups "$sc" || continue
  x=$(ratio "$(median sse-serve "$sc" run_s)" "$(median nchan "$sc" run_s)")
  line "$sc: time until all caught up, replicas/nchan" "$x" "< 1" "$(verdict "$x" '<' 1)"
  x=$(median sse-serve "$sc" redis_xrange)
  line "  XRANGE per resuming client (sse-serve; target: far below 1)" \
    "$(awk -v x="$x" -v n="$clients" 'BEGIN { if (x == "-") print "-"; else printf "%.4f", x / n }')" "< 0.1" \
    "$(awk -v x="$x" -v n="$clients" 'BEGIN { if (x == "-") print "n/a"; else print (x < n / 10 ? "met" : "MISSED") }')"
done
echo
if awk -v l="$max_load" 'BEGIN { exit !(l > 1.5) }'; then
  echo "WARNING: the load average reached $max_load during the runs: other processes competed for"
  echo "         the two CPUs, so these figures are rough."
fi
echo "results: $results"
