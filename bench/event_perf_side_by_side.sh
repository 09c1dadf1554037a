#!/usr/bin/env bash
# SPDK's event_perf on real SPDK and on the embedded runtime, runs alternated.
#
#   bench/event_perf_side_by_side.sh SPDK_EVENT_PERF RUNTIME_EVENT_PERF [ROUNDS] [SECONDS] [MORE...]
#
# Each argument is an event_perf program: SPDK's own test program as built in an
# SPDK tree, the same source built against the runtime's headers and library, and
# any more builds to alternate with (an older runtime's, say). This repository
# builds none of them: SPDK's code is not part of it. Prints every run (with the
# load average, as outside load changes -m 0x3 by 10x) and the medians of the events
# per second per core.
set -euo pipefail
spdk=${1:?the event_perf of an SPDK build}
runtime=${2:?event_perf built on the runtime}
rounds=${3:-3}
seconds=${4:-2}
shift $(($# < 4 ? $# : 4))
bins=("$spdk" "$runtime" "$@")
# SPDK's own build finds its libraries in the install.
export LD_LIBRARY_PATH=${SPDKCPP_SPDK_PREFIX:-/var/cache/spdkcpp/spdk}/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

for mask in 0x1 0x3; do
    declare -A runs=()
    for ((r = 0; r < rounds; r++)); do
        for b in "${bins[@]}"; do
            # lcore N: events per second on core N; the first core's is the figure
            # (with -m 0x3 both cores run the same number).
            ev=$("$b" -m "$mask" -t "$seconds" 2>/dev/null | awk '/lcore/ {print $3; exit}')
            echo "$mask $(basename "$b"): $ev (load $(cut -d' ' -f1 /proc/loadavg))" >&2
            runs[$b]+="$ev "
        done
    done
    for b in "${bins[@]}"; do
        echo "| -m $mask | $(basename "$b") | $(tr ' ' '\n' <<<"${runs[$b]}" | grep . | sort -n |
            awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}') | ${runs[$b]}|"
    done
    unset runs
done
