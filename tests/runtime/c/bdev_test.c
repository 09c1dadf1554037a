/* A plain C program written against SPDK's public bdev API, as an SPDK user writes
 * one: it starts the subsystems on a thread it polls itself, creates bdevs from a
 * JSON config, then checks I/O round trips, argument errors, the bounded bdev_io
 * pool with spdk_bdev_queue_io_wait, and hot remove. Exits 0 when every check holds. */
#include "spdk/stdinc.h"

#include "spdk/bdev.h"
#include "spdk/bdev_module.h" /* spdk_bdev_unregister */
#include "spdk/bdev_zone.h"
#include "spdk/env.h"
#include "spdk/init.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/thread.h"

#include "test_util.h"

#define POOL_SIZE 64
#define CACHE_SIZE 8

static const char g_config[] =
    "{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": ["
    "  {\"method\": \"bdev_malloc_create\","
    "   \"params\": {\"name\": \"Malloc0\", \"num_blocks\": 256, \"block_size\": 512}},"
    "  {\"method\": \"bdev_malloc_create\","
    "   \"params\": {\"name\": \"Malloc1\", \"num_blocks\": 64, \"block_size\": 4096}}"
    "]}]}";

/* ---- one request at a time ------------------------------------------------------- */

struct io_result {
    int completions;
    bool success;
    bool inside_submit;
};

static bool g_in_submit;

static void io_complete(struct spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    struct io_result *r = cb_arg;
    r->completions++;
    r->success = success;
    if (g_in_submit) {
        r->inside_submit = true;
    }
    spdk_bdev_free_io(bdev_io);
}

static void event_ignore(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    (void)type;
    (void)bdev;
    (void)ctx;
}

static void test_read_write(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch) {
    struct spdk_bdev *bdev = spdk_bdev_desc_get_bdev(desc);
    uint32_t block = spdk_bdev_get_block_size(bdev);
    size_t len = 4 * block;
    char *out = spdk_dma_zmalloc(len, spdk_bdev_get_buf_align(bdev), NULL);
    char *in = spdk_dma_zmalloc(len, spdk_bdev_get_buf_align(bdev), NULL);
    struct io_result r = {0};
    size_t i;

    CHECK(out != NULL && in != NULL);
    CHECK(block == 512);
    CHECK(spdk_bdev_get_num_blocks(bdev) == 256);
    CHECK(!spdk_bdev_is_zoned(bdev));
    for (i = 0; i < len; i++) {
        out[i] = (char)(i * 7 + 3);
    }

    g_in_submit = true;
    CHECK(spdk_bdev_write(desc, ch, out, 8 * block, len, io_complete, &r) == 0);
    g_in_submit = false;
    CHECK(r.completions == 0);
    poll_until_idle();
    CHECK(r.completions == 1 && r.success && !r.inside_submit);

    memset(&r, 0, sizeof(r));
    CHECK(spdk_bdev_read_blocks(desc, ch, in, 8, 4, io_complete, &r) == 0);
    poll_until_idle();
    CHECK(r.completions == 1 && r.success);
    CHECK(memcmp(in, out, len) == 0);

    /* Write zeroes over the middle two blocks. */
    memset(&r, 0, sizeof(r));
    CHECK(spdk_bdev_write_zeroes_blocks(desc, ch, 9, 2, io_complete, &r) == 0);
    poll_until_idle();
    CHECK(r.completions == 1 && r.success);
    memset(&r, 0, sizeof(r));
    CHECK(spdk_bdev_read(desc, ch, in, 8 * block, len, io_complete, &r) == 0);
    poll_until_idle();
    CHECK(r.success);
    CHECK(memcmp(in, out, block) == 0);
    CHECK(spdk_mem_all_zero(in + block, 2 * block));
    CHECK(memcmp(in + 3 * block, out + 3 * block, block) == 0);

    spdk_dma_free(out);
    spdk_dma_free(in);
}

static void test_bad_input(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch) {
    struct spdk_bdev *bdev = spdk_bdev_desc_get_bdev(desc);
    struct spdk_bdev_desc *ro = NULL;
    struct spdk_bdev_desc *missing = NULL;
    struct spdk_io_channel *ro_ch;
    char *buf = spdk_dma_zmalloc(4096, 0, NULL);
    struct io_result r = {0};
    uint64_t blocks = spdk_bdev_get_num_blocks(bdev);

    /* -EINVAL: past the end, misaligned, wrapping. */
    CHECK(spdk_bdev_read_blocks(desc, ch, buf, blocks, 1, io_complete, &r) == -EINVAL);
    CHECK(spdk_bdev_write_blocks(desc, ch, buf, blocks - 1, 2, io_complete, &r) == -EINVAL);
    CHECK(spdk_bdev_read(desc, ch, buf, 100, 512, io_complete, &r) == -EINVAL);
    CHECK(spdk_bdev_write(desc, ch, buf, 0, 1000, io_complete, &r) == -EINVAL);
    CHECK(spdk_bdev_read_blocks(desc, ch, buf, UINT64_MAX, 2, io_complete, &r) == -EINVAL);

    /* -EBADF: writing through a read-only descriptor. */
    CHECK(spdk_bdev_open_ext("Malloc0", false, event_ignore, NULL, &ro) == 0);
    ro_ch = spdk_bdev_get_io_channel(ro);
    CHECK(ro_ch != NULL);
    CHECK(spdk_bdev_write_blocks(ro, ro_ch, buf, 0, 1, io_complete, &r) == -EBADF);
    CHECK(spdk_bdev_write_zeroes_blocks(ro, ro_ch, 0, 1, io_complete, &r) == -EBADF);
    CHECK(spdk_bdev_unmap_blocks(ro, ro_ch, 0, 1, io_complete, &r) == -EBADF);
    spdk_put_io_channel(ro_ch);
    spdk_bdev_close(ro);

    /* -ENODEV: no such bdev. */
    CHECK(spdk_bdev_open_ext("NoSuchBdev", true, event_ignore, NULL, &missing) == -ENODEV);

    poll_until_idle();
    CHECK(r.completions == 0);
    spdk_dma_free(buf);
}

/* ---- flooding the bdev_io pool ------------------------------------------------------ */

struct flood {
    struct spdk_bdev_desc *desc;
    struct spdk_io_channel *ch;
    char *buf;
    int submitted;
    int completed;
    int resumed;
    struct spdk_bdev_io_wait_entry wait;
};

static void flood_complete(struct spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    struct flood *f = cb_arg;
    CHECK(success);
    f->completed++;
    spdk_bdev_free_io(bdev_io);
}

static void flood_resume(void *arg) {
    struct flood *f = arg;
    f->resumed++;
    CHECK(spdk_get_thread() == g_app_thread);
    CHECK(spdk_bdev_read_blocks(f->desc, f->ch, f->buf, 0, 1, flood_complete, f) == 0);
    f->submitted++;
}

static void test_pool_exhaustion(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch) {
    struct flood f;
    int rc = 0;

    memset(&f, 0, sizeof(f));
    f.desc = desc;
    f.ch = ch;
    f.buf = spdk_dma_zmalloc(512, 0, NULL);
    while (f.submitted < 10 * POOL_SIZE) {
        rc = spdk_bdev_read_blocks(desc, ch, f.buf, 0, 1, flood_complete, &f);
        if (rc != 0) {
            break;
        }
        f.submitted++;
    }
    CHECK(rc == -ENOMEM);
    CHECK(f.submitted == POOL_SIZE);

    f.wait.bdev = spdk_bdev_desc_get_bdev(desc);
    f.wait.cb_fn = flood_resume;
    f.wait.cb_arg = &f;
    CHECK(spdk_bdev_queue_io_wait(spdk_bdev_desc_get_bdev(desc), ch, &f.wait) == 0);
    CHECK(f.resumed == 0);
    poll_until_idle();
    CHECK(f.resumed == 1);
    CHECK(f.completed == POOL_SIZE + 1);
    CHECK(f.submitted == POOL_SIZE + 1);
    spdk_dma_free(f.buf);
}

/* ---- hot remove -------------------------------------------------------------------- */

struct hot {
    struct spdk_bdev_desc *desc;
    struct spdk_io_channel *ch;
    int removes;
    int unregistered;
    int unregister_rc;
    bool closed_before_unregister_cb;
};

static void hot_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    struct hot *h = ctx;
    (void)bdev;
    if (type == SPDK_BDEV_EVENT_REMOVE) {
        h->removes++;
        CHECK(spdk_get_thread() == g_app_thread);
        /* What an SPDK user does on REMOVE: release and close. */
        spdk_put_io_channel(h->ch);
        spdk_bdev_close(h->desc);
        h->ch = NULL;
        h->desc = NULL;
        h->closed_before_unregister_cb = h->unregistered == 0;
    }
}

static void hot_unregistered(void *cb_arg, int rc) {
    struct hot *h = cb_arg;
    h->unregistered++;
    h->unregister_rc = rc;
}

static void test_hot_remove(void) {
    struct hot h;
    struct spdk_bdev_desc *again = NULL;

    memset(&h, 0, sizeof(h));
    CHECK(spdk_bdev_open_ext("Malloc1", true, hot_event, &h, &h.desc) == 0);
    h.ch = spdk_bdev_get_io_channel(h.desc);
    CHECK(h.ch != NULL);

    spdk_bdev_unregister(spdk_bdev_desc_get_bdev(h.desc), hot_unregistered, &h);
    CHECK(h.removes == 0 && h.unregistered == 0);
    CHECK(spdk_bdev_open_ext("Malloc1", false, event_ignore, NULL, &again) == -ENODEV);
    poll_until_idle();
    CHECK(h.removes == 1);
    CHECK(h.closed_before_unregister_cb);
    CHECK(h.unregistered == 1);
    CHECK(h.unregister_rc == 0);
    CHECK(spdk_bdev_get_by_name("Malloc1") == NULL);
}

int main(void) {
    struct spdk_bdev_opts opts;
    struct done_flag flag = {false, 1};
    struct spdk_bdev_desc *desc = NULL;
    struct spdk_io_channel *ch;
    char *config = strdup(g_config);

    start_app_thread();

    spdk_bdev_get_opts(&opts, sizeof(opts));
    opts.bdev_io_pool_size = POOL_SIZE;
    opts.bdev_io_cache_size = CACHE_SIZE;
    CHECK(spdk_bdev_set_opts(&opts) == 0);

    spdk_subsystem_init(init_done, &flag);
    poll_until_idle();
    CHECK(flag.done && flag.rc == 0);

    flag.done = false;
    flag.rc = 1;
    /* As SPDK's app framework: RUNTIME methods (bdev_malloc_create) from now on. */
    spdk_rpc_set_state(SPDK_RPC_RUNTIME);
    spdk_subsystem_load_config(config, (ssize_t)strlen(config), init_done, &flag, true);
    poll_until_idle();
    CHECK(flag.done && flag.rc == 0);
    free(config);

    CHECK(spdk_bdev_open_ext("Malloc0", true, event_ignore, NULL, &desc) == 0);
    ch = spdk_bdev_get_io_channel(desc);
    CHECK(ch != NULL);
    if (desc != NULL && ch != NULL) {
        test_read_write(desc, ch);
        test_bad_input(desc, ch);
        test_pool_exhaustion(desc, ch);
        spdk_put_io_channel(ch);
        spdk_bdev_close(desc);
    }
    test_hot_remove();

    flag.done = false;
    spdk_subsystem_fini(fini_done, &flag);
    poll_until_idle();
    CHECK(flag.done);

    stop_app_thread();

    return checks_result("bdev");
}
