#!/usr/bin/env bash
# Builds the fuzz preset and runs each fuzzer on its seed corpus for a bounded time
# (SPDKCPP_FUZZ_SECONDS, 20 by default); fails on any finding (crash, leak, UBSan
# report, timeout, RSS over the limit). New inputs go to a scratch directory, never
# into the committed corpus; a finding is left in build/fuzz/findings/. As many
# fuzzers run at once as there are cores. Prints one summary line per fuzzer.
# Usage: scripts/fuzz.sh [fuzzer...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${SPDKCPP_FUZZ_SECONDS:-20}
# fuzzer name -> corpus directory under tests/fuzz/corpus/
declare -A corpus=(
    [fuzz_json]=json
    [fuzz_config]=config
    [fuzz_perf_args]=perf_args
    [fuzz_perf_job_file]=perf_job_file
    [fuzz_bdev_io]=bdev_io
    [fuzz_jsonrpc]=jsonrpc
)
fuzzers=("$@")
if ((${#fuzzers[@]} == 0)); then
    fuzzers=(fuzz_json fuzz_config fuzz_perf_args fuzz_perf_job_file fuzz_bdev_io fuzz_jsonrpc)
fi

echo "=== preset fuzz"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

bin=build/fuzz/tests/fuzz
findings=build/fuzz/findings
mkdir -p "${findings}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One fuzzer: its summary line in ${findings}/${f}.summary, its exit code in
# ${findings}/${f}.rc.
run_one() {
    local f=$1 dir=${corpus[$1]:?"unknown fuzzer $1"}
    local scratch log=${findings}/${f}.log rc=0 runs rate
    scratch=$(mktemp -d)
    "${bin}/${f}" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="${findings}/${f}-" \
        "${scratch}" "tests/fuzz/corpus/${dir}" >"${log}" 2>&1 || rc=$?
    rm -rf "${scratch}"
    echo "${rc}" >"${findings}/${f}.rc"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "${log}" | tail -1)
    if ((rc == 0)); then
        echo "fuzz ${f}: ${runs:-?} runs in ${seconds} s (${rate:-?}/s), no finding" \
            >"${findings}/${f}.summary"
    else
        {
            echo "fuzz ${f}: FINDING (exit ${rc}) after ${runs:-?} runs;" \
                "log ${log}, input ${findings}/${f}-*"
            grep -E "ERROR|SUMMARY|fuzz_[a-z_]*:" "${log}" | head -5 || true
        } >"${findings}/${f}.summary"
    fi
    return "${rc}"
}

# As many at once as there are cores (each fuzzer is one process).
max_jobs=$(nproc)
for f in "${fuzzers[@]}"; do
    [[ -n ${corpus[$f]:-} ]] || { echo "unknown fuzzer ${f}" >&2; exit 2; }
    while (($(jobs -rp | wc -l) >= max_jobs)); do
        wait -n || true
    done
    run_one "${f}" &
done
wait
# The status from each fuzzer's own file (wait -n above may have taken it).
failed=0
for f in "${fuzzers[@]}"; do
    cat "${findings}/${f}.summary"
    [[ $(cat "${findings}/${f}.rc") == 0 ]] || failed=1
done
exit "${failed}"
