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

printf "%-12s %10s %16s %16s\n" program depth "instr/read" "allocs/read"
for prog in io_loop_c io_loop_cpp; do
    bin="$build/bench/$prog"
    i_small=$(instructions "$bin" "$small" "$depth")
    i_large=$(instructions "$bin" "$large" "$depth")
    a_small=$(allocations "$bin" "$small" "$depth")
    a_large=$(allocations "$bin" "$large" "$depth")
    ipr=$(per_io "$i_small" "$i_large")
    apr=$(per_io "$a_small" "$a_large")
    printf "%-12s %10s %16s %16s\n" "$prog" "$depth" "$ipr" "$apr"
    eval "ipr_${prog}=${ipr}"
done
awk -v c="$ipr_io_loop_c" -v cpp="$ipr_io_loop_cpp" \
    'BEGIN {printf "ratio spdkcpp / C: %.3f\n", cpp / c}'
