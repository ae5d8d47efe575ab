#!/usr/bin/env bash
# bench.smoke: parser_bench runs every benchmark once, briefly (each parser run checks its event
# and data byte counts against the corpus and a mismatch makes the exit status 1), and
# --write-corpus writes files that match the manifest it writes with them.
#
#   smoke.sh PARSER_BENCH
set -euo pipefail
bench=${1:?usage: smoke.sh PARSER_BENCH}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bench" --benchmark_min_time=0.01 --benchmark_filter='^(parse|memchr|memcpy|encode)/' \
  --benchmark_format=json --benchmark_out="$work/run.json" --benchmark_out_format=json >/dev/null ||
  { echo "smoke: parser_bench failed:" >&2; grep '"error_message"' "$work/run.json" >&2 || true; exit 1; }

# Every benchmark ran, none reported an error, and the parser runs measured bytes and events.
expected=23  # 5 corpora x (parse 64KiB, parse whole, memchr, memcpy) + 3 encoder batches
ran=$(grep -c '"run_type": "iteration"' "$work/run.json" || true)
[ "$ran" = "$expected" ] || { echo "smoke: $ran benchmarks ran, expected $expected" >&2; exit 1; }
if grep -q '"error_occurred": true' "$work/run.json"; then
  echo "smoke: a benchmark reported an error:" >&2
  grep '"error_message"' "$work/run.json" >&2
  exit 1
fi
zero=$(grep -E '"(bytes_per_second|events)": 0(\.0+)?(e\+00)?,?$' "$work/run.json" || true)
[ -z "$zero" ] || { echo "smoke: a benchmark measured nothing: $zero" >&2; exit 1; }

# The corpora on disk are what the manifest says, in size and in events (one blank line ends each
# event, and these corpora have no other empty lines).
"$bench" --write-corpus "$work"
for name in tiny typical large typical-crlf typical-utf8; do
  file=$work/$name.sse
  [ -s "$file" ] || { echo "smoke: $file missing or empty" >&2; exit 1; }
  line=$(grep "\"name\": \"$name\"" "$work/manifest.json") ||
    { echo "smoke: $name not in the manifest" >&2; exit 1; }
  bytes=$(sed -E 's/.*"bytes": ([0-9]+).*/\1/' <<<"$line")
  events=$(sed -E 's/.*"events": ([0-9]+).*/\1/' <<<"$line")
  size=$(stat -c %s "$file")
  [ "$size" = "$bytes" ] || { echo "smoke: $name is $size bytes, manifest says $bytes" >&2; exit 1; }
  blank=$(tr -d '\r' <"$file" | grep -c '^$' || true)
  [ "$blank" = "$events" ] || { echo "smoke: $name has $blank events, manifest says $events" >&2; exit 1; }
done
echo "smoke: $ran benchmarks ran cleanly; corpora match the manifest"
