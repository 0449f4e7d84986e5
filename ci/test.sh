#!/usr/bin/env bash
# The whole test suite: installs dependencies, then builds pyleak-ci three
# ways and runs every unit and end-to-end test on each:
#   build/       release libpython, plus valgrind over the runner's C
#   build-dbg/   debug libpython (python3.11-dbg): exact reference counts
#   build-asan/  AddressSanitizer + UBSan (clang)
set -euo pipefail
cd "$(dirname "$0")/.."

ci/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0

run() {
    local dir=$1
    shift
    echo "::: $dir: configure and build"
    cmake -S . -B "$dir" -DPYLEAK_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs" >/dev/null
    echo "::: $dir: test"
    if ! ctest --test-dir "$dir" --output-on-failure -j "$jobs"; then
        status=1
    fi
}

run build -DPython_EXECUTABLE=/usr/bin/python3.11 -DPYLEAK_VALGRIND=ON
run build-dbg -DPython_EXECUTABLE=/usr/bin/python3.11-dbg
CC=clang run build-asan -DPython_EXECUTABLE=/usr/bin/python3.11 \
    -DPYLEAK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

exit $status
