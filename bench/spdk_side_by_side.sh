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
# Needs the spdk-release and release presets built (SPDKCPP_SPDK_PREFIX names the
# SPDK install, default /var/cache/spdkcpp/spdk); prints IOPS (median of ROUNDS)
# and instructions per I/O (callgrind, the difference of a 1 s and a 2 s run).
set -euo pipefail
spdk=${1:?an SPDK build tree}
rounds=${2:-3}
seconds=${3:-3}
mem=(--no-huge -s 512)
# bdevperf from SPDK's build tree finds SPDK's shared libraries in the install.
export LD_LIBRARY_PATH=${SPDKCPP_SPDK_PREFIX:-/var/cache/spdkcpp/spdk}/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
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

# bdevperf's "Total : IOPS MiB/s ..." line (it starts with a carriage return).
total_iops() { awk '/Total +:/ {for (i = 1; i < NF; i++) if ($i == ":") {print $(i + 1); exit}}'; }

iops() { # tool workload qd seconds -> IOPS
    local tool=$1 w=$2 q=$3 t=$4 out
    case $tool in
        bdevperf) out=$("${bdevperf[@]}" -q "$q" -o 4096 -w "$w" -t "$t" 2>&1) ;;
        spdk) out=$("${on_spdk[@]}" -q "$q" -o 4096 -w "$w" -t "$t" --json 2>/dev/null) ;;
        embedded) out=$("${embedded[@]}" -q "$q" -o 4096 -w "$w" -t "$t" --json 2>/dev/null) ;;
    esac
    if [[ $tool == bdevperf ]]; then
        total_iops <<<"$out"
    else
        python3 -c 'import json,sys; print(round(json.load(sys.stdin)["iops"]))' <<<"$out"
    fi
}
ios_of() { # tool output seconds -> I/Os completed (bdevperf prints only IOPS)
    if [[ $1 == bdevperf ]]; then
        awk -v t="$3" '{print $1 * t}' <<<"$(total_iops <<<"$2")"
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
    runs_bdevperf="" runs_spdk="" runs_embedded=""
    for ((r = 0; r < rounds; r++)); do
        runs_bdevperf+="$(iops bdevperf "$w" "$q" "$seconds") "
        runs_spdk+="$(iops spdk "$w" "$q" "$seconds") "
        runs_embedded+="$(iops embedded "$w" "$q" "$seconds") "
    done
    m() { tr ' ' '\n' <<<"$1" | grep . | median; }
    echo "| $w QD $q | $(m "$runs_bdevperf") | $(m "$runs_spdk") | $(m "$runs_embedded") |" \
        "  (IOPS; runs: bdevperf $runs_bdevperf/ on SPDK $runs_spdk/ embedded $runs_embedded)"
done
for q in 32 1; do
    echo "| instructions per I/O, randread QD $q | $(instructions bdevperf "$q") |" \
        "$(instructions spdk "$q") | $(instructions embedded "$q") |"
done
