#!/usr/bin/env bash
# spdkcpp-perf -z, driven as SPDK's bdevperf.py drives bdevperf: it starts and waits;
# each perform_tests runs the tests with the call's params over the command line's
# and answers with bdevperf's result; a second call while one runs is refused; the
# app stays up for the next call, and SIGINT ends it.
# $1: spdkcpp-perf, the rest: arguments given to every run (--no-rpc-server dropped).
set -u
set -m
perf=$1
shift
args=()
for a in "$@"; do
    [[ $a == --no-rpc-server ]] || args+=("$a")
done
dir=$(mktemp -d)
trap 'kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
sock=$dir/perf.sock
"$perf" "${args[@]}" -r "$sock" -z --malloc 16M -o 4096 -w randread >"$dir/out" 2>&1 &
pid=$!
for _ in $(seq 300); do
    [[ -S $sock ]] && grep -q 'waiting for perform_tests' "$dir/out" && break
    sleep 0.1
done

# A minimal JSON-RPC client: sends one request per argument (a JSON params object)
# back to back on one connection for "overlap", else one at a time; prints each
# response on a line.
python3 - "$sock" <<'PY' >"$dir/responses"
import json, socket, sys

def call(sock_path, params, ident):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(json.dumps({"jsonrpc": "2.0", "method": "perform_tests", "id": ident,
                          "params": params}).encode())
    return s

def read(s):
    buf, dec = b"", json.JSONDecoder()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed before a response")
        buf += chunk
        try:
            obj, _ = dec.raw_decode(buf.decode())
            return obj
        except ValueError:
            continue

path = sys.argv[1]
first = call(path, {"queue_depth": 4, "time_in_sec": 1}, 1)
busy = call(path, {"queue_depth": 4, "time_in_sec": 1}, 2)  # while the first runs
print(json.dumps(read(busy)))
print(json.dumps(read(first)))
# The first call's time_in_sec holds for the later ones, as in bdevperf.
again = call(path, {"queue_depth": 8, "workload_type": "randwrite"}, 3)
print(json.dumps(read(again)))
bad = call(path, {"io_size": "100T"}, 4)
print(json.dumps(read(bad)))
PY
client=$?
kill -INT "$pid"
for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
wait "$pid"
rc=$?
cat "$dir/out" "$dir/responses"
[[ $client -eq 0 && $rc -eq 0 ]] || { echo "client $client, exit code $rc"; exit 1; }
python3 - "$dir/responses" <<'PY'
import json, sys
busy, first, again, bad = [json.loads(l) for l in open(sys.argv[1])]
assert busy["id"] == 2 and busy["error"]["code"] == -32603, busy
assert "in progress" in busy["error"]["message"], busy
for r, ident, depth, workload in ((first, 1, 4, "randread"), (again, 3, 8, "randwrite")):
    assert r["id"] == ident, r
    (job,) = r["result"]["results"]
    assert r["result"]["core_count"] == 1, r
    assert job["job"] == "Malloc0" and job["status"] == "finished", job
    assert job["queue_depth"] == depth and job["workload"] == workload, job
    assert job["io_size"] == 4096 and job["iops"] > 0 and job["io_failed"] == 0, job
    assert 0.5 < job["runtime"] < 5, job
assert bad["id"] == 4 and bad["error"]["code"] == -32700, bad
assert "unknown size suffix" in bad["error"]["message"], bad
print("perform_tests: 2 runs answered, a concurrent one and bad params refused")
PY
