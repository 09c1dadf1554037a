#!/usr/bin/env bash
# SPDK's bdevperf against spdkcpp-perf, IOPS and latency, runs alternated: 4 KiB
# randread at QD 32 and QD 1, one core, a malloc bdev of 64 MiB. Both measure each
# I/O from its submission to its completion (bdevperf through the bdev layer's
# latency histogram, which it always enables; `-l` prints its percentiles).
#
#   bench/latency_side_by_side.sh SPDK_BUILD [ROUNDS] [SECONDS]
#
# SPDK_BUILD: an SPDK source tree that has been built (build/examples/bdevperf).
# Needs the release preset built; with the spdk-release preset built too,
# spdkcpp-perf on real SPDK is run as well. Prints one line per run and then the
# medians: IOPS, avg / min / p50 / p99 / max latency in microseconds.
set -euo pipefail
spdk=${1:?an SPDK build tree}
rounds=${2:-3}
seconds=${3:-3}
mem=(--no-huge -s 1024)
export LD_LIBRARY_PATH=${SPDKCPP_SPDK_PREFIX:-/var/cache/spdkcpp/spdk}/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
cfg=$(mktemp --suffix=.json)
trap 'rm -f "$cfg"' EXIT
cat >"$cfg" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_malloc_create",
   "params": {"name": "Malloc0", "num_blocks": 131072, "block_size": 512}}]}]}
JSON
tools=(bdevperf embedded)
on_spdk=build/spdk-release/tools/perf/spdkcpp-perf
if [[ -x $on_spdk ]]; then
    tools+=(spdk)
fi

# One run -> "IOPS avg min p50 p99 max".
run() { # tool qd
    local tool=$1 q=$2 out
    case $tool in
        bdevperf)
            out=$("$spdk/build/examples/bdevperf" "${mem[@]}" --json "$cfg" -m 0x1 -q "$q" \
                -o 4096 -w randread -t "$seconds" -l 2>&1)
            # "Total : IOPS MiB/s Fail/s TO/s Average min max", then the summary's
            # "50.00000% : 12.345us" lines (a bucket's upper end).
            awk '/Total +:/ {for (i = 1; i < NF; i++) if ($i == ":") {
                     iops = $(i + 1); avg = $(i + 5); mn = $(i + 6); mx = $(i + 7)}}
                 /^ *50\.00000% :/ {p50 = $3} /^ *99\.00000% :/ {p99 = $3}
                 END {gsub("us", "", p50); gsub("us", "", p99);
                      print iops, avg, mn, p50, p99, mx}' <<<"$out"
            ;;
        embedded | spdk)
            local bin=build/release/tools/perf/spdkcpp-perf extra=()
            if [[ $tool == spdk ]]; then
                bin=$on_spdk
                extra=("${mem[@]}" --no-rpc-server --disable-cpumask-locks)
            fi
            out=$("$bin" "${extra[@]}" -c "$cfg" -q "$q" -o 4096 -w randread -t "$seconds" \
                --json 2>/dev/null)
            python3 -c 'import json, sys
d = json.load(sys.stdin)
print(round(d["iops"]), *(round(d[k], 2) for k in
      ("avg_lat_us", "min_lat_us", "p50_us", "p99_us", "max_lat_us")))' <<<"$out"
            ;;
    esac
}

for q in 32 1; do
    declare -A lines=()
    for ((r = 0; r < rounds; r++)); do
        for tool in "${tools[@]}"; do
            line=$(run "$tool" "$q")
            echo "QD $q $tool: $line" >&2
            lines[$tool]+="$line"$'\n'
        done
    done
    for tool in "${tools[@]}"; do
        # The median of each column on its own.
        printf '| randread QD %s | %s |' "$q" "$tool"
        for c in 1 2 3 4 5 6; do
            printf ' %s |' "$(awk -v c=$c 'NF {print $c}' <<<"${lines[$tool]}" | sort -g |
                awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
        done
        echo
    done
    unset lines
done
