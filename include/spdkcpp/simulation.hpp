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
// when nothing can run any more: an I/O that never completes) fails the seed too.
// Replay a failure with {.first_seed = report.failure->seed, .seeds = 1}.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "spdkcpp/error.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp {

struct SimulationOptions {
    uint64_t first_seed = 1;
    uint64_t seeds = 100;
    uint32_t max_msgs_per_step = 4;
    std::size_t trace_steps = 32;
};

struct SimulationFailure {
    uint64_t seed = 0;
    Error error{ErrorKind::Other};
    std::string trace;  // the driver's last steps before the failure
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
            out += "; seed " + std::to_string(failure->seed) +
                   " failed: " + failure->error.message() + "\nlast steps:\n" + failure->trace;
        }
        return out;
    }
};

// Runs scenario(driver) once per seed, each with a new seeded driver, until a seed
// fails or every seed ran. scenario: Result<void>(ThreadDriver &).
template <typename Scenario>
SimulationReport simulate(const SimulationOptions &options, Scenario &&scenario) {
    SimulationReport report;
    std::set<uint64_t> fingerprints;
    for (uint64_t seed = options.first_seed; seed - options.first_seed < options.seeds; ++seed) {
        auto driver = ThreadDriver::create({.seed = seed,
                                            .max_msgs_per_step = options.max_msgs_per_step,
                                            .trace_steps = options.trace_steps});
        if (!driver) {
            report.failure = SimulationFailure{seed, driver.error(), {}};
            return report;
        }
        Result<void> outcome = scenario(*driver);
        ++report.seeds_run;
        report.steps += driver->steps();
        fingerprints.insert(driver->fingerprint());
        report.interleavings = fingerprints.size();
        if (!outcome) {
            report.failure = SimulationFailure{seed, std::move(outcome.error()), driver->trace()};
            return report;
        }
    }
    return report;
}

}  // namespace spdkcpp
