#!/usr/bin/env bash
# Instructions per event of an event_perf build on one core: callgrind's instruction
# count of `-m 0x1 -t 2` minus that of `-t 1`, over the difference in events.
#
#   bench/event_perf_instructions.sh EVENT_PERF_BINARY
set -euo pipefail
b=${1:?an event_perf binary}
export LD_LIBRARY_PATH=${SPDKCPP_SPDK_PREFIX:-/var/cache/spdkcpp/spdk}/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

run() { # seconds -> "instructions events"
    local out ir ev
    out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b" -m 0x1 -t "$1" 2>&1)
    ir=$(awk '/Collected :/ {print $4}' <<<"$out")
    ev=$(awk '/lcore/ {print $3}' <<<"$out")  # events per second
    echo "$ir $((ev * $1))"
}
read -r ir1 ev1 < <(run 1)
read -r ir2 ev2 < <(run 2)
awk -v a="$ir1" -v b="$ir2" -v x="$ev1" -v y="$ev2" -v n="$b" \
    'BEGIN {printf "%s: %.1f instructions per event (%d and %d events)\n", n, (b - a) / (y - x), x, y}'
