/* The hand-written C baseline of the message benchmark: `window` messages bounce
 * between a thread on core 0 and one on core 1 until `count` round trips are
 * done. pingpong_cpp does the same with spdkcpp coroutines hopping threads.
 *
 *   pingpong_c COUNT WINDOW     (needs two cores: runs with core mask 0x3) */
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/thread.h"

static struct spdk_thread *g_a;
static struct spdk_thread *g_b;
static uint64_t g_started;
static uint64_t g_done;
static uint64_t g_count;
static uint64_t g_start_tsc;

static void ping(void *ctx);

static void pong(void *ctx) {
    spdk_thread_send_msg(g_a, ping, ctx);
}

static void exit_b(void *ctx) {
    (void)ctx;
    spdk_thread_exit(spdk_get_thread());
}

static void ping(void *ctx) {
    if (ctx != NULL && ++g_done == g_count) {
        double secs = (double)(spdk_get_ticks() - g_start_tsc) / (double)spdk_get_ticks_hz();
        printf("pingpong_c: %" PRIu64
               " round trips in %.3f s: %.0f round trips/s, "
               "%.3f us each\n",
               g_count, secs, (double)g_count / secs, secs * 1e6 / (double)g_count);
        spdk_thread_send_msg(g_b, exit_b, NULL);
        spdk_app_stop(0);
        return;
    }
    if (g_started < g_count) {
        g_started++;
        spdk_thread_send_msg(g_b, pong, (void *)1);
    }
}

static void start(void *arg) {
    struct spdk_cpuset core1;
    uint64_t window = *(uint64_t *)arg, i;

    g_a = spdk_get_thread();
    spdk_cpuset_zero(&core1);
    spdk_cpuset_set_cpu(&core1, 1, true);
    g_b = spdk_thread_create("pong", &core1);
    g_start_tsc = spdk_get_ticks();
    for (i = 0; i < window; i++) {
        ping(NULL);
    }
}

int main(int argc, char **argv) {
    struct spdk_app_opts opts = {};
    uint64_t window;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s COUNT WINDOW\n", argv[0]);
        return 1;
    }
    g_count = strtoull(argv[1], NULL, 10);
    window = strtoull(argv[2], NULL, 10);
    if (g_count == 0 || window == 0 || window > g_count) {
        fprintf(stderr, "0 < WINDOW <= COUNT\n");
        return 1;
    }
    spdk_app_opts_init(&opts, sizeof(opts));
    opts.name = "pingpong_c";
    opts.reactor_mask = "0x3";
    opts.no_huge = true;
    opts.mem_size = 512;               /* MiB: SPDK needs a size without hugepages */
    opts.disable_cpumask_locks = true; /* ctest runs several at once: no core locks, */
    opts.rpc_addr = NULL;              /* and no RPC socket to share */
    rc = spdk_app_start(&opts, start, &window);
    spdk_app_fini();
    return rc;
}
