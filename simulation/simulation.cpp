// The C face of the seeded simulation (spdkcpp/simulation.h) over simulate().
#include "spdkcpp/simulation.h"

#include <cerrno>
#include <cstdio>

#include "spdkcpp/simulation.hpp"

struct spdkcpp_sim {
    spdkcpp::ThreadDriver *driver;
};

extern "C" {

void spdkcpp_sim_opts_init(struct spdkcpp_sim_opts *opts) {
    if (opts != nullptr) {
        *opts = {.first_seed = 1,
                 .seeds = 100,
                 .max_msgs_per_step = 4,
                 .bdev_io_pool = 0,
                 .message_queue = 0};
    }
}

int spdkcpp_simulate(const struct spdkcpp_sim_opts *opts, spdkcpp_sim_scenario scenario, void *ctx,
                     struct spdkcpp_sim_report *report) {
    if (opts == nullptr || scenario == nullptr || report == nullptr) {
        return -EINVAL;
    }
    auto outcome = spdkcpp::simulate(
        {.first_seed = opts->first_seed,
         .seeds = opts->seeds,
         .max_msgs_per_step = opts->max_msgs_per_step,
         .trace_steps = 32,
         .faults = {.bdev_io_pool = opts->bdev_io_pool, .message_queue = opts->message_queue}},
        [&](spdkcpp::ThreadDriver &driver) -> spdkcpp::Result<void> {
            spdkcpp_sim sim{&driver};
            const int rc = scenario(&sim, ctx);
            if (rc == 0) {
                return {};
            }
            return spdkcpp::fail(spdkcpp::Error::from_errno(rc < 0 ? -rc : rc, "the scenario"));
        });
    *report = {};
    report->seeds_run = outcome.seeds_run;
    report->interleavings = outcome.interleavings;
    report->steps = outcome.steps;
    report->failed = outcome.failure.has_value();
    if (outcome.failure) {
        report->failed_seed = outcome.failure->seed;
        report->failed_rc = -outcome.failure->error.code();
    }
    std::snprintf(report->description, sizeof(report->description), "%s",
                  outcome.describe().c_str());
    return report->failed ? report->failed_rc : 0;
}

struct spdk_thread *spdkcpp_sim_add_thread(struct spdkcpp_sim *sim, const char *name) {
    if (sim == nullptr || name == nullptr) {
        return nullptr;
    }
    auto thread = sim->driver->add_thread(name);
    return thread ? thread->raw() : nullptr;
}

bool spdkcpp_sim_run_until(struct spdkcpp_sim *sim, const bool *done) {
    if (sim == nullptr || done == nullptr) {
        return false;
    }
    return sim->driver->run_until([done] { return *done; });
}

uint64_t spdkcpp_sim_random(struct spdkcpp_sim *sim, uint64_t n) {
    return sim != nullptr && n > 0 ? sim->driver->random(n) : 0;
}

void spdkcpp_sim_note(struct spdkcpp_sim *sim, const char *what) {
    if (sim != nullptr && what != nullptr) {
        sim->driver->note(what);
    }
}

}  // extern "C"
