#!/usr/bin/env bash
# Runs every libFuzzer target (clang, the `fuzz` preset) for SECONDS each, default 60, starting
# from its checked-in corpus in tests/fuzz/corpus/NAME. New interesting inputs go to a scratch
# corpus under build/fuzz/corpus (copy the good ones back by hand); a crash fails the script and
# leaves its input under build/fuzz/artifacts: add it to tests/fuzz/corpus/NAME as a regression.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh test

seconds=${1:-60}
shift || true

export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
cmake --workflow --preset fuzz  # configure, then build the `fuzzers` target

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in tests/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

mkdir -p build/fuzz/artifacts
status=0
passed=0
failed=0
for name in "${targets[@]}"; do
  binary=build/fuzz/tests/fuzz/fuzz_$name
  [ -x "$binary" ] || { echo "fuzz: error: no target fuzz_$name (see tests/fuzz/CMakeLists.txt)" >&2; exit 2; }
  scratch=build/fuzz/corpus/$name
  mkdir -p "$scratch"
  echo "== fuzz_$name for ${seconds}s"
  if ! "$binary" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build/fuzz/artifacts/"$name"- "$scratch" "tests/fuzz/corpus/$name" \
      2>build/fuzz/"$name".log; then
    tail -n 40 build/fuzz/"$name".log >&2
    echo "fuzz: error: fuzz_$name failed; its input is in build/fuzz/artifacts/" >&2
    status=1
    failed=$((failed + 1))
  else
    grep -E '^stat::number_of_executed_units|^Done' build/fuzz/"$name".log || true
    passed=$((passed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
