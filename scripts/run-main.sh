#!/usr/bin/env bash
# Sets up the machine, builds the release preset and runs the main job:
# spdkcpp-perf on an embedded malloc bdev. Arguments replace the default job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
if (($# == 0)); then
    set -- --malloc 256M -q 32 -o 4096 -w randread -t 3
fi
exec build/release/tools/perf/spdkcpp-perf "$@"
