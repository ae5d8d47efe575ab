#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the benchmarks and the demo need.
# Idempotent: when everything is present it only checks and returns in well under a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libcli11-dev libboost-dev libcurl4-openssl-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  scdoc groff-base bash-completion zsh fish
  curl openssl libssl-dev zlib1g-dev
  chromium
  nginx libnginx-mod-nchan
)
# Node.js runs the interop tests (npm eventsource, better-sse, playwright-core driving chromium).
# Machines of this kind ship Node 20 from their own packages; install Debian's only when absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  # dpkg-query is fast and needs no package lists; "install ok installed" means fully present.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages for the interop tests, into tests/interop/node_modules (git-ignored), exactly as
# package-lock.json pins them; skipped when already installed from the same lock file.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
interop=$root/tests/interop
if [ -f "$interop/package-lock.json" ] &&
   ! cmp -s "$interop/package-lock.json" "$interop/node_modules/.installed-lock.json" 2>/dev/null; then
  echo "setup: installing npm packages for tests/interop" >&2
  npm ci --prefix "$interop" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$interop/package-lock.json" "$interop/node_modules/.installed-lock.json"
fi
