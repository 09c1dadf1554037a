#!/usr/bin/env bash
# SIGINT stops spdkcpp-perf within seconds at any stage: `running` sends it once the
# jobs report progress, and expects the totals and exit code 0; `early` sends it
# while SPDK is still starting, and expects the run to end, saying it was
# interrupted.
# $1: running|early, $2: spdkcpp-perf, the rest: arguments given to every run.
set -u
# Job control: without it a background job starts with SIGINT ignored, and a signal
# sent before the app installs its handler would be ignored rather than fatal.
set -m
mode=$1
shift
out=$(mktemp)
"$@" --malloc 16M -q 8 -o 4096 -w randread -t 60 --json >"$out" 2>&1 &
pid=$!
if [[ $mode == running ]]; then
    for _ in $(seq 300); do
        grep -q 'IOPS' "$out" && break
        sleep 0.1
    done
else
    sleep 0.1
fi
kill -INT "$pid"
for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    echo "still running 10 s after SIGINT"
    cat "$out"
    exit 1
fi
wait "$pid"
rc=$?
cat "$out"
if [[ $mode == running ]]; then
    grep -q '"ios": [1-9]' "$out" && grep -q 'interrupted' "$out" && [[ $rc -eq 0 ]]
else
    # Before SPDK installs its handler the signal ends the process as any other.
    grep -q 'interrupted' "$out" || [[ $rc -eq 130 || $rc -eq $((128 + 2)) ]]
fi
status=$?
rm -f "$out"
exit $status
