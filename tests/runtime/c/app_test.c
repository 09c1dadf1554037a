/* A plain C program against SPDK's app framework, written as SPDK users write it:
 * two reactors (-m 0x3), a thread on each, a message bouncing between them and a
 * poller, then spdk_app_stop(0). Exits non-zero on failure. */
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/log.h"
#include "spdk/stdinc.h"
#include "spdk/thread.h"

#define ROUNDS 1000

struct ctx {
    struct spdk_thread *app_thread;
    struct spdk_thread *worker;
    struct spdk_poller *poller;
    int poller_runs; /* on the worker */
    int bounces;     /* on whichever thread holds the ball */
    uint32_t app_core;
    uint32_t worker_core;
    int failures;
};

static void ping(void *arg);

static void stop_app(void *arg) {
    (void)arg;
    spdk_app_stop(0);
}

static void worker_done(void *arg) {
    struct ctx *c = arg;

    spdk_poller_unregister(&c->poller);
    spdk_thread_exit(spdk_get_thread());
    spdk_thread_send_msg(c->app_thread, stop_app, NULL);
}

static void pong(void *arg) {
    struct ctx *c = arg;

    if (spdk_get_thread() != c->worker) {
        c->failures++;
    }
    c->worker_core = spdk_env_get_current_core();
    c->bounces++;
    spdk_thread_send_msg(c->app_thread, ping, c);
}

static void ping(void *arg) {
    struct ctx *c = arg;

    if (spdk_get_thread() != c->app_thread) {
        c->failures++;
    }
    c->app_core = spdk_env_get_current_core();
    if (++c->bounces >= ROUNDS) {
        spdk_thread_send_msg(c->worker, worker_done, c);
        return;
    }
    spdk_thread_send_msg(c->worker, pong, c);
}

static int worker_poller(void *arg) {
    struct ctx *c = arg;

    c->poller_runs++;
    return SPDK_POLLER_IDLE;
}

static void worker_start(void *arg) {
    struct ctx *c = arg;

    c->poller = SPDK_POLLER_REGISTER(worker_poller, c, 0);
    if (c->poller == NULL) {
        c->failures++;
    }
    spdk_thread_send_msg(c->app_thread, ping, c);
}

static void start(void *arg) {
    struct ctx *c = arg;
    struct spdk_cpuset core1;

    c->app_thread = spdk_get_thread();
    if (!spdk_thread_is_app_thread(NULL)) {
        c->failures++;
    }
    spdk_cpuset_zero(&core1);
    spdk_cpuset_set_cpu(&core1, 1, true);
    c->worker = spdk_thread_create("worker", &core1);
    if (c->worker == NULL) {
        c->failures++;
        spdk_app_stop(-1);
        return;
    }
    spdk_thread_send_msg(c->worker, worker_start, c);
}

int main(int argc, char **argv) {
    struct spdk_app_opts opts = {};
    struct ctx c;
    int rc;

    memset(&c, 0, sizeof(c));
    spdk_app_opts_init(&opts, sizeof(opts));
    opts.name = "c_app_test";
    opts.reactor_mask = "0x3";
    opts.no_huge = true;
    opts.print_level = SPDK_LOG_WARN;
    opts.rpc_addr = NULL; /* no RPC socket: tests run in parallel */
    if (spdk_app_parse_args(argc, argv, &opts, NULL, NULL, NULL, NULL) !=
        SPDK_APP_PARSE_ARGS_SUCCESS) {
        return 1;
    }
    rc = spdk_app_start(&opts, start, &c);
    spdk_app_fini();

    if (rc != 0) {
        fprintf(stderr, "spdk_app_start returned %d\n", rc);
        return 1;
    }
    if (c.failures != 0 || c.bounces < ROUNDS || c.poller_runs == 0 || c.app_core != 0 ||
        c.worker_core != 1) {
        fprintf(stderr, "failures %d bounces %d poller runs %d cores %u/%u\n", c.failures,
                c.bounces, c.poller_runs, c.app_core, c.worker_core);
        return 1;
    }
    printf("c_app_test: ok (%d bounces, poller ran %d times)\n", c.bounces, c.poller_runs);
    return 0;
}
