#!/usr/bin/env bash
# Round trips between reactors on cores 0 and 1: raw messages (pingpong_c) against
# coroutine hops (pingpong_cpp), alternated in one run, for 1 and 32 concurrent
# round trips. Prints each run and the median rates.
#
#   bench/pingpong.sh [BUILD_DIR] [COUNT] [RUNS]
set -euo pipefail
build=${1:-build/release}
count=${2:-1000000}
runs=${3:-3}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for window in 1 32; do
    for prog in pingpong_c pingpong_cpp; do : >"/tmp/pingpong_${prog}_${window}"; done
    for ((i = 0; i < runs; i++)); do
        for prog in pingpong_c pingpong_cpp; do
            line=$("$build/bench/$prog" "$count" "$window" 2>/dev/null | grep 'round trips/s')
            echo "window $window: $line"
            awk '{for (i = 1; i <= NF; i++) if ($(i + 1) == "round" && $(i + 2) == "trips/s,") print $i}' \
                <<<"$line" >>"/tmp/pingpong_${prog}_${window}"
        done
    done
    c=$(median <"/tmp/pingpong_pingpong_c_${window}")
    cpp=$(median <"/tmp/pingpong_pingpong_cpp_${window}")
    awk -v w="$window" -v c="$c" -v cpp="$cpp" \
        'BEGIN {printf "window %s: median round trips/s C %.0f, spdkcpp %.0f, ratio %.3f\n", w, c, cpp, cpp / c}'
done
