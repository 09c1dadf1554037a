// The SPDK tick clock (spdk_get_ticks): cheap enough to read per I/O.
#pragma once

#include <chrono>
#include <cstdint>

#include "spdk/env.h"

namespace spdkcpp {

struct Clock {
    [[nodiscard]] static uint64_t ticks() noexcept { return spdk_get_ticks(); }
    [[nodiscard]] static uint64_t hz() noexcept { return spdk_get_ticks_hz(); }

    [[nodiscard]] static uint64_t to_ticks(std::chrono::nanoseconds d) noexcept {
        return static_cast<uint64_t>(static_cast<double>(d.count()) * static_cast<double>(hz()) /
                                     1e9);
    }
    [[nodiscard]] static double to_us(uint64_t ticks) noexcept {
        return static_cast<double>(ticks) * 1e6 / static_cast<double>(hz());
    }
};

}  // namespace spdkcpp
