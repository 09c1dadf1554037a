#!/usr/bin/env bash
# Sets up the machine, then builds and runs the whole test suite: the dev preset
# (debug, assertions), the asan preset (ASan + UBSan) and, for the thread tests,
# the tsan preset. Warnings are errors in every preset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/check-format.sh

jobs=$(nproc)
run_preset() {
    local preset=$1
    echo "=== preset ${preset}"
    cmake --preset "${preset}" >/dev/null
    cmake --build --preset "${preset}" -j "${jobs}"
    ctest --preset "${preset}" -j "${jobs}"
}

presets=("$@")
if ((${#presets[@]} == 0)); then presets=(dev asan tsan); fi
for preset in "${presets[@]}"; do
    run_preset "${preset}"
done
