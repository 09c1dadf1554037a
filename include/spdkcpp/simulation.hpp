// Seeded simulation: a scenario run over many seeds, each under a seeded
// ThreadDriver (thread_driver.hpp) that picks the order of the threads' work, so
// that interleavings no hand-written test thought of are tried, and any failure
// comes back with the seed that replays it exactly.
//
//   auto report = spdkcpp::simulate({.first_seed = 1, .seeds = 500},
//                                   [](spdkcpp::ThreadDriver &driver) -> Result<void> {
//       auto app = driver.add_thread("app");
//       ...                              // threads, tasks, faults from driver.random()
//       return driver.run(*app, my_scenario(driver));   // its own checks
//   });
//   EXPECT_FALSE(report.failure) << report.describe();
//
// A scenario makes its threads and runs its tasks on the driver it is given, draws
// its own choices (which I/O fails, when a bdev goes away) from driver.random(), and
// returns an Error when a check fails. A driver's Stalled (a task still waiting
// when nothing can run any more: an I/O that never completes) fails the seed too,
// and so, on the embedded runtime, does what a seed leaves behind once its driver
// ended: DMA memory, io_devices still registered, channels still held.
// Replay a failure with {.first_seed = report.failure->seed, .seeds = 1}.
//
// Faults (SimulationOptions::faults, all off by default) are chosen per seed by
// the harness: a small bdev_io pool, small message queues. A scenario adds its own
// (a hot remove at a point, an I/O error) with driver.random() and names each with
// driver.note(), and a failing seed's report lists them all.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "spdk/bdev.h"
#include "spdkcpp/error.hpp"
#ifndef SPDKCPP_PROVIDER_SPDK
#include "spdkcpp_embedded/stats.h"
#endif
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp {

// Faults the harness injects, each chosen anew for every seed from the seed.
struct Faults {
    // The bdev_io pool cut to between half this and this many spdk_bdev_io, with a
    // per-thread cache of one: submissions meet -ENOMEM and wait for an
    // spdk_bdev_io (spdk_bdev_queue_io_wait). Takes effect when the scenario
    // brings the bdev layer up. 0: off.
    uint32_t bdev_io_pool = 0;
    // Every thread's message queue cut to a power of two from 2 to this: a send
    // may find it full (-ENOMEM: ThreadRef::send, on(), spawn give OutOfMemory;
    // the wrappers' own releases and resumptions retry). The embedded runtime
    // only: SPDK ignores a failed send in places, and loses its own messages.
    // 0: off.
    uint32_t message_queue = 0;
};

struct SimulationOptions {
    uint64_t first_seed = 1;
    uint64_t seeds = 100;
    uint32_t max_msgs_per_step = 4;
    std::size_t trace_steps = 32;
    Faults faults{};
};

struct SimulationFailure {
    uint64_t seed = 0;
    Error error{ErrorKind::Other};
    std::string trace;                // the driver's last steps before the failure
    std::vector<std::string> faults;  // what the seed chose (driver.notes())
};

struct SimulationReport {
    uint64_t seeds_run = 0;
    uint64_t interleavings = 0;  // distinct step orders among the seeds run
    uint64_t steps = 0;          // thread polls, over every seed
    std::optional<SimulationFailure> failure;

    [[nodiscard]] std::string describe() const {
        std::string out = std::to_string(seeds_run) + " seeds, " + std::to_string(interleavings) +
                          " distinct interleavings, " + std::to_string(steps) + " steps";
        if (failure) {
            out +=
                "; seed " + std::to_string(failure->seed) + " failed: " + failure->error.message();
            for (const std::string &fault : failure->faults) {
                out += "\nfault: " + fault;
            }
            out += "\nlast steps:\n" + failure->trace;
        }
        return out;
    }
};

namespace detail {

// The fault choices of a seed: a stream of their own, so that a scenario's
// driver.random() draws do not shift when a fault is turned on.
inline uint64_t fault_choice(uint64_t seed, uint64_t which) noexcept {
    uint64_t z = seed * 0x9e3779b97f4a7c15ULL + which * 0xd1b54a32d192ed03ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Sets the seed's bdev_io pool (Faults::bdev_io_pool) and gives it back to SPDK's
// previous options at the end of the seed.
class PoolFault {
  public:
    static Result<PoolFault> apply(uint32_t max, uint64_t seed, ThreadDriver &driver) {
        PoolFault fault;
        spdk_bdev_get_opts(&fault.saved_, sizeof(fault.saved_));
        if (max == 0) {
            return fault;
        }
        const uint32_t low = std::max<uint32_t>(max / 2, 1);
        spdk_bdev_opts opts = fault.saved_;
        opts.bdev_io_pool_size =
            low + static_cast<uint32_t>(fault_choice(seed, 1) % (max - low + 1));
        opts.bdev_io_cache_size = 1;
        if (const int rc = spdk_bdev_set_opts(&opts); rc != 0) {
            return fail(Error::from_errno(rc, "spdk_bdev_set_opts: the bdev_io pool fault"));
        }
        fault.active_ = true;
        driver.note("bdev_io pool of " + std::to_string(opts.bdev_io_pool_size));
        return fault;
    }
    PoolFault(PoolFault &&other) noexcept
        : saved_(other.saved_), active_(std::exchange(other.active_, false)) {}
    PoolFault &operator=(PoolFault &&) = delete;
    ~PoolFault() {
        if (active_) {
            spdk_bdev_set_opts(&saved_);
        }
    }

  private:
    PoolFault() = default;
    spdk_bdev_opts saved_{};
    bool active_ = false;
};

// The seed's message queue size (Faults::message_queue), 0 for SPDK's default.
inline Result<std::size_t> message_queue_fault(uint32_t max, uint64_t seed) {
    if (max == 0) {
        return std::size_t{0};
    }
#ifdef SPDKCPP_PROVIDER_SPDK
    (void)seed;
    return fail(ErrorKind::NotSupported,
                "the message_queue fault needs the embedded runtime (SPDK loses its own "
                "messages when its message pool runs dry)");
#else
    std::size_t sizes = 0;  // powers of two from 2 to max
    for (std::size_t size = 2; size <= max; size *= 2) {
        ++sizes;
    }
    return std::size_t{2} << (sizes == 0 ? 0 : fault_choice(seed, 2) % sizes);
#endif
}

// What a seed left behind once its driver ended (the embedded runtime counts it;
// on SPDK nothing is known): empty when nothing.
class Leftovers {
  public:
    static Leftovers now() noexcept {
        Leftovers l;
#ifndef SPDKCPP_PROVIDER_SPDK
        spdkcpp_embedded_get_mem_stats(&l.mem_);
        spdkcpp_embedded_get_leftover_stats(&l.left_);
#endif
        return l;
    }
    [[nodiscard]] std::string since(const Leftovers &before) const {
        std::string out;
#ifndef SPDKCPP_PROVIDER_SPDK
        auto add = [&](uint64_t n, const char *what) {
            if (n != 0) {
                out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + what;
            }
        };
        add(mem_.allocations_in_use > before.mem_.allocations_in_use
                ? mem_.allocations_in_use - before.mem_.allocations_in_use
                : 0,
            "DMA allocations never freed");
        add(left_.io_devices - before.left_.io_devices, "io_devices never unregistered");
        add(left_.channels - before.left_.channels, "channels never put");
#else
        (void)before;
#endif
        return out;
    }

  private:
#ifndef SPDKCPP_PROVIDER_SPDK
    spdkcpp_embedded_mem_stats mem_{};
    spdkcpp_embedded_leftover_stats left_{};
#endif
};

}  // namespace detail

// Runs scenario(driver) once per seed, each with a new seeded driver and the
// seed's faults, until a seed fails or every seed ran. scenario:
// Result<void>(ThreadDriver &).
template <typename Scenario>
SimulationReport simulate(const SimulationOptions &options, Scenario &&scenario) {
    SimulationReport report;
    std::set<uint64_t> fingerprints;
    for (uint64_t seed = options.first_seed; seed - options.first_seed < options.seeds; ++seed) {
        auto queue = detail::message_queue_fault(options.faults.message_queue, seed);
        if (!queue) {
            report.failure = SimulationFailure{seed, std::move(queue.error()), {}, {}};
            return report;
        }
        const auto before = detail::Leftovers::now();
        std::optional<SimulationFailure> failure;
        std::string trace;
        std::vector<std::string> notes;
        {
            auto driver = ThreadDriver::create({.seed = seed,
                                                .max_msgs_per_step = options.max_msgs_per_step,
                                                .trace_steps = options.trace_steps,
                                                .message_queue = *queue});
            if (!driver) {
                report.failure = SimulationFailure{seed, driver.error(), {}, {}};
                return report;
            }
            if (*queue != 0) {
                driver->note("message queues of " + std::to_string(*queue));
            }
            auto pool = detail::PoolFault::apply(options.faults.bdev_io_pool, seed, *driver);
            Result<void> outcome = pool ? scenario(*driver) : fail(pool.error());
            ++report.seeds_run;
            report.steps += driver->steps();
            fingerprints.insert(driver->fingerprint());
            report.interleavings = fingerprints.size();
            trace = driver->trace();
            notes = driver->notes();
            if (!outcome) {
                failure = SimulationFailure{seed, std::move(outcome.error()), trace, notes};
            }
        }  // the driver ends: its threads exit and the thread library finishes
        if (!failure) {
            if (std::string left = detail::Leftovers::now().since(before); !left.empty()) {
                failure = SimulationFailure{seed, Error(ErrorKind::Other, "left behind: " + left),
                                            std::move(trace), std::move(notes)};
            }
        }
        if (failure) {
            report.failure = std::move(failure);
            return report;
        }
    }
    return report;
}

}  // namespace spdkcpp
