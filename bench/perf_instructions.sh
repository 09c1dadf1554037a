#!/usr/bin/env bash
# Instructions per I/O of spdkcpp-perf (4 KiB randread, QD 32, one core, malloc
# bdev): callgrind on a 1 s and a 3 s run, divided by the difference in I/Os.
#
#   bench/perf_instructions.sh [BUILD_DIR] [QD]
set -euo pipefail
build=${1:-build/release}
qd=${2:-32}
perf="$build/tools/perf/spdkcpp-perf"

run() { # seconds -> "instructions ios"
    local out
    out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$perf" --malloc 64M \
        -q "$qd" -o 4096 -w randread -t "$1" --json 2>&1)
    local ir ios
    ir=$(awk '/Collected :/ {print $4}' <<<"$out")
    ios=$(grep -m1 '"ios"' <<<"$out" | tr -dc '0-9')
    echo "$ir $ios"
}
read -r ir1 ios1 < <(run 1)
read -r ir3 ios3 < <(run 3)
awk -v a="$ir1" -v b="$ir3" -v x="$ios1" -v y="$ios3" -v q="$qd" \
    'BEGIN {printf "spdkcpp-perf QD %d: %.0f instructions per I/O (%d and %d I/Os)\n", q, (b - a) / (y - x), x, y}'
