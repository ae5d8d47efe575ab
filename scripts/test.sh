#!/usr/bin/env bash
# Sets everything up and runs every test: the format check (clang-format, .clang-format), the
# debug build (warnings are errors), the same suite under AddressSanitizer + UndefinedBehavior-
# Sanitizer, then every fuzz target for 10 s under libFuzzer (clang; a crash fails). Both suites
# already replay every fuzz corpus; the short libFuzzer run keeps the clang build working. Long
# runs: scripts/fuzz.sh SECONDS. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh test

echo "== format"
bash scripts/check-format.sh

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/sse-ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"
# The presets fix no job counts: one compile and one test per core unless the caller says otherwise.
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
export CTEST_PARALLEL_LEVEL="${CTEST_PARALLEL_LEVEL:-$(nproc)}"

mkdir -p build
log=build/test.log
: >"$log"
for preset in dev asan; do
  echo "== $preset: configure, build, test"
  start=$SECONDS
  cmake --workflow --preset "$preset" 2>&1 | tee -a "$log"
  echo "== $preset: $((SECONDS - start)) s"
done

echo "== fuzz: every target for 10 s"
start=$SECONDS
bash scripts/fuzz.sh 10 2>&1 | tee -a "$log"
echo "== fuzz: $((SECONDS - start)) s"

# One closing line over everything above (ctest's own summaries are further up).
read -r passed failed < <(awk '
  / tests failed out of / { n = split($0, w, " "); fl = w[n - 5]; p += w[n] - fl; f += fl }
  /^fuzz: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
  END { print p + 0, f + 0 }' "$log")
echo "all: $passed passed, $failed failed"
