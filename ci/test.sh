#!/usr/bin/env bash
# The whole test suite: installs dependencies, then builds pyleak-ci
# against every supported interpreter and runs the tests on each:
#   build/       Debian's 3.11, release; plus valgrind over the runner's C
#   build-dbg/   Debian's python3.11-dbg: exact reference counts (unit
#                tests and the end-to-end files that can differ there)
#   build-asan/  AddressSanitizer + UBSan (clang)
#   build-fuzz/  the libFuzzer targets of tests/fuzz (clang), each fuzzed
#                for PYLEAK_FUZZ_SECONDS from its seeds
#   build-3.X/   pyenv's shared-library builds of 3.9 to 3.13 (when this
#                machine has them): unit tests, the accuracy suite in full
#                and the end-to-end tests that differ between versions
#   build-public/ 3.13 with the interpreter layer's public-API row, as a
#                build against a newer, unknown version gets it
set -euo pipefail
cd "$(dirname "$0")/.."

ci/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0
failed=()

run() {
    local dir=$1 start=$SECONDS
    shift
    echo "::: $dir: configure and build"
    cmake -S . -B "$dir" -DPYLEAK_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs" >/dev/null
    echo "::: $dir: test"
    if ! ctest --test-dir "$dir" --output-on-failure -j "$jobs"; then
        status=1
        failed+=("$dir")
    fi
    echo "::: $dir: $((SECONDS - start)) s"
}

# The end-to-end tests whose outcome can depend on the interpreter: the
# accuracy suite, exact zero growth, diagnosis (the C-extension example
# included), pytest and unittest semantics, the versions' own test
# modules, workers and reports.
matrix_e2e="test_accuracy.py test_versions.py test_diagnose.py
test_cpython_suites.py test_e2e.py test_pytest.py"

run build -DPython_EXECUTABLE=/usr/bin/python3.11 -DPYLEAK_VALGRIND=ON
# A debug build adds the refs metric: the files above, and those that
# check refs in baselines and parity, not the reports and worker tests
# the release build runs already.
run build-dbg -DPython_EXECUTABLE=/usr/bin/python3.11-dbg \
    -DPYLEAK_E2E_TESTS="$(echo $matrix_e2e) test_parity.py test_config_baseline.py"
CC=clang run build-asan -DPython_EXECUTABLE=/usr/bin/python3.11 \
    -DPYLEAK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

# The fuzz targets, briefly: only they are built, and their CTest tests
# (label fuzz: each target fuzzing for 20 s, and its seeds once) run
# side by side: under two minutes with the build on two cores. The build
# tree's corpus keeps what earlier runs found.
fuzz_start=$SECONDS
echo "::: build-fuzz: configure and build"
CC=clang cmake -S . -B build-fuzz -DPYLEAK_WERROR=ON \
    -DPython_EXECUTABLE=/usr/bin/python3.11 -DPYLEAK_FUZZ=ON \
    -DPYLEAK_FUZZ_SECONDS=20 -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz >/dev/null
echo "::: build-fuzz: fuzz"
if ! ctest --test-dir build-fuzz --output-on-failure -j "$jobs" -L fuzz; then
    status=1
    failed+=(build-fuzz)
fi
echo "::: build-fuzz: $((SECONDS - fuzz_start)) s"

pyenv_root=${PYENV_ROOT:-/root/.pyenv}
for version in 3.9 3.10 3.11 3.12 3.13; do
    python=$(ls -d "$pyenv_root"/versions/"$version".*/bin/python"$version" \
             2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$python" ]; then
        echo "::: build-$version: no CPython $version under $pyenv_root; skipped"
        continue
    fi
    venv=$PWD/build-$version/venv
    mkdir -p "build-$version"
    ci/pyvenv.sh "$python" "$venv"
    files=$matrix_e2e
    if [ "$version" = 3.11 ]; then
        # Debian's 3.11 builds above run every e2e file on this version
        # already; what differs here is the embedding of another build.
        files="test_versions.py"
    fi
    run "build-$version" -DPython_EXECUTABLE="$python" \
        -DPYLEAK_TEST_DRIVER=/usr/bin/python3.11 \
        -DPYLEAK_TEST_VENV="$venv" \
        -DPYLEAK_E2E_TESTS="$(echo $files)"
    if [ "$version" = 3.13 ]; then
        run build-public -DPython_EXECUTABLE="$python" \
            -DPYLEAK_PUBLIC_API_ONLY=ON \
            -DPYLEAK_TEST_DRIVER=/usr/bin/python3.11 \
            -DPYLEAK_TEST_VENV="$venv" \
            -DPYLEAK_E2E_TESTS="test_accuracy.py test_versions.py"
    fi
done

if [ "$status" -ne 0 ]; then
    echo "::: failed: ${failed[*]}"
fi
exit $status
