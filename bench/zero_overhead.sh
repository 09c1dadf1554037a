#!/usr/bin/env bash
# Instructions and heap allocations per 4 KiB read of a malloc bdev: the
# hand-written C callback loop (io_loop_c) against the spdkcpp coroutine loop
# (io_loop_cpp), in one run. Steady state: the difference of two run lengths, so
# start-up and shutdown cancel out.
#
#   bench/zero_overhead.sh [BUILD_DIR]      (default build/release)
set -euo pipefail
build=${1:-build/release}
small=${SMALL:-20000}
large=${LARGE:-60000}
depth=${DEPTH:-32}

instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 |
        awk '/Collected :/ {print $4}'
}
allocations() {
    valgrind --tool=memcheck --leak-check=no "$@" 2>&1 |
        awk '/total heap usage:/ {gsub(",", "", $5); print $5}'
}
per_io() { # total_small total_large
    awk -v a="$1" -v b="$2" -v n=$((large - small)) 'BEGIN {printf "%.1f", (b - a) / n}'
}

printf "%-16s %6s %12s %12s\n" program depth "instr/read" "allocs/read"
measure() { # label program [mode]
    local label=$1 bin=$2 mode=${3:-}
    local i_small i_large a_small a_large
    i_small=$(instructions "$bin" "$small" "$depth" $mode)
    i_large=$(instructions "$bin" "$large" "$depth" $mode)
    a_small=$(allocations "$bin" "$small" "$depth" $mode)
    a_large=$(allocations "$bin" "$large" "$depth" $mode)
    ipr=$(per_io "$i_small" "$i_large")
    printf "%-16s %6s %12s %12s\n" "$label" "$depth" "$ipr" "$(per_io "$a_small" "$a_large")"
}
measure io_loop_c "$build/bench/io_loop_c"
c=$ipr
measure io_loop_cpp "$build/bench/io_loop_cpp"
cpp=$ipr
# The same coroutines awaiting a bare spdk_bdev_read: GCC's coroutine cost alone.
measure "io_loop_cpp bare" "$build/bench/io_loop_cpp" bare
bare=$ipr
awk -v c="$c" -v cpp="$cpp" -v bare="$bare" 'BEGIN {
    printf "ratio spdkcpp / C: %.3f\n", cpp / c
    printf "ratio bare coroutines / C: %.3f\n", bare / c
}'
