#!/usr/bin/env bash
# Installs a build tree into a scratch prefix and builds tests/package/consumer.cpp against it twice:
# with CMake's find_package(sse) and with pkg-config. Both binaries must run and print the same,
# expected output, loading the installed libsse. A static libsse (BUILD_SHARED_LIBS=OFF; see
# static.sh) is linked in instead: no libsse.so may be loaded, and both ways must have defined
# SSE_STATIC for the consumer (pkg-config with --static). Then beast_consumer.cpp, through
# find_package(sse COMPONENTS beast) and sse::beast, must serve and close one stream.
#   usage: run.sh BUILD_DIR [CXX_COMPILER]
set -euo pipefail

build=$(cd "${1:?usage: run.sh BUILD_DIR [CXX_COMPILER]}" && pwd)
cxx=${2:-c++}
here=$(cd "$(dirname "$0")" && pwd)

for tool in cmake pkg-config ninja "$cxx"; do
  command -v "$tool" >/dev/null || { echo "run.sh: error: $tool not found" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

[[ -f "$build/CMakeCache.txt" ]] || { echo "run.sh: error: $build is not a CMake build directory" >&2; exit 1; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
# The consumer is built with the library's own flags: a sanitizer build needs them at link time.
# Sanitizers are not in CMAKE_CXX_FLAGS but in SSE_SANITIZERS (the top-level CMakeLists adds them).
sanitize=$(cache SSE_SANITIZERS)
basecxxflags="$(cache CMAKE_CXX_FLAGS)${sanitize:+ -fsanitize=$sanitize}"
cxxflags="$basecxxflags -Wall -Wextra -Wpedantic -Wconversion -Werror"
ldflags="$(cache CMAKE_EXE_LINKER_FLAGS)${sanitize:+ -fsanitize=$sanitize}"
version=$(cache CMAKE_PROJECT_VERSION)
[[ -n "$version" ]] || { echo "run.sh: error: $build/CMakeCache.txt has no CMAKE_PROJECT_VERSION" >&2; exit 1; }
launcher=()
if command -v ccache >/dev/null; then launcher=(ccache); fi

# Only the library's components: the tools' files are not needed by a library consumer.
for component in runtime dev; do
  cmake --install "$build" --prefix "$prefix" --component "$component" >/dev/null
done

# A static install has libsse.a and no libsse.so.
if [[ -n "$(find "$prefix" -name 'libsse.so*' -print -quit)" ]]; then
  linkage=shared
elif [[ -n "$(find "$prefix" -name libsse.a -print -quit)" ]]; then
  linkage=static
else
  echo "run.sh: error: neither libsse.so nor libsse.a was installed" >&2
  exit 1
fi

expected="refused: yes
greeting|hello\\nworld|1
message|café|1
own_id: yes no
utf8: valid invalid
linkage: $linkage
version $version $version"

check() {  # NAME BINARY [env...]
  local name=$1 binary=$2
  shift 2
  local out
  out=$(env "$@" "$binary") || { echo "run.sh: error: $name consumer failed" >&2; exit 1; }
  if [[ "$out" != "$expected" ]]; then
    echo "run.sh: error: $name consumer printed:" >&2
    printf '%s\n' "$out" >&2
    echo "expected:" >&2
    printf '%s\n' "$expected" >&2
    exit 1
  fi
  local lib
  lib=$(env "$@" ldd "$binary" | awk '/libsse\.so/ {print $3}')
  if [[ $linkage == static ]]; then
    if [[ -n "$lib" ]]; then
      echo "run.sh: error: $name consumer of a static libsse loads $lib" >&2
      exit 1
    fi
    echo "$name: ok (static)"
    return
  fi
  if [[ "$lib" != "$prefix"/* ]]; then
    echo "run.sh: error: $name consumer loads libsse from '$lib', not from $prefix" >&2
    exit 1
  fi
  echo "$name: ok ($lib)"
}

# 1. CMake: find_package(sse CONFIG REQUIRED) + target_link_libraries(consumer sse::sse). CMake
#    gives the binary an RPATH to the imported library, so it runs without LD_LIBRARY_PATH.
cmake -S "$here/consumer" -B "$tmp/cmake-build" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="${launcher[0]}"} \
  -DCMAKE_CXX_FLAGS="$basecxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
  -DCMAKE_PREFIX_PATH="$prefix" -DSSE_EXPECTED_PREFIX="$prefix" -DSSE_EXPECTED_VERSION="$version" >"$tmp/cmake.log" 2>&1 \
  || { cat "$tmp/cmake.log" >&2; exit 1; }
cmake --build "$tmp/cmake-build" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
check find_package "$tmp/cmake-build/consumer"

# 2. pkg-config --cflags --libs libsse, plain (with --static for a static libsse): the .pc file
#    derives its prefix from where it was installed, so an install to any --prefix works as it is.
pcdir=$(dirname "$(find "$prefix" -name libsse.pc -print -quit)")
[[ -n "$pcdir" && "$pcdir" != . ]] || { echo "run.sh: error: libsse.pc not installed" >&2; exit 1; }
export PKG_CONFIG_PATH="$pcdir"
pkg-config --exists --print-errors "libsse = $version"
static=()
if [[ $linkage == static ]]; then
  static=(--static)
  [[ " $(pkg-config --cflags libsse) " == *" -DSSE_STATIC "* ]] ||
    { echo "run.sh: error: libsse.pc of a static libsse does not define SSE_STATIC" >&2; exit 1; }
fi
flags=$(pkg-config "${static[@]}" --cflags --libs libsse)
# shellcheck disable=SC2086  # word splitting of the flag lists is intended
"${launcher[@]}" "$cxx" -std=c++17 $cxxflags "$here/consumer.cpp" -o "$tmp/pc-consumer" $flags $ldflags
libdir=$(pkg-config --variable=libdir libsse)
[[ "$libdir" == "$prefix"/* ]] || { echo "run.sh: error: libsse.pc points to $libdir, not into $prefix" >&2; exit 1; }
check pkg-config "$tmp/pc-consumer" LD_LIBRARY_PATH="$libdir"

# 3. The beast component: find_package(sse COMPONENTS beast) + sse::beast (header-only, over
#    Boost's headers). The consumer serves one event over loopback and prints what its client got.
cmake -S "$here/beast-consumer" -B "$tmp/beast-build" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="${launcher[0]}"} \
  -DCMAKE_CXX_FLAGS="$basecxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
  -DCMAKE_PREFIX_PATH="$prefix" -DSSE_EXPECTED_PREFIX="$prefix" -DSSE_EXPECTED_VERSION="$version" >"$tmp/beast-cmake.log" 2>&1 \
  || { cat "$tmp/beast-cmake.log" >&2; exit 1; }
cmake --build "$tmp/beast-build" >"$tmp/beast-build.log" 2>&1 || { cat "$tmp/beast-build.log" >&2; exit 1; }
beast_expected='last event id: 41
sent: ok
closed: ok
body: 14\r\nid: 42\ndata: hello\n\n\r\n0\r\n\r\n'
out=$("$tmp/beast-build/beast_consumer") || { echo "run.sh: error: beast consumer failed" >&2; exit 1; }
if [[ "$out" != "$beast_expected" ]]; then
  printf 'run.sh: error: beast consumer printed:\n%s\nexpected:\n%s\n' "$out" "$beast_expected" >&2
  exit 1
fi
echo "beast component: ok"
