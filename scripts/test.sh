#!/usr/bin/env bash
# Sets up the machine, then builds and runs the whole test suite: the dev preset
# (debug, assertions, thread checks), the release preset (NDEBUG: thread checks off,
# as users ship), the asan preset (ASan + UBSan), the tsan preset and, where an SPDK
# install is found, the spdk preset (the same suite against real SPDK); then the
# fuzz step: every libFuzzer target for a bounded time (scripts/fuzz.sh). Warnings
# are errors in every preset. `scripts/test.sh fuzz` runs the fuzz step alone.
#
# SPDK is looked for in $SPDKCPP_SPDK_PREFIX, by default /var/cache/spdkcpp/spdk
# (an SPDK install prefix, with lib/pkgconfig/spdk_bdev.pc and shared libraries).
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

export SPDKCPP_SPDK_PREFIX=${SPDKCPP_SPDK_PREFIX:-/var/cache/spdkcpp/spdk}
presets=("$@")
if ((${#presets[@]} == 0)); then
    presets=(dev release asan tsan)
    if [[ -f ${SPDKCPP_SPDK_PREFIX}/lib/pkgconfig/spdk_bdev.pc ]]; then
        presets+=(spdk)
    else
        echo "=== preset spdk skipped: no SPDK install in ${SPDKCPP_SPDK_PREFIX}" \
            "(set SPDKCPP_SPDK_PREFIX to an SPDK install prefix)"
    fi
    presets+=(fuzz)
fi
for preset in "${presets[@]}"; do
    if [[ ${preset} == fuzz ]]; then
        scripts/fuzz.sh
    else
        run_preset "${preset}"
    fi
done
