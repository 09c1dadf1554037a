/* The hand-written C baseline of the zero-overhead benchmark: reads a malloc bdev
 * with SPDK's callback API, keeping `depth` reads in flight until `count` have
 * completed. io_loop_cpp does the same through the spdkcpp coroutine wrappers.
 *
 *   io_loop_c COUNT DEPTH */
#include "spdk/bdev.h"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/thread.h"

#define IO_SIZE 4096
#define MAX_DEPTH 256

static const char g_config[] =
    "{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[{\"method\":\"bdev_malloc_create\","
    "\"params\":{\"name\":\"Malloc0\",\"num_blocks\":16384,\"block_size\":512}}]}]}";

struct slot {
    void *buf;
    uint64_t index;
    struct spdk_bdev_io_wait_entry wait;
};

static struct {
    struct spdk_bdev_desc *desc;
    struct spdk_io_channel *ch;
    struct slot slots[MAX_DEPTH];
    uint64_t count;
    uint64_t submitted;
    uint64_t completed;
    uint64_t units;
    uint32_t depth;
    int rc;
} g;

static void submit(struct slot *s);

static void finish(void) {
    uint32_t i;

    for (i = 0; i < g.depth; i++) {
        spdk_dma_free(g.slots[i].buf);
    }
    spdk_put_io_channel(g.ch);
    spdk_bdev_close(g.desc);
    printf("io_loop_c: %" PRIu64 " reads\n", g.completed);
    spdk_app_stop(g.rc);
}

static void read_done(struct spdk_bdev_io *io, bool success, void *arg) {
    struct slot *s = arg;

    spdk_bdev_free_io(io);
    if (!success) {
        g.rc = 1;
    }
    g.completed++;
    if (g.submitted < g.count) {
        submit(s);
    } else if (g.completed == g.count) {
        finish();
    }
}

static void retry(void *arg) {
    submit(arg);
}

static void submit(struct slot *s) {
    /* The same offsets as io_loop_cpp: a fixed stride through the bdev. */
    uint64_t offset = (g.submitted * 7919 % g.units) * IO_SIZE;
    int rc;

    rc = spdk_bdev_read(g.desc, g.ch, s->buf, offset, IO_SIZE, read_done, s);
    if (rc == -ENOMEM) {
        s->wait.bdev = spdk_bdev_desc_get_bdev(g.desc);
        s->wait.cb_fn = retry;
        s->wait.cb_arg = s;
        spdk_bdev_queue_io_wait(s->wait.bdev, g.ch, &s->wait);
        return;
    }
    if (rc != 0) {
        SPDK_ERRLOG("read failed: %s\n", spdk_strerror(-rc));
        g.rc = 1;
        spdk_app_stop(1);
        return;
    }
    g.submitted++;
}

static void event_cb(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    (void)type;
    (void)bdev;
    (void)ctx;
}

static void start(void *arg) {
    uint32_t i;

    (void)arg;
    if (spdk_bdev_open_ext("Malloc0", false, event_cb, NULL, &g.desc) != 0) {
        spdk_app_stop(1);
        return;
    }
    g.ch = spdk_bdev_get_io_channel(g.desc);
    g.units = spdk_bdev_get_num_blocks(spdk_bdev_desc_get_bdev(g.desc)) * 512 / IO_SIZE;
    for (i = 0; i < g.depth; i++) {
        g.slots[i].buf = spdk_dma_zmalloc(IO_SIZE, 4096, NULL);
    }
    for (i = 0; i < g.depth && g.submitted < g.count; i++) {
        submit(&g.slots[i]);
    }
}

int main(int argc, char **argv) {
    struct spdk_app_opts opts = {};
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s COUNT DEPTH\n", argv[0]);
        return 1;
    }
    g.count = strtoull(argv[1], NULL, 10);
    g.depth = (uint32_t)strtoul(argv[2], NULL, 10);
    if (g.count == 0 || g.depth == 0 || g.depth > MAX_DEPTH) {
        fprintf(stderr, "COUNT > 0 and 0 < DEPTH <= %d\n", MAX_DEPTH);
        return 1;
    }
    spdk_app_opts_init(&opts, sizeof(opts));
    opts.name = "io_loop_c";
    opts.json_data = (void *)g_config;
    opts.json_data_size = sizeof(g_config) - 1;
    opts.no_huge = true;
    opts.mem_size = 512;               /* MiB: SPDK needs a size without hugepages */
    opts.disable_cpumask_locks = true; /* ctest runs several at once: no core locks, */
    opts.rpc_addr = NULL;              /* and no RPC socket to share */
    rc = spdk_app_start(&opts, start, NULL);
    spdk_app_fini();
    return rc;
}
