#!/usr/bin/env bash
# A uring bdev whose file is cut short while spdkcpp-perf reads it: every read past
# the new end fails. `stop` (no -f): the first failure ends the run, exit code 1;
# `continue` (-f): the run goes on, counting the failures, exit code 0. Either way
# the log holds a few lines, not one per failed I/O.
# $1: stop|continue, $2: spdkcpp-perf, the rest: arguments given to every run.
set -u
mode=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
truncate -s 16M "$dir/disk"
cat >"$dir/cfg.json" <<CFG
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_uring_create",
   "params": {"name": "Uring0", "filename": "$dir/disk", "block_size": 512}}
]}]}
CFG
flags=(-t 10)
[[ $mode == continue ]] && flags=(-t 1.5 -f)
"$@" -c "$dir/cfg.json" -q 8 -o 4096 -w randread "${flags[@]}" --json >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 300); do
    grep -q 'IOPS' "$dir/err" && break
    sleep 0.1
done
truncate -s 1M "$dir/disk"
wait "$pid"
rc=$?
lines=$(grep -c 'ERROR' "$dir/err")
errors=$(grep -m1 -o '"errors": [0-9]*' "$dir/out" | grep -o '[0-9]*$')
tail -n 5 "$dir/err"
echo "exit code $rc, $lines ERROR lines, ${errors:-no} errors counted"
if ((lines > 20)); then
    echo "FAIL: the log is flooded"
    exit 1
fi
exit "$rc"
