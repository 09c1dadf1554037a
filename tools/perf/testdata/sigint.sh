#!/usr/bin/env bash
# SIGINT in the middle of a long run: spdkcpp-perf stops within seconds, prints the
# totals and exits 0.
set -u
# $1: spdkcpp-perf; the rest: arguments given to every run (SPDK's memory options).
out=$(mktemp)
"$@" --malloc 16M -q 8 -o 4096 -w randread -t 60 --json >"$out" 2>&1 &
pid=$!
sleep 1
kill -INT "$pid"
for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    echo "still running 10 s after SIGINT"
    exit 1
fi
wait "$pid"
rc=$?
cat "$out"
grep -q '"ios": [1-9]' "$out" && grep -q 'interrupted' "$out" && [[ $rc -eq 0 ]]
status=$?
rm -f "$out"
exit $status
