#!/usr/bin/env bash
# The simulation scenarios over many seeds (CI runs 100 to 200 each): builds the
# release preset's simulation test and runs every scenario with SPDKCPP_SIM_SEEDS
# seeds (the small-pool and full-queue scenarios take half), printing for each how
# many seeds and distinct interleavings it covered and its seeds per minute. A
# failing seed is printed with its faults and the trace of its last steps; replay it
# with simulate({.first_seed = SEED, .seeds = 1}, ...).
#
#   scripts/simulate.sh [SEEDS] [GTEST_FILTER]     (default 100000, every scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-100000}
filter=${2:-Simulation.*}
cmake --preset release >/dev/null
cmake --build --preset release --target wrapper_simulation_tests >/dev/null
SPDKCPP_SIM_SEEDS=$seeds build/release/tests/wrapper_simulation_tests \
    --gtest_filter="$filter" 2>/dev/null |
    awk '
        / simulation: / { line = $0; split($0, f, " simulation: "); name = f[1];
                          split(f[2], n, " "); count = n[1]; next }
        /^\[       OK \]|^\[  FAILED  \]/ {
            if (line != "") {
                ms = $(NF - 1); gsub(/\(/, "", ms); ms += 0;
                rate = ms > 0 ? count * 60000 / ms : 0;
                printf "%s\n  %.0f seeds per minute\n", line, rate;
                line = "";
            }
            if ($0 ~ /FAILED/) print $0;
        }
        /seed [0-9]+ failed|^fault:|^#/ { print }
    '
