#!/usr/bin/env bash
# The live demo: installs what is needed, builds sse-serve (release), and streams a live feed of
# this machine's vital signs to any browser. Open the URL it prints; Ctrl-C ends it.
#   PORT=9000 bash scripts/demo.sh      another port (0 picks a free one)
#   HOST=0.0.0.0 bash scripts/demo.sh   reachable from other machines
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh demo

# A plain consumer build (no developer mode: no tests, so none of their packages) in its own
# directory with release flags: quick on a fresh machine, and it leaves the presets' builds as
# they are. CMAKE_BUILD_PARALLEL_LEVEL sets the jobs (default: one per core).
build=${BUILD_DIR:-build/demo}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} cmake --build "$build" --target sse-serve
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
