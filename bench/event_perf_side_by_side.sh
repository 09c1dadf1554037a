#!/usr/bin/env bash
# SPDK's event_perf on real SPDK and on the embedded runtime, runs alternated.
#
#   bench/event_perf_side_by_side.sh SPDK_SOURCE [ROUNDS] [SECONDS] [EXTRA_BINARY...]
#
# SPDK_SOURCE: an SPDK source tree (its test/event/event_perf/event_perf.c is
# compiled, unchanged, against the runtime's headers and build/release's library,
# and, with `opts.no_huge = true; opts.mem_size = 1024;` added in a temporary copy
# as this machine has no hugepages, against the SPDK install in SPDKCPP_SPDK_PREFIX).
# EXTRA_BINARY: more event_perf builds to alternate with (e.g. an older runtime's).
# Prints every run (with the load average, as outside load changes -m 0x3 by 10x)
# and the medians of the events per second per core.
set -euo pipefail
spdk=${1:?an SPDK source tree}
rounds=${2:-3}
seconds=${3:-2}
shift $(($# < 3 ? $# : 3))
prefix=${SPDKCPP_SPDK_PREFIX:-/var/cache/spdkcpp/spdk}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$spdk/test/event/event_perf/event_perf.c

gcc -std=gnu11 -O2 -I"$root/runtime/include" "$src" -o "$tmp/runtime" \
    -L"$root/build/release/runtime" -lspdkcpp_embedded \
    -Wl,-rpath,"$root/build/release/runtime"
sed 's/^\topts.rpc_addr = NULL;/&\n\topts.no_huge = true;\n\topts.mem_size = 1024;/' "$src" \
    >"$tmp/event_perf_spdk.c"
grep -q no_huge "$tmp/event_perf_spdk.c"
PKG_CONFIG_PATH=$prefix/lib/pkgconfig gcc -std=gnu11 -O2 -I"$prefix/include" \
    "$tmp/event_perf_spdk.c" -o "$tmp/spdk" \
    $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --libs spdk_event spdk_env_dpdk \
        spdk_syslibs) -lcrypto -lssl -Wl,-rpath,"$prefix/lib"
bins=("$tmp/spdk" "$tmp/runtime" "$@")

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
