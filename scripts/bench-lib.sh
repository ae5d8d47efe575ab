# shellcheck shell=bash
# A library sourced by the benchmarks: it sets variables they read (SC2034) and reads ones they set
# (SC2154).
# shellcheck disable=SC2034,SC2154
# What the side-by-side benchmarks (bench-fanout.sh, bench-tls.sh, bench-redis.sh) share: the
# options they all take, the CPU pinning, the setup and build step, and nginx + nchan with one
# worker. Sourced after each script sets root and bench_name; the functions after bench_option
# also need the parsed options and the script's say and die.

# bench_option ARGS...: takes an option all the benchmarks have from the front of ARGS
# (--no-setup, --no-build, --build-dir DIR, --out DIR, --groups LIST, --only SERVER, --repeat N,
# --duration S, --nice N, --report-only, -h/--help, which calls the script's usage) and sets
# bench_took to how many arguments it used: 0 when the first is none of these.
bench_option() {
  bench_took=1
  case $1 in
    --no-setup) setup=0 ;;
    --no-build) build=0 ;;
    --report-only) report_only=1 setup=0 build=0 ;;
    -h|--help) usage; exit 0 ;;
    --build-dir|--out|--groups|--only|--repeat|--duration|--nice)
      [ $# -ge 2 ] || { echo "$bench_name: error: $1 needs a value (see --help)" >&2; exit 2; }
      bench_took=2
      case $1 in
        --build-dir) build_dir=$(cd "$2" && pwd) ;;
        --out) out=$2 ;;
        --groups) groups=$2 ;;
        --only) only=$2 ;;
        --repeat) repeat=$2 ;;
        --duration) duration=$2 ;;
        --nice) niceness=$2 ;;
      esac ;;
    *) bench_took=0 ;;
  esac
}

# on_cpu0 and on_cpu1: prefixes that run a program on that CPU at the script's --nice, which is
# also set on the script's autogroup (with autogrouping, as here, plain nice only ranks processes
# within their own session). Prefixes, not functions: a function run in the background would be
# a subshell, and $! its pid rather than the program's.
bench_pin() {
  on_cpu0=(nice -n "$niceness" taskset -c 0)
  on_cpu1=(nice -n "$niceness" taskset -c 1)
  if [ "$niceness" -ne 0 ] && [ -w /proc/self/autogroup ]; then
    echo "$niceness" >/proc/self/autogroup 2>/dev/null || say "cannot set the autogroup's niceness"
  fi
}

# bench_prepare SETUP BUILD TARGET...: setup.sh's bench profile when SETUP is 1, then the release
# build of the targets when BUILD is 1.
bench_prepare() {
  local setup=$1 build=$2
  shift 2
  [ "$setup" -eq 0 ] || bash "$root/scripts/setup.sh" bench
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"  # the presets fix no job count
  [ "$build" -eq 0 ] ||
    (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target "$@")
}

nchan_module=/usr/lib/nginx/modules/ngx_nchan_module.so

# nginx_conf_head DIR RLIMIT CONNECTIONS: the start of DIR/nginx.conf for one worker with nchan,
# up to and including "http {"; the caller appends its upstreams and servers, and the "}".
nginx_conf_head() {
  local dir=$1
  cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
worker_rlimit_nofile $2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
load_module $nchan_module;
events { worker_connections $3; multi_accept on; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
CONF
}

# nginx_start DIR [PORT]: nginx with DIR/nginx.conf on CPU 0. Sets nginx_master at once (for the
# caller's cleanup) and nginx_worker, its one worker (which does all the work), once it runs and
# PORT, if given, takes connections. Fails (status 1, nginx's error log on stderr) if it does not
# start within 10 s.
nginx_start() {
  local dir=$1 port=${2:-} _
  "${on_cpu0[@]}" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>/dev/null &
  nginx_master=$!
  nginx_worker=
  for _ in $(seq 200); do
    [ -n "$nginx_worker" ] ||
      nginx_worker=$(awk -v m="$nginx_master" '$4 == m { print $1; exit }' /proc/[0-9]*/stat 2>/dev/null || true)
    if [ -n "$nginx_worker" ] && { [ -z "$port" ] || (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }; then
      return 0
    fi
    kill -0 "$nginx_master" 2>/dev/null || break
    sleep 0.05
  done
  cat "$dir/error.log" >&2
  nginx_worker=
  return 1
}

# -- the tables: medians over the repeats, their ratios, and verdicts against the targets --------

# median_of KEY: the median of KEY's values in the JSON lines on stdin, or "-" when none has it.
median_of() {
  sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
          else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# fmt VALUE FORMAT: VALUE in printf's FORMAT, or "-".
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "-") print "-"; else printf f, v }'; }
# ratio A B: A / B; "-" when either is missing or zero (nothing delivered, so no latency either).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a + 0 == 0 || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
# verdict VALUE OP TARGET (OP: >=, <= or <): met, MISSED, or n/a without a value.
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
  if (v == "-") { print "n/a"; exit }
  ok = (op == ">=") ? (v + 0 >= t + 0) : (op == "<=") ? (v + 0 <= t + 0) : (v + 0 < t + 0)
  print ok ? "met" : "MISSED" }'; }
