#!/usr/bin/env bash
# bench.fanout.smoke: the fan-out benchmark's pipelines on a small load, as a correctness check.
# 50 clients connect to sse-serve and to the yardstick; the load generator publishes 200
# timestamped events (in bursts, closed loop, then paced; over stdin as lines, as JSON lines to 5
# topics, and as POSTs to 5 topics and to no subscriber at all, one in flight and pipelined; the
# yardstick also by POSTs);
# every client must get every event of its topic, in order, once, and every POST its 2xx. Then
# clients spread over two URLs of one stream, and clients resuming with Last-Event-ID. Last, the
# same over TLS (--tls, with a throwaway self-signed certificate made here): the handshakes inside
# the load generator's loop, and every event through OpenSSL.
# Nothing here is timed: the only bound is a deadline against hangs.
# usage: smoke.sh SSE_SERVE FANOUT_LOADGEN FANOUT_YARDSTICK
set -euo pipefail

serve=${1:?usage: smoke.sh SSE_SERVE FANOUT_LOADGEN FANOUT_YARDSTICK}
loadgen=${2:?usage: smoke.sh SSE_SERVE FANOUT_LOADGEN FANOUT_YARDSTICK}
yardstick=${3:?usage: smoke.sh SSE_SERVE FANOUT_LOADGEN FANOUT_YARDSTICK}
for exe in "$serve" "$loadgen" "$yardstick"; do
  [ -x "$exe" ] || { echo "smoke: error: not executable: $exe" >&2; exit 1; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Not `--help | grep -q`: grep's early exit may kill the writer, and pipefail then says no.
if [[ $("$serve" --help) != *--publish-token-file* ]]; then
  echo "smoke: error: $serve has no --publish-token-file (HTTP publishing)" >&2
  exit 1
fi
echo "smoke-token-$$" >"$tmp/token"

# start NAME FD COMMAND...: runs COMMAND with its stdin on a FIFO held open read-write on FD
# (so it opens at once and sees no EOF between runs); sets url_NAME and pid_NAME.
start() {
  local name=$1 fd=$2 url= _
  shift 2
  mkfifo "$tmp/$name.in"
  : >"$tmp/$name.err"  # before the loop below reads it (the child opens it a moment later)
  eval "exec $fd<>\"\$tmp/\$name.in\""
  "$@" <"$tmp/$name.in" 2>"$tmp/$name.err" &
  pids+=($!)
  printf -v "pid_$name" %s $!
  for _ in $(seq 200); do
    url=$(sed -n 's|.*listening on \(https\{0,1\}://[^ ]*\).*|\1|p' "$tmp/$name.err" | head -n 1) || url=
    [ -n "$url" ] && break
    kill -0 "$!" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$url" ]; then
    echo "smoke: error: $name printed no 'listening on' line; its stderr:" >&2
    cat "$tmp/$name.err" >&2
    exit 1
  fi
  printf -v "url_$name" %s "${url%/}"
}

start serve 3 "$serve" --port 0 --ping 0 --publish-token-file "$tmp/token"
start json 4 "$serve" --port 0 --ping 0 --format json
start yardstick 5 "$yardstick" --port 0
start resume 6 "$serve" --port 0 --ping 0
# The certificate is its own CA (the load generator trusts it with --cacert), for 127.0.0.1.
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/tls.key" \
  -out "$tmp/tls.pem" 2>"$tmp/openssl.err"; then
  echo "smoke: error: openssl could not make a certificate:" >&2
  cat "$tmp/openssl.err" >&2
  exit 1
fi
start tls 7 "$serve" --port 0 --ping 0 --tls-cert "$tmp/tls.pem" --tls-key "$tmp/tls.key"

failures=0
# run NAME PID CLIENTS CHECKS LOADGEN_ARGS...: one load generator run; the usual fields and each
# of CHECKS (';'-separated '"key": value,' texts) must be in its report.
run() {
  local name=$1 pid=$2 clients=$3 checks=$4
  shift 4
  local status=0
  "$loadgen" --clients "$clients" --server-pid "$pid" --timeout 60 --drain 20 --json "$@" \
    >"$tmp/$name.json" || status=$?
  echo "$name: $(cat "$tmp/$name.json")"
  local field extra
  IFS=';' read -ra extra <<<"$checks"
  for field in "\"connected\": $clients," '"order_errors": 0,' '"malformed": 0,' '"missed": 0,' \
               '"lost": 0,' '"framing_errors": 0,' '"publish_errors": 0,' '"all_delivered": true,' \
               '"timed_out": false,' "${extra[@]}"; do
    if ! grep -qF -- "$field" "$tmp/$name.json"; then
      echo "smoke: FAIL ($name): expected $field" >&2
      failures=$((failures + 1))
    fi
  done
  if [ "$status" -ne 0 ]; then
    echo "smoke: FAIL ($name): fanout-loadgen exited $status" >&2
    failures=$((failures + 1))
  fi
}
every200='"published": 200,;"events_min": 200,;"events_max": 200,'

# Bursts of 10 lines, at most 50 events ahead of the slowest client: several frames per write.
run burst "$pid_serve" 50 "$every200" --url "$url_serve/events" --publish-fd 3 \
  --events 200 --burst 10 --window 50
# Paced, one line at a time (each event its own write), decoded by libsse's full parser: the
# scanner's counts above must be the parser's.
run paced "$pid_serve" 50 "$every200" --url "$url_serve/events" --publish-fd 3 \
  --events 200 --rate 400 --parser libsse
# The yardstick, the same two ways.
run yardstick-burst "$pid_yardstick" 50 "$every200" --url "$url_yardstick/events" --publish-fd 5 \
  --events 200 --burst 10 --window 50
run yardstick-paced "$pid_yardstick" 50 "$every200" --url "$url_yardstick/events" --publish-fd 5 \
  --events 200 --rate 400 --parser libsse
# The yardstick's publisher: pipelined POSTs, each body an event for every client.
run yardstick-publish "$pid_yardstick" 50 "$every200;\"publish_responses\": 200," \
  --url "$url_yardstick/events" --publish-url "$url_yardstick/events" --events 200 --window 0 \
  --inflight 8
# Topics over stdin: JSON lines with a "topic", 5 topics x 10 clients on /events/TOPIC.
run topics-stdin "$pid_json" 50 '"published": 200,' --url "$url_json/events/{topic}" --topics 5 \
  --publish-fd 4 --publish-format json --events 200 --rate 400
# The same over HTTP: POSTs to /events/TOPIC over one keep-alive connection.
run topics-http "$pid_serve" 50 '"published": 200,;"publish_responses": 200,' \
  --url "$url_serve/events/{topic}" --topics 5 --publish-url "$url_serve/events/{topic}" \
  --publish-token-file "$tmp/token" --events 200 --rate 400
# Publish rate, no subscriber: one request in flight, then pipelined.
for inflight in 1 8; do
  run "publish-$inflight" "$pid_serve" 0 '"publish_responses": 200,' --url "$url_serve/events" \
    --publish-url "$url_serve/events/{topic}" --publish-token-file "$tmp/token" --events 200 \
    --window 0 --inflight "$inflight"
done
# Two URLs of one stream (as the replicas of bench-redis.sh are): clients alternate between them,
# and --server-pid takes a list.
run two-urls "$pid_serve" 50 "$every200" --url "$url_serve/events" \
  --url "${url_serve/127.0.0.1/localhost}/events" --server-pid "$pid_serve,$pid_serve" \
  --publish-fd 3 --events 200 --burst 10 --window 50
# A resume: 20 events published with nobody listening but a watcher that learns their ids, then
# 20 clients come with the id of the 10th and must get exactly the 11th to the 20th.
curl -sN --max-time 30 "$url_resume/events" >"$tmp/watch.txt" 2>/dev/null &
watch=$!
pids+=("$watch")
for _ in $(seq 200); do [ -s "$tmp/watch.txt" ] && break; sleep 0.05; done
"$loadgen" --url "$url_resume/events" --clients 0 --publish-fd 6 --events 20 --rate 1000 \
  --json >/dev/null
for _ in $(seq 200); do [ "$(grep -c '^data:' "$tmp/watch.txt")" -ge 20 ] && break; sleep 0.05; done
kill "$watch" 2>/dev/null || true
id=$(awk '/^id:/ { id = substr($0, 4); sub(/^ /, "", id) }
  /^data:/ { split(substr($0, 6), f, " "); if (f[1] == "10") { print id; exit } }' "$tmp/watch.txt")
if [ -z "$id" ]; then
  echo "smoke: FAIL (resume): the watcher saw no id for the 10th event" >&2
  failures=$((failures + 1))
else
  run resume "$pid_resume" 20 '"events_min": 10,;"events_max": 10,' --url "$url_resume/events" \
    --last-event-id "$id" --resume-after 10 --events 10
fi

# TLS: bursts (several records per read), checking the certificate; paced (one event a record)
# through libsse's parser, with --insecure; and a certificate from another CA must be refused.
if [[ $url_tls != https://* ]]; then
  echo "smoke: FAIL (tls): sse-serve did not listen on https://" >&2
  failures=$((failures + 1))
fi
everytls="$every200;\"tls\": true,;\"tls_errors\": 0,"
run tls-burst "$pid_tls" 50 "$everytls" --url "$url_tls/events" --cacert "$tmp/tls.pem" \
  --publish-fd 7 --events 200 --burst 10 --window 50
run tls-paced "$pid_tls" 50 "$everytls" --url "$url_tls/events" --insecure \
  --publish-fd 7 --events 200 --rate 400 --parser libsse
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
  -keyout "$tmp/other.key" -out "$tmp/other.pem" 2>/dev/null
status=0
"$loadgen" --url "$url_tls/events" --clients 5 --cacert "$tmp/other.pem" --events 1 --timeout 20 \
  --json >"$tmp/tls-untrusted.json" 2>"$tmp/tls-untrusted.err" || status=$?
echo "tls-untrusted: $(cat "$tmp/tls-untrusted.json")"
if [ "$status" -ne 1 ] || ! grep -qF '"connected": 0, "failed": 5,' "$tmp/tls-untrusted.json" ||
  ! grep -qF '"tls_errors": 5,' "$tmp/tls-untrusted.json" ||
  ! grep -q 'certificate verify failed' "$tmp/tls-untrusted.err"; then
  echo "smoke: FAIL (tls-untrusted): an untrusted certificate was not refused (exit $status)" >&2
  cat "$tmp/tls-untrusted.err" >&2
  failures=$((failures + 1))
fi

for pid in "$pid_serve" "$pid_json" "$pid_yardstick" "$pid_resume" "$pid_tls"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "smoke: FAIL: server $pid is no longer running" >&2
    failures=$((failures + 1))
  fi
done
[ "$failures" -eq 0 ] || exit 1
echo "smoke: ok"
