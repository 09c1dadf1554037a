#!/usr/bin/env bash
# The lifecycle simulation over many seeds (CI runs 200): builds the release preset's
# simulation test and runs it with SPDKCPP_SIM_SEEDS seeds, printing how many seeds
# and distinct interleavings it covered. A failing seed is printed with the trace of
# its last steps; replay it with simulate({.first_seed = SEED, .seeds = 1}, ...).
#
#   scripts/simulate.sh [SEEDS]     (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-100000}
cmake --preset release >/dev/null
cmake --build --preset release --target wrapper_simulation_tests >/dev/null
start=$(date +%s.%N)
SPDKCPP_SIM_SEEDS=$seeds build/release/tests/wrapper_simulation_tests \
    --gtest_filter='Simulation.HotRemove*' | grep -E 'lifecycle simulation|PASSED|FAILED|seed'
end=$(date +%s.%N)
awk -v s="$seeds" -v a="$start" -v b="$end" \
    'BEGIN {printf "%d seeds in %.1f s: %.0f seeds per minute\n", s, b - a, s * 60 / (b - a)}'
