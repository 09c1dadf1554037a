// The I/O patterns of spdkcpp-perf, by bdevperf's names (-w, a job file's rw=).
#pragma once

#include <optional>
#include <string_view>

namespace perf {

enum class Workload {
    RandRead,
    RandWrite,
    Read,
    Write,
    Rw,
    RandRw,
    Verify,
    WriteZeroes,
    Unmap,
    Flush
};

// The workload of a bdevperf name ("randread"), if there is one.
std::optional<Workload> workload_named(std::string_view name) noexcept;

constexpr bool is_random(Workload w) noexcept {
    return w == Workload::RandRead || w == Workload::RandWrite || w == Workload::RandRw;
}

constexpr bool is_mixed(Workload w) noexcept {
    return w == Workload::Rw || w == Workload::RandRw;
}

constexpr bool reads_only(Workload w) noexcept {
    return w == Workload::RandRead || w == Workload::Read;
}

}  // namespace perf
