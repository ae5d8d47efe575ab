#!/usr/bin/env bash
# libsse's parser and encoder benchmark, and the peer comparison against npm eventsource-parser.
#
#   scripts/bench.sh [--reps N] [--runs N] [--min-time S] [--cpu N] [--build-dir DIR]
#
# 1. scripts/setup.sh bench; the release preset configured and built (cmake --preset release, then
#    cmake --build --preset release); with --build-dir DIR, DIR configured from the release preset
#    and only parser_bench built in it.
# 2. (setup.sh bench installs eventsource-parser into tests/bench/js from its lock file.)
# 3. parser_bench --write-corpus writes the corpora (tiny, typical, large, typical-crlf,
#    typical-utf8; 8 MiB each) to a temporary directory.
# 4. parser_bench with --benchmark_repetitions=N (default 5) --benchmark_report_aggregates_only=true
#    (--benchmark_min_time=S per repetition, default 0.5), then tests/bench/js/parser_bench.mjs on
#    the same files with eventsource-parser 4.1.3 and 3.1.1 (--runs N, default 11).
# 5. The table: corpus, ours MB/s, eventsource-parser MB/s, ratio, memchr MB/s ceiling, targets; then
#    events/s, the whole-buffer and parse-only variants, memcpy, and the encoder.
# Medians of CPU time on both sides, so other load on the machine disturbs them less than wall
# time would. --cpu N runs both benchmarks pinned to core N (taskset).
#
# Exit status: 0 when every run completed with the right event counts (targets met or not: the
# table says), 1 when a build or run failed or miscounted, 2 on a usage error.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reps=5
runs=11
min_time=0.5
cpu=
build=

usage() {
  sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^# */usage: /' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --reps) reps=${2:-}; shift 2 || usage ;;
    --runs) runs=${2:-}; shift 2 || usage ;;
    --min-time) min_time=${2:-}; shift 2 || usage ;;
    --cpu) cpu=${2:-}; shift 2 || usage ;;
    --build-dir) build=$(realpath -m "${2:?}"); shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: error: unknown argument: $1" >&2; usage ;;
  esac
done
[[ $reps =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] ||
  { echo "bench: error: --reps and --runs take positive integers" >&2; exit 2; }
[[ $min_time =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
  { echo "bench: error: --min-time takes a number of seconds" >&2; exit 2; }
[[ -z $cpu || $cpu =~ ^[0-9]+$ ]] || { echo "bench: error: --cpu takes a core number" >&2; exit 2; }

fail() { echo "bench: error: $*" >&2; exit 1; }

bash "$root/scripts/setup.sh" bench
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"  # the presets fix no job count

cd "$root"
if [ -z "$build" ]; then
  build=$root/build/release
  cmake --preset release >&2
  cmake --build --preset release >&2
else
  [ -f "$build/CMakeCache.txt" ] || cmake --preset release -B "$build" >&2
  cmake --build "$build" --target parser_bench >&2
fi
bench=$build/tests/bench/parser_bench
[ -x "$bench" ] || fail "$bench was not built (is SSE_BUILD_BENCHMARKS off in $build?)"

js=$root/tests/bench/js

pin=()
if [ -n "$cpu" ]; then
  command -v taskset >/dev/null || fail "--cpu needs taskset (util-linux)"
  pin=(taskset -c "$cpu")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" --write-corpus "$work" || fail "parser_bench could not write the corpora"

echo "bench: libsse ($reps repetitions of each benchmark)" >&2
"${pin[@]}" "$bench" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_min_time="$min_time" \
  --benchmark_out="$work/ours.json" --benchmark_out_format=json >&2 ||
  fail "parser_bench failed (a wrong event count makes it exit 1)"

for pkg in eventsource-parser eventsource-parser-3; do
  echo "bench: $pkg (median of $runs runs)" >&2
  "${pin[@]}" node "$js/parser_bench.mjs" "$work" --runs "$runs" --package "$pkg" --json \
    >"$work/$pkg.json" || fail "parser_bench.mjs failed with $pkg"
done

echo >&2
node "$js/report.mjs" "$work/ours.json" "$work/eventsource-parser.json" "$work/eventsource-parser-3.json"
