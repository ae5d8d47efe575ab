#!/usr/bin/env bash
# Builds libsse alone as a static library (BUILD_SHARED_LIBS=OFF, no tools, no tests: only the
# library's own sources compile) from the source tree into SCRATCH_DIR, with the compiler and flags
# of MAIN_BUILD_DIR (so a sanitizer build links), then runs run.sh on it: the installed libsse.a
# must serve a consumer through find_package(sse) and pkg-config alike, with SSE_STATIC defined.
#   usage: static.sh SOURCE_DIR SCRATCH_DIR MAIN_BUILD_DIR [CXX_COMPILER]
set -euo pipefail

usage="usage: static.sh SOURCE_DIR SCRATCH_DIR MAIN_BUILD_DIR [CXX_COMPILER]"
source_dir=$(cd "${1:?$usage}" && pwd)
scratch=${2:?$usage}
main=$(cd "${3:?$usage}" && pwd)
cxx=${4:-c++}
here=$(cd "$(dirname "$0")" && pwd)

[[ -f "$main/CMakeCache.txt" ]] || { echo "static.sh: error: $main is not a CMake build directory" >&2; exit 1; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$main/CMakeCache.txt"; }

# A fresh tree each time, at a fixed path so that ccache recognises the compilations.
rm -rf "$scratch"
mkdir -p "$scratch"
cmake -S "$source_dir" -B "$scratch" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$(cache CMAKE_BUILD_TYPE)" \
  -DCMAKE_CXX_FLAGS="$(cache CMAKE_CXX_FLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(cache CMAKE_EXE_LINKER_FLAGS)" \
  -DBUILD_SHARED_LIBS=OFF -DSSE_BUILD_TOOLS=OFF -DSSE_BUILD_TESTS=OFF \
  -DSSE_WARNINGS_AS_ERRORS=ON >"$scratch/configure.log" 2>&1 ||
  { cat "$scratch/configure.log" >&2; exit 1; }
cmake --build "$scratch" --target sse -j2 >"$scratch/build.log" 2>&1 ||
  { cat "$scratch/build.log" >&2; exit 1; }
[[ -f "$(find "$scratch" -name libsse.a -print -quit)" ]] ||
  { echo "static.sh: error: BUILD_SHARED_LIBS=OFF did not build libsse.a" >&2; exit 1; }

bash "$here/run.sh" "$scratch" "$cxx"
