#!/usr/bin/env bash
# Sets everything up and runs every test: the debug build (warnings are errors), then the same
# suite under AddressSanitizer + UndefinedBehaviorSanitizer, then every fuzz target for 30 s under
# libFuzzer (clang; a crash fails). This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/sse-ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"

for preset in dev asan; do
  echo "== $preset: configure, build, test"
  cmake --workflow --preset "$preset"
done

echo "== fuzz: every target for 30 s"
bash scripts/fuzz.sh 30
