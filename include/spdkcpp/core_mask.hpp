// CoreMask: a set of CPU cores, as SPDK's core masks ("0x3", "[0-1,4]").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spdk/cpuset.h"
#include "spdk/env.h"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

class CoreMask {
  public:
    CoreMask() noexcept { spdk_cpuset_zero(&set_); }

    // "0x3", "3" or "[0-1,4]"; InvalidParameter for anything else or an empty set.
    static Result<CoreMask> parse(const std::string &mask) {
        CoreMask m;
        if (spdk_cpuset_parse(&m.set_, mask.c_str()) != 0 || m.count() == 0) {
            return fail(ErrorKind::InvalidParameter, "invalid core mask '" + mask + "'");
        }
        return m;
    }

    // The cores the env runs reactors on (the app's core mask).
    static CoreMask app_cores() noexcept {
        CoreMask m;
        spdk_env_get_cpuset(&m.set_);
        return m;
    }

    static CoreMask single(std::uint32_t core) noexcept {
        CoreMask m;
        m.set(core);
        return m;
    }

    void set(std::uint32_t core, bool on = true) noexcept { spdk_cpuset_set_cpu(&set_, core, on); }
    [[nodiscard]] bool contains(std::uint32_t core) const noexcept {
        return spdk_cpuset_get_cpu(&set_, core);
    }
    [[nodiscard]] std::uint32_t count() const noexcept { return spdk_cpuset_count(&set_); }

    // The cores in ascending order.
    [[nodiscard]] std::vector<std::uint32_t> cores() const {
        std::vector<std::uint32_t> out;
        for (std::uint32_t c = 0; c < SPDK_CPUSET_SIZE; ++c) {
            if (contains(c)) {
                out.push_back(c);
            }
        }
        return out;
    }

    // Hexadecimal, with the "0x" SPDK's options take.
    [[nodiscard]] std::string to_string() const {
        spdk_cpuset copy = set_;
        return std::string("0x") + spdk_cpuset_fmt(&copy);
    }

    [[nodiscard]] const spdk_cpuset *raw() const noexcept { return &set_; }

    friend bool operator==(const CoreMask &a, const CoreMask &b) noexcept {
        return spdk_cpuset_equal(&a.set_, &b.set_);
    }

  private:
    spdk_cpuset set_{};
};

}  // namespace spdkcpp
