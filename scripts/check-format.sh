#!/usr/bin/env bash
# Fails when a C++ file differs from what clang-format (with the repository's .clang-format) makes
# of it; prints the files and how to fix them. CI runs it first (scripts/test.sh). Templates that
# configure_file fills in (*.hpp.in) are left out: clang-format splits their @VARIABLE@ markers.
#   usage: scripts/check-format.sh [--fix]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v clang-format >/dev/null || { echo "check-format: error: clang-format not found (bash scripts/setup.sh)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} file(s) are not formatted as .clang-format says:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "check-format: run 'bash scripts/check-format.sh --fix' (or clang-format -i FILE)" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
