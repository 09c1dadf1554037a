/* What the plain C test programs that start the subsystems on a thread they poll
 * themselves share: the CHECK macro that counts failures, the app thread and the
 * completion flags of spdk_subsystem_init, _load_config and _fini. */
#ifndef SPDKCPP_TESTS_RUNTIME_C_TEST_UTIL_H
#define SPDKCPP_TESTS_RUNTIME_C_TEST_UTIL_H

#include "spdk/stdinc.h"

#include "spdk/log.h"
#include "spdk/thread.h"

static int g_failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            g_failures++;                                                            \
        }                                                                            \
    } while (0)

static struct spdk_thread *g_app_thread;

/* Initializes the env (DMA memory exists only from then on), starts the thread
 * library with warnings logged and makes g_app_thread current. */
static inline void start_app_thread(void) {
    struct spdk_env_opts opts;

    spdk_log_set_print_level(SPDK_LOG_WARN);
    opts.opts_size = sizeof(opts);
    spdk_env_opts_init(&opts);
    opts.name = "c_test";
    opts.no_huge = true;
    opts.mem_size = 256;
    CHECK(spdk_env_init(&opts) == 0);
    CHECK(spdk_thread_lib_init(NULL, 0) == 0);
    g_app_thread = spdk_thread_create("app", NULL);
    CHECK(g_app_thread != NULL);
    spdk_set_thread(g_app_thread);
}

/* Ends g_app_thread and the thread library. */
static inline void stop_app_thread(void) {
    spdk_thread_exit(g_app_thread);
    while (!spdk_thread_is_exited(g_app_thread)) {
        spdk_thread_poll(g_app_thread, 0, 0);
    }
    spdk_thread_destroy(g_app_thread);
    spdk_thread_lib_fini();
    spdk_env_fini();
}

/* The program's exit status: 1 after a failed check, else 0 ("all <what> checks
 * passed"). */
static inline int checks_result(const char *what) {
    if (g_failures != 0) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("all %s checks passed\n", what);
    return 0;
}

/* Polls the app thread until it has nothing left to do. */
static inline void poll_until_idle(void) {
    int idle_rounds = 0;
    int i;
    for (i = 0; i < 1000000 && idle_rounds < 3; i++) {
        idle_rounds = spdk_thread_poll(g_app_thread, 0, 0) == 0 ? idle_rounds + 1 : 0;
    }
}

struct done_flag {
    bool done;
    int rc;
};

static inline void init_done(int rc, void *arg) {
    struct done_flag *flag = arg;
    flag->rc = rc;
    flag->done = true;
}

static inline void fini_done(void *arg) {
    struct done_flag *flag = arg;
    flag->done = true;
}

#endif /* SPDKCPP_TESTS_RUNTIME_C_TEST_UTIL_H */
