#!/usr/bin/env bash
# Installs every Debian package that the build, the tests, the tools and the
# benchmarks need. Idempotent, and quick when everything is already there.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkgconf git
    clang-format clang-tidy valgrind
    libfmt-dev liburing-dev nlohmann-json3-dev libcli11-dev
    libgtest-dev libgmock-dev googletest libbenchmark-dev
    fio python3
    # The fuzz preset: clang with libFuzzer (clang-19: Debian 12's clang-16 lacks
    # std::expected with libstdc++ 12), and llvm-symbolizer for readable reports.
    clang-19 libclang-rt-19-dev llvm
)
# What a program linked against an SPDK install needs (the spdk preset), where one
# is present: SPDK's shared libraries leave their system libraries to the program.
spdk_prefix=${SPDKCPP_SPDK_PREFIX:-/var/cache/spdkcpp/spdk}
if [[ -f ${spdk_prefix}/lib/pkgconfig/spdk_bdev.pc ]]; then
    packages+=(libdpdk-dev libaio-dev libssl-dev uuid-dev libkeyutils-dev libnuma-dev
        libbsd-dev libjson-c-dev)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
