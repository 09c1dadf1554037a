#!/usr/bin/env bash
# Builds the release preset and runs every benchmark of BENCHMARKS.md, printing
# their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
build=build/release

echo "== spdkcpp-perf, malloc bdev, 4 KiB randread, QD 32, one core"
"$build/tools/perf/spdkcpp-perf" --malloc 256M -q 32 -o 4096 -w randread -t 3
echo "== zero overhead: instructions and allocations per read"
bench/zero_overhead.sh "$build"
echo "== spdkcpp-perf instructions per I/O"
bench/perf_instructions.sh "$build" 32
bench/perf_instructions.sh "$build" 1
echo "== messages and coroutine hops"
"$build/bench/bench_threads" --benchmark_min_time=0.2
"$build/bench/bench_dma_buf" --benchmark_min_time=0.2
if [[ -x bench/uring_vs_fio.sh ]]; then
    echo "== uring bdev against fio"
    bench/uring_vs_fio.sh "$build"
fi
