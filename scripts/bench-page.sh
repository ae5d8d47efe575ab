#!/usr/bin/env bash
# The live page's benchmark (issue 10, item 2): the page of sse-serve in Debian's chromium
# (headless) under a burst of stdin lines, the current page beside the old one (before batched
# rendering) and beside chromium's EventSource alone, in the same run.
#
# Both pages are served by the same sse-serve sources (the release preset): the old page is built
# into a copy of this tree (build/bench-page/old-page) with tools/sse-serve/page/index.html taken
# from --old REV, so the page is the only difference. Each measurement starts a fresh server
# (--client-buffer 256M: it never drops the page) and a fresh browser, waits until the page is
# connected, then writes N lines to the server's stdin. Scenarios:
#   short, full speed   N (default 500,000) lines as `seq` prints them, written at once
#   200 B, full speed   N (default 100,000) lines of 200 bytes
#   short, RATE/s       the same short lines paced at RATE a second (default 100,000)
#   200 B, RATE/s       the 200-byte lines paced likewise
# Printed per scenario and page (medians of --runs, default 3): lines shown per second (lines the
# page put on screen; lines it skipped to catch up do not count), events received per second,
# lines skipped, the most events seen waiting in the page's queue, how many runs ended with the
# last line on screen and the median time until it was, and how many runs the server dropped the
# page. The peer "eventsource" is a blank page whose EventSource handler only counts: the most
# events a second chromium hands any page on this machine. Results: build/bench-page/results.jsonl.
#
# The browser is driven over --remote-debugging-pipe with only the Target and Runtime domains:
# playwright (--driver playwright, as the interop tests) enables the Network domain, and chromium
# then reports every EventSource message to the driver, which caps any page at about a quarter of
# the events a second.
#
# usage: scripts/bench-page.sh [--no-setup] [--no-build] [--old REV] [--runs N] [--short N]
#          [--long N] [--rate N] [--deadline S] [--driver pipe|playwright]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/build/bench-page
setup=1
build=1
old_rev=ef0aa5b
bench_args=()

usage() { sed -n '2,/^set -e/{/^set -e/!p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --no-setup) setup=0 ;;
    --no-build) build=0 ;;
    --old) old_rev=${2:?--old needs a revision}; shift ;;
    --runs|--short|--long|--rate|--deadline|--driver) bench_args+=("$1" "${2:?$1 needs a value}"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-page: error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "bench-page: error: $*" >&2; exit 1; }

if [ "$setup" -eq 1 ]; then
  "$root/scripts/setup.sh"
fi
git -C "$root" cat-file -e "$old_rev:tools/sse-serve/page/index.html" 2>/dev/null ||
  die "no tools/sse-serve/page/index.html at revision $old_rev"

# The old page's tree: this tree's tracked files (as they are now) with the old page in place.
# Files are copied with their times and the page rewritten only when it differs, so a rebuild
# compiles only what changed.
old_tree=$out/old-page
if [ "$build" -eq 1 ]; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$root")}
  (cd "$root" && cmake --preset release >/dev/null && cmake --build build/release --target sse-serve) ||
    die "cannot build sse-serve (release preset)"
  mkdir -p "$old_tree"
  page=tools/sse-serve/page/index.html
  (cd "$root" && git ls-files -z | grep -zvx "$page" | tar --null -T - -cf - | tar -xf - -C "$old_tree")
  git -C "$root" show "$old_rev:$page" >"$old_tree/page.html.new"
  if ! cmp -s "$old_tree/page.html.new" "$old_tree/$page"; then
    mv "$old_tree/page.html.new" "$old_tree/$page"
  fi
  rm -f "$old_tree/page.html.new"
  (cd "$old_tree" && cmake --preset release >/dev/null && cmake --build build/release --target sse-serve) ||
    die "cannot build sse-serve with the page of $old_rev in $old_tree"
fi

new_serve=$root/build/release/tools/sse-serve/sse-serve
old_serve=$old_tree/build/release/tools/sse-serve/sse-serve
[ -x "$new_serve" ] || die "no sse-serve at $new_serve (drop --no-build)"
[ -x "$old_serve" ] || die "no sse-serve with the old page at $old_serve (drop --no-build)"
command -v node >/dev/null || die "node is needed (scripts/setup.sh installs it)"

mkdir -p "$out"
echo "bench-page: old page from $old_rev; every run takes a fresh server and browser" >&2
node "$root/tests/bench/page/bench.mjs" --page "new=$new_serve" --page "old=$old_serve" --peer \
  --out "$out/results.jsonl" "${bench_args[@]}"
