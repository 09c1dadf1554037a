#!/usr/bin/env bash
# The io_uring bdev against fio (ioengine=io_uring), 4 KiB randread, QD 32, one
# job, on the same file, alternated in one run: on disk with O_DIRECT, and on
# tmpfs (buffered, CPU-bound). Prints each run, the medians and the ratio.
#
#   bench/uring_vs_fio.sh [BUILD_DIR] [SECONDS] [RUNS]
set -euo pipefail
build=${1:-build/release}
secs=${2:-5}
runs=${3:-3}
perf="$build/tools/perf/spdkcpp-perf"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
json_iops() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["jobs"][0]["read"]["iops"]) if "jobs" in d and "read" in d["jobs"][0] else round(d["iops"]))'; }

compare() { # label file direct size
    local label=$1 file=$2 direct=$3 size=$4
    if [[ ! -f $file ]] || (($(stat -c %s "$file") != size)); then
        # Real data, so reads reach the medium rather than a hole.
        fio --name=fill --filename="$file" --rw=write --bs=1M --size="$size" \
            --direct="$direct" --output=/dev/null
    fi
    local config
    config=$(mktemp --suffix=.json)
    printf '{"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_uring_create",'\
'"params":{"name":"Uring0","filename":"%s","block_size":4096}}]}]}\n' "$file" >"$config"
    : >/tmp/uvf_fio
    : >/tmp/uvf_perf
    for ((i = 0; i < runs; i++)); do
        f=$(fio --name=randread --filename="$file" --ioengine=io_uring --direct="$direct" \
            --rw=randread --bs=4k --iodepth=32 --numjobs=1 --size="$size" --time_based \
            --runtime="$secs" --output-format=json | json_iops)
        p=$("$perf" -c "$config" -q 32 -o 4096 -w randread -t "$secs" --json 2>/dev/null |
            json_iops)
        echo "$label run $i: fio $f IOPS, spdkcpp-perf $p IOPS"
        echo "$f" >>/tmp/uvf_fio
        echo "$p" >>/tmp/uvf_perf
    done
    rm -f "$config"
    local mf mp
    mf=$(median </tmp/uvf_fio)
    mp=$(median </tmp/uvf_perf)
    awk -v l="$label" -v f="$mf" -v p="$mp" \
        'BEGIN {printf "%s: median fio %d IOPS, spdkcpp-perf %d IOPS, ratio %.3f\n", l, f, p, p / f}'
}

compare "disk (O_DIRECT)" "${DISK_FILE:-/var/tmp/spdkcpp-uring.img}" 1 $((1 << 30))
compare "tmpfs (buffered)" "${TMPFS_FILE:-/dev/shm/spdkcpp-uring.img}" 0 $((512 << 20))
