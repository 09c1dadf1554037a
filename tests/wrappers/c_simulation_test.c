/* The seeded simulation from C (spdkcpp/simulation.h): a callback-style scenario
 * (an io_device with a channel on each of three workers, walked by
 * spdk_for_each_channel, then put and unregistered) passes over many seeds, one
 * seed replays its run, seeds order the work differently, and a failing or stalled
 * seed is reported with its seed, error and notes. Exits 0 when every check
 * holds. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "spdk/thread.h"
#include "spdkcpp/simulation.h"

#define WORKERS 3

static int g_failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            ++g_failures;                                                            \
        }                                                                            \
    } while (0)

struct walk {
    struct spdk_thread *app;
    struct spdk_thread *workers[WORKERS];
    struct spdk_io_channel *channels[WORKERS];
    int device; /* its address is the io_device */
    int created, destroyed, visited, got, put;
    bool unregistered_on_app, done;
    char log[256]; /* the order in which the workers got their channels */
    int fail_on_seed_7;
    struct spdkcpp_sim *sim;
};

static int channel_create(void *io_device, void *ctx) {
    struct walk *w = (struct walk *)((char *)io_device - offsetof(struct walk, device));
    (void)ctx;
    ++w->created;
    return 0;
}

static void channel_destroy(void *io_device, void *ctx) {
    struct walk *w = (struct walk *)((char *)io_device - offsetof(struct walk, device));
    (void)ctx;
    ++w->destroyed;
}

static void unregistered(void *io_device) {
    struct walk *w = (struct walk *)((char *)io_device - offsetof(struct walk, device));
    w->unregistered_on_app = spdk_get_thread() == w->app;
    w->done = true;
}

static void unregister_msg(void *arg) {
    struct walk *w = arg;
    spdk_io_device_unregister(&w->device, unregistered);
}

static void put_channel(void *arg) {
    struct walk *w = arg;
    for (int i = 0; i < WORKERS; ++i) {
        if (w->workers[i] == spdk_get_thread()) {
            spdk_put_io_channel(w->channels[i]);
            if (++w->put == WORKERS) {
                spdk_thread_send_msg(w->app, unregister_msg, w);
            }
        }
    }
}

static void visit(struct spdk_io_channel_iter *i) {
    struct walk *w = spdk_io_channel_iter_get_ctx(i);
    ++w->visited;
    spdk_for_each_channel_continue(i, 0);
}

static void walked(struct spdk_io_channel_iter *i, int status) {
    struct walk *w = spdk_io_channel_iter_get_ctx(i);
    if (status != 0) {
        return;
    }
    for (int k = 0; k < WORKERS; ++k) {
        spdk_thread_send_msg(w->workers[k], put_channel, w);
    }
}

static void got_channel(void *arg);

static void get_channel(void *arg) {
    struct walk *w = arg;
    for (int i = 0; i < WORKERS; ++i) {
        if (w->workers[i] == spdk_get_thread()) {
            w->channels[i] = spdk_get_io_channel(&w->device);
            size_t len = strlen(w->log);
            snprintf(w->log + len, sizeof(w->log) - len, "%d", i);
        }
    }
    spdk_thread_send_msg(w->app, got_channel, w);
}

static void got_channel(void *arg) {
    struct walk *w = arg;
    if (++w->got == WORKERS) {
        spdk_for_each_channel(&w->device, visit, w, walked);
    }
}

static void start(void *arg) {
    struct walk *w = arg;
    spdk_io_device_register(&w->device, channel_create, channel_destroy, 8, "c_walk");
    /* The seed picks which worker is asked first. */
    const uint64_t first = spdkcpp_sim_random(w->sim, WORKERS);
    for (uint64_t i = 0; i < WORKERS; ++i) {
        spdk_thread_send_msg(w->workers[(first + i) % WORKERS], get_channel, w);
    }
}

static char g_last_log[256];

static int walk_scenario(struct spdkcpp_sim *sim, void *ctx) {
    struct walk w;
    memset(&w, 0, sizeof(w));
    w.sim = sim;
    w.fail_on_seed_7 = ctx != NULL;
    w.app = spdkcpp_sim_add_thread(sim, "app");
    const char *names[WORKERS] = {"w0", "w1", "w2"};
    for (int i = 0; i < WORKERS; ++i) {
        w.workers[i] = spdkcpp_sim_add_thread(sim, names[i]);
        if (w.workers[i] == NULL) {
            return -ENOMEM;
        }
    }
    if (w.app == NULL || spdk_thread_send_msg(w.app, start, &w) != 0) {
        return -ENOMEM;
    }
    if (!spdkcpp_sim_run_until(sim, &w.done)) {
        return -ETIMEDOUT;
    }
    snprintf(g_last_log, sizeof(g_last_log), "%s", w.log);
    if (w.created != WORKERS || w.destroyed != WORKERS || w.visited != WORKERS ||
        !w.unregistered_on_app) {
        return -EIO;
    }
    if (w.fail_on_seed_7) {
        char note[320];
        snprintf(note, sizeof(note), "workers got channels in order %s", w.log);
        spdkcpp_sim_note(sim, note);
        return -EIO; /* every seed fails here: the first is reported */
    }
    return 0;
}

static int stalled_scenario(struct spdkcpp_sim *sim, void *ctx) {
    bool never = false;
    (void)ctx;
    if (spdkcpp_sim_add_thread(sim, "app") == NULL) {
        return -ENOMEM;
    }
    return spdkcpp_sim_run_until(sim, &never) ? 0 : -ETIMEDOUT;
}

int main(void) {
    struct spdkcpp_sim_opts opts;
    struct spdkcpp_sim_report report;

    spdkcpp_sim_opts_init(&opts);
    CHECK(opts.first_seed == 1 && opts.seeds == 100 && opts.bdev_io_pool == 0);
    CHECK(spdkcpp_simulate(NULL, walk_scenario, NULL, &report) == -EINVAL);

    /* Every seed passes; seeds differ in their interleavings. */
    opts.seeds = 200;
    CHECK(spdkcpp_simulate(&opts, walk_scenario, NULL, &report) == 0);
    CHECK(!report.failed && report.seeds_run == 200);
    CHECK(report.interleavings > 100);
    printf("c walk simulation: %s\n", report.description);

    /* One seed replays its run; another orders the channels differently. */
    char first[256], again[256];
    int orders = 0;
    opts.seeds = 1;
    opts.first_seed = 42;
    spdkcpp_simulate(&opts, walk_scenario, NULL, &report);
    snprintf(first, sizeof(first), "%s", g_last_log);
    spdkcpp_simulate(&opts, walk_scenario, NULL, &report);
    snprintf(again, sizeof(again), "%s", g_last_log);
    CHECK(strcmp(first, again) == 0);
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        opts.first_seed = seed;
        spdkcpp_simulate(&opts, walk_scenario, NULL, &report);
        orders += strcmp(g_last_log, first) != 0;
    }
    CHECK(orders > 0);

    /* A failing seed: reported with its seed, its error and its note. */
    opts.first_seed = 7;
    opts.seeds = 10;
    CHECK(spdkcpp_simulate(&opts, walk_scenario, &opts, &report) == -EIO);
    CHECK(report.failed && report.failed_seed == 7 && report.failed_rc == -EIO);
    CHECK(report.seeds_run == 1);
    CHECK(strstr(report.description, "seed 7 failed") != NULL);
    CHECK(strstr(report.description, "fault: workers got channels in order") != NULL);
    CHECK(strstr(report.description, "last steps:") != NULL);

    /* A scenario that can never finish stalls, and says so. */
    opts.first_seed = 3;
    CHECK(spdkcpp_simulate(&opts, stalled_scenario, NULL, &report) == -ETIMEDOUT);
    CHECK(report.failed && report.failed_seed == 3);

    if (g_failures == 0) {
        printf("all c simulation checks passed\n");
    }
    return g_failures == 0 ? 0 : 1;
}
