#!/usr/bin/env bash
# What a passthru adds per I/O over its base, the C++ one (modules/passthru, on the
# wrappers) against a hand-written C one (bench/passthru_c.c): instructions per I/O
# of spdkcpp-perf (callgrind, the difference of a 1 s and a 2 s run) on a malloc
# bdev, on PT0 (C++) and on PTC0 (C) over malloc bdevs of the same size.
#
#   bench/passthru_overhead.sh [BUILD_DIR] [QD] [WORKLOAD]
set -euo pipefail
build=${1:-build/release}
qd=${2:-32}
workload=${3:-randread}
perf=("$build/bench/perf_passthru_pair" -c "$(dirname "$0")/passthru_pair.json")

run() { # bdev seconds -> "instructions ios"
    local out ir ios
    out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${perf[@]}" -b "$1" \
        -q "$qd" -o 4096 -w "$workload" -t "$2" --json 2>&1)
    ir=$(awk '/Collected :/ {print $4}' <<<"$out")
    ios=$(grep -m1 '"ios"' <<<"$out" | tr -dc '0-9')
    echo "$ir $ios"
}
per_io() { # bdev -> instructions per I/O
    local ir1 ios1 ir2 ios2
    read -r ir1 ios1 < <(run "$1" 1)
    read -r ir2 ios2 < <(run "$1" 2)
    awk -v a="$ir1" -v b="$ir2" -v x="$ios1" -v y="$ios2" 'BEGIN {printf "%.1f\n", (b - a) / (y - x)}'
}
base=$(per_io Malloc0)
cpp=$(per_io PT0)
c=$(per_io PTC0)
awk -v m="$base" -v p="$cpp" -v c="$c" -v q="$qd" -v w="$workload" 'BEGIN {
    printf "%s QD %d, instructions per I/O: malloc %.1f, C++ passthru %.1f, C passthru %.1f\n", w, q, m, p, c
    printf "added by the passthru: C++ %.1f, C %.1f, ratio %.3f\n", p - m, c - m, (p - m) / (c - m)
}'
