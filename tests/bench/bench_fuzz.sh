#!/usr/bin/env bash
# Benchmark: run each fuzz target for a while and report what it did.
#
#     tests/bench/bench_fuzz.sh [SECONDS] [TARGET...]
#
# Builds the fuzz targets (CC=clang, -DPYLEAK_FUZZ=ON) in $BUILD_DIR
# (default build-fuzz), then runs each TARGET (default: all of
# tests/fuzz/CMakeLists.txt's) for SECONDS (default 600), one after the
# other, from its committed seeds plus the build tree's corpus (which
# keeps what earlier runs found). A crash is saved under
# $BUILD_DIR/tests/fuzz/fuzz-artifacts/<target>/ and the target is
# started again for the rest of its time, so one run can count several.
# Prints per target: executions, executions per second, CPU seconds,
# coverage (edges and features) at the start and the end, inputs added
# to the corpus, and crashes. Not a pass/fail test and not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-600}
shift || true
build=${BUILD_DIR:-build-fuzz}
python=${PYTHON:-/usr/bin/python3.11}
if [ $# -gt 0 ]; then
    targets=("$@")
else
    # As PLK_FUZZ_TARGETS in tests/fuzz/CMakeLists.txt.
    targets=(toml pyproject baseline durations record sanitize junit)
fi

echo "::: $build: configure and build the fuzz targets"
CC=${CC:-clang} cmake -S . -B "$build" -DPython_EXECUTABLE="$python" \
    -DPYLEAK_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
    --target fuzz >/dev/null

out=$build/tests/fuzz
logs=$out/bench-logs
mkdir -p "$logs"
export PLK_SCHEMAS=${PLK_SCHEMAS:-$PWD/../shared/schemas}
rows=()
for t in "${targets[@]}"; do
    corpus=$out/corpus/$t
    artifacts=$out/fuzz-artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    before=$(find "$artifacts" -type f | wc -l)
    execs=0 cpu=0 crashes=0 added=0 start_cov="" end_cov=""
    left=$seconds
    run=0
    echo "::: fuzz_$t: ${seconds} s"
    while [ "$left" -gt 0 ]; do
        run=$((run + 1))
        log=$logs/$t.$run.log
        t0=$(date +%s)
        # CPU time of the run: the children's user + system seconds.
        c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
        rc=0
        "$out/fuzz_$t" -max_total_time="$left" -timeout=10 \
            -print_final_stats=1 -dict="tests/fuzz/$t.dict" \
            -artifact_prefix="$artifacts/" "$corpus" "tests/fuzz/$t" \
            >"$log" 2>&1 || rc=$?
        c1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
        elapsed=$(($(date +%s) - t0))
        tick=$(getconf CLK_TCK)
        cpu=$(awk -v a="$cpu" -v d="$((c1 - c0))" -v k="$tick" \
              'BEGIN {printf "%.1f", a + d / k}')
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        a=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
        execs=$((execs + ${n:-0}))
        added=$((added + ${a:-0}))
        cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | head -1 || true)
        [ -z "$start_cov" ] && start_cov=$cov
        cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
        [ -n "$cov" ] && end_cov=$cov
        if [ "$rc" -ne 0 ]; then
            crashes=$((crashes + 1))
            echo "    crash in run $run after ${elapsed} s (log: $log):"
            grep -E 'property violated|ERROR: |SUMMARY|Test unit written' \
                "$log" | sed 's/^/      /' | head -6
        fi
        left=$((left - (elapsed > 0 ? elapsed : 1)))
    done
    saved=$(($(find "$artifacts" -type f | wc -l) - before))
    rate=$(awk -v e="$execs" -v s="$seconds" 'BEGIN {printf "%.0f", e / s}')
    # "cov: 409 ft: 1191" at the start and the end: edges and features.
    read -r _ c0 _ f0 <<<"${start_cov:-cov: ? ft: ?}"
    read -r _ c1 _ f1 <<<"${end_cov:-cov: ? ft: ?}"
    rows+=("$(printf '%-10s %12s %8s %8s  %13s %15s %7s %4s (%s saved)' \
        "$t" "$execs" "$rate" "$cpu" "$c0 -> $c1" "$f0 -> $f1" \
        "$added" "$crashes" "$saved")")
done

echo
printf '%-10s %12s %8s %8s  %13s %15s %7s %s\n' target executions \
    exec/s cpu-s "edges" "features" "inputs+" crashes
for r in "${rows[@]}"; do
    echo "$r"
done
echo "(${seconds} s per target, one at a time; logs in $logs)"
