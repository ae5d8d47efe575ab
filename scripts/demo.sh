#!/usr/bin/env bash
# The live demo: installs what is needed, builds sse-serve (release), and streams a live feed of
# this machine's vital signs to any browser. Open the URL it prints; Ctrl-C ends it.
#   PORT=9000 bash scripts/demo.sh      another port (0 picks a free one)
#   HOST=0.0.0.0 bash scripts/demo.sh   reachable from other machines
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

# Its own build directory, release flags, tools only: quick on a fresh machine, and it leaves the
# release build (benchmarks, tests) as it is.
build=${BUILD_DIR:-build/demo}
cmake --preset release -B "$build" -DSSE_BUILD_TESTS=OFF -DSSE_BUILD_BENCHMARKS=OFF \
  -DSSE_BUILD_FUZZERS=OFF >/dev/null
cmake --build "$build" --target sse-serve -j "${JOBS:-2}"
serve=$build/tools/sse-serve/sse-serve

# One line per second: load, memory, processes (the page shows the time); every tenth a heartbeat event
# of its own type, so the page shows typed events too.
feed() {
  local n=0
  while :; do
    n=$((n + 1))
    read -r l1 l5 l15 procs _ </proc/loadavg
    mem=$(awk '/^MemTotal/ {t=$2} /^MemAvailable/ {a=$2} END {printf "%.1f of %.1f GiB used", (t-a)/1048576, t/1048576}' /proc/meminfo)
    if [ $((n % 10)) -eq 0 ]; then
      printf '{"event":"heartbeat","data":"%d samples so far"}\n' "$n"
    else
      printf '{"data":"load %s %s %s   memory %s   %s processes"}\n' "$l1" "$l5" "$l15" "$mem" "${procs#*/}"
    fi
    sleep 1
  done
}

echo "demo: streaming this machine's load and memory (the last minute shows at once); open the URL below (Ctrl-C ends)" >&2
feed | exec "$serve" --host "${HOST:-127.0.0.1}" -p "${PORT:-8080}" --format json --retry 1000 --backlog 60
