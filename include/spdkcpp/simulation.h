/* Seeded simulation for code written in C against SPDK's API: the harness of
 * simulation.hpp, with C types. Each seed gets a seeded driver that polls every
 * spdk_thread the scenario creates, in an order the seed picks; a scenario that
 * returns non-zero, or that never reaches its end, fails its seed, and the report
 * gives the seed to replay it.
 *
 *   static int scenario(struct spdkcpp_sim *sim, void *ctx) {
 *       struct spdk_thread *app = spdkcpp_sim_add_thread(sim, "app");
 *       struct my_state state = {0};
 *       spdk_thread_send_msg(app, my_start, &state);       // callbacks from here on
 *       if (!spdkcpp_sim_run_until(sim, &state.done)) {
 *           return -ETIMEDOUT;                               // stalled
 *       }
 *       return state.rc;                                     // its own checks
 *   }
 *   ...
 *   struct spdkcpp_sim_opts opts;
 *   struct spdkcpp_sim_report report;
 *   spdkcpp_sim_opts_init(&opts);
 *   opts.seeds = 500;
 *   if (spdkcpp_simulate(&opts, scenario, NULL, &report) != 0) {
 *       fprintf(stderr, "%s\n", report.description);        // seed, faults, last steps
 *   }
 *
 * Link spdkcpp::simulation. The driver owns SPDK's environment and thread library
 * for the seed: the scenario must not initialize them itself. */
#ifndef SPDKCPP_SIMULATION_H
#define SPDKCPP_SIMULATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One seed's driver, valid inside the scenario call it is given to. */
struct spdkcpp_sim;

struct spdkcpp_sim_opts {
    uint64_t first_seed;
    uint64_t seeds;
    uint32_t max_msgs_per_step; /* a step runs 1 to this many messages */
    /* Faults (0: off), as simulation.hpp's Faults: a bdev_io pool of half this to
     * this, message queues of 2 to this (embedded runtime only). */
    uint32_t bdev_io_pool;
    uint32_t message_queue;
};

struct spdkcpp_sim_report {
    uint64_t seeds_run;
    uint64_t interleavings; /* distinct step orders among the seeds run */
    uint64_t steps;
    bool failed;
    uint64_t failed_seed;
    int failed_rc; /* the failing seed's negative errno */
    /* What failed, the faults its seed chose and its last steps, cut to fit. */
    char description[4096];
};

/* Returns 0 when its checks hold, a negative errno otherwise. */
typedef int (*spdkcpp_sim_scenario)(struct spdkcpp_sim *sim, void *ctx);

/* Defaults: seeds 1 to 100, up to 4 messages a step, no faults. */
void spdkcpp_sim_opts_init(struct spdkcpp_sim_opts *opts);

/* Runs scenario once per seed until a seed fails or all ran. 0 when every seed
 * passed; the failing seed's negative errno otherwise (see report); -EINVAL for
 * a missing argument. */
int spdkcpp_simulate(const struct spdkcpp_sim_opts *opts, spdkcpp_sim_scenario scenario, void *ctx,
                     struct spdkcpp_sim_report *report);

/* A new spdk_thread polled by the driver (the first is SPDK's app thread); NULL
 * when it cannot be made. */
struct spdk_thread *spdkcpp_sim_add_thread(struct spdkcpp_sim *sim, const char *name);

/* Runs the threads, in the seed's order, until *done is true or nothing can run
 * any more (virtual time moves on to each timed poller meanwhile). Gives *done:
 * false means the scenario stalled. */
bool spdkcpp_sim_run_until(struct spdkcpp_sim *sim, const bool *done);

/* A number in [0, n) from the seed's stream (n > 0), for the scenario's own
 * choices; and a name for a choice or fault, shown if the seed fails. */
uint64_t spdkcpp_sim_random(struct spdkcpp_sim *sim, uint64_t n);
void spdkcpp_sim_note(struct spdkcpp_sim *sim, const char *what);

#ifdef __cplusplus
}
#endif

#endif /* SPDKCPP_SIMULATION_H */
