#!/usr/bin/env bash
# Real SPDK against spdkcpp, side by side in one run, runs alternated: SPDK's
# bdevperf, spdkcpp-perf built on real SPDK and spdkcpp-perf on the embedded
# runtime (4 KiB randread at QD 32 and QD 1, verify; one core, malloc bdev), then
# SPDK's event_perf and poller_perf on real SPDK and built on the runtime.
#
#   bench/spdk_side_by_side.sh SPDK_BUILD [ROUNDS] [SECONDS]
#
# SPDK_BUILD: an SPDK source tree that has been built (its build/examples/bdevperf,
# test/event/event_perf/event_perf and test/thread/poller_perf/poller_perf are run).
# Needs build/spdk-release (the spdk preset's options with -O2: see below) and
# build/release; prints IOPS (median of ROUNDS) and instructions per I/O (callgrind,
# the difference of a 1 s and a 2 s run).
set -euo pipefail
spdk=${1:?an SPDK build tree}
rounds=${2:-3}
seconds=${3:-3}
mem=(--no-huge -s 512)
cfg=$(mktemp --suffix=.json)
trap 'rm -f "$cfg"' EXIT
cat >"$cfg" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_malloc_create",
   "params": {"name": "Malloc0", "num_blocks": 131072, "block_size": 512}}]}]}
JSON
bdevperf=("$spdk/build/examples/bdevperf" "${mem[@]}" --json "$cfg" -m 0x1)
on_spdk=(build/spdk-release/tools/perf/spdkcpp-perf "${mem[@]}" --no-rpc-server
    --disable-cpumask-locks -c "$cfg")
embedded=(build/release/tools/perf/spdkcpp-perf -c "$cfg")

iops() { # tool workload qd seconds -> IOPS
    local tool=$1 w=$2 q=$3 t=$4 out
    case $tool in
        bdevperf) out=$("${bdevperf[@]}" -q "$q" -o 4096 -w "$w" -t "$t" 2>&1) ;;
        spdk) out=$("${on_spdk[@]}" -q "$q" -o 4096 -w "$w" -t "$t" --json 2>/dev/null) ;;
        embedded) out=$("${embedded[@]}" -q "$q" -o 4096 -w "$w" -t "$t" --json 2>/dev/null) ;;
    esac
    if [[ $tool == bdevperf ]]; then
        awk '/^ *Total *:/ {print $3; exit}' <<<"$out"
    else
        python3 -c 'import json,sys; print(round(json.load(sys.stdin)["iops"]))' <<<"$out"
    fi
}
ios_of() { # tool output seconds -> I/Os completed (bdevperf prints only IOPS)
    if [[ $1 == bdevperf ]]; then
        awk -v t="$3" '/^ *Total *:/ {printf "%d\n", $3 * t; exit}' <<<"$2"
    else
        grep -m1 '"ios"' <<<"$2" | tr -dc '0-9'
    fi
}
instructions() { # tool qd -> instructions per I/O
    local tool=$1 q=$2 t out ir ios irs=() iosv=()
    for t in 1 2; do
        case $tool in
            bdevperf) out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                "${bdevperf[@]}" -q "$q" -o 4096 -w randread -t "$t" 2>&1) ;;
            spdk) out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                "${on_spdk[@]}" -q "$q" -o 4096 -w randread -t "$t" --json 2>&1) ;;
            embedded) out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                "${embedded[@]}" -q "$q" -o 4096 -w randread -t "$t" --json 2>&1) ;;
        esac
        irs+=("$(awk '/Collected :/ {print $4}' <<<"$out")")
        iosv+=("$(ios_of "$tool" "$out" "$t")")
    done
    awk -v a="${irs[0]}" -v b="${irs[1]}" -v x="${iosv[0]}" -v y="${iosv[1]}" \
        'BEGIN {printf "%.0f\n", (b - a) / (y - x)}'
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

for spec in "randread 32" "randread 1" "verify 32"; do
    read -r w q <<<"$spec"
    declare -A got=()
    for ((r = 0; r < rounds; r++)); do
        for tool in bdevperf spdk embedded; do
            got[$tool]+="$(iops "$tool" "$w" "$q" "$seconds") "
        done
    done
    line="| $w QD $q"
    for tool in bdevperf spdk embedded; do
        line+=" | $(tr ' ' '\n' <<<"${got[$tool]}" | grep . | median)"
    done
    echo "$line |   (IOPS: bdevperf | spdkcpp-perf on SPDK | on the runtime; rounds: ${got[*]})"
    unset got
done
for q in 32 1; do
    echo "| instructions per I/O, randread QD $q | $(instructions bdevperf "$q") |" \
        "$(instructions spdk "$q") | $(instructions embedded "$q") |"
done
