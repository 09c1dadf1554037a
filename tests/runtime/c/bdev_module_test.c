/* A bdev module written in plain C against SPDK's bdev_module.h, the way SPDK's
 * virtual bdev modules are: "fwd" examines new bdevs, and on top of the one named
 * "Base0" it claims the base and registers "Fwd0", which forwards every request to
 * the base through its own channels (with spdk_bdev_queue_io_wait on -ENOMEM).
 * The bdev_io pool is small, so that a forward finds it dry and waits for an
 * spdk_bdev_io. Hot removal of the base removes Fwd0 first. Exits 0 when every check holds. */
#include "spdk/stdinc.h"

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/init.h"
#include "spdk/json.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/thread.h"

#include "test_util.h"

/* ---- the module ---------------------------------------------------------------------- */

struct fwd_node {
    struct spdk_bdev bdev;
    struct spdk_bdev *base;
    struct spdk_bdev_desc *base_desc;
    struct spdk_thread *thread;
};

struct fwd_channel {
    struct spdk_io_channel *base_ch;
};

/* Per-I/O context, in spdk_bdev_io::driver_ctx. */
struct fwd_io {
    uint32_t magic;
    struct spdk_io_channel *ch;
    struct spdk_bdev_io_wait_entry wait;
};

static struct fwd_node *g_node;
static int g_forwarded;
static int g_io_waits; /* forwards that found the pool dry and queued a wait */
static int g_module_inits;
static int g_module_finis;

static int fwd_init(void);
static void fwd_fini(void);
static int fwd_get_ctx_size(void);
static void fwd_examine(struct spdk_bdev *bdev);

static struct spdk_bdev_module fwd_if = {
    .name = "fwd",
    .module_init = fwd_init,
    .module_fini = fwd_fini,
    .get_ctx_size = fwd_get_ctx_size,
    .examine_config = fwd_examine,
    .async_fini = true,
};

SPDK_BDEV_MODULE_REGISTER(fwd, &fwd_if)

static void fwd_submit(struct spdk_io_channel *ch, struct spdk_bdev_io *bdev_io);

static void fwd_base_done(struct spdk_bdev_io *base_io, bool success, void *cb_arg) {
    struct spdk_bdev_io *orig = cb_arg;
    struct fwd_io *io = (struct fwd_io *)orig->driver_ctx;

    (void)success;
    CHECK(io->magic == 0xf00d);
    CHECK(spdk_bdev_io_from_ctx(io) == orig);
    spdk_bdev_io_complete_base_io_status(orig, base_io);
    spdk_bdev_free_io(base_io);
}

static void fwd_resubmit(void *arg) {
    struct spdk_bdev_io *bdev_io = arg;
    struct fwd_io *io = (struct fwd_io *)bdev_io->driver_ctx;

    fwd_submit(io->ch, bdev_io);
}

static void fwd_submit(struct spdk_io_channel *ch, struct spdk_bdev_io *bdev_io) {
    struct fwd_node *node = SPDK_CONTAINEROF(bdev_io->bdev, struct fwd_node, bdev);
    struct fwd_channel *fch = spdk_io_channel_get_ctx(ch);
    struct fwd_io *io = (struct fwd_io *)bdev_io->driver_ctx;
    int rc;

    io->magic = 0xf00d;
    g_forwarded++;
    switch (bdev_io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
            rc = spdk_bdev_readv_blocks(node->base_desc, fch->base_ch, bdev_io->u.bdev.iovs,
                                        bdev_io->u.bdev.iovcnt, bdev_io->u.bdev.offset_blocks,
                                        bdev_io->u.bdev.num_blocks, fwd_base_done, bdev_io);
            break;
        case SPDK_BDEV_IO_TYPE_WRITE:
            rc = spdk_bdev_writev_blocks(node->base_desc, fch->base_ch, bdev_io->u.bdev.iovs,
                                         bdev_io->u.bdev.iovcnt, bdev_io->u.bdev.offset_blocks,
                                         bdev_io->u.bdev.num_blocks, fwd_base_done, bdev_io);
            break;
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
            rc = spdk_bdev_write_zeroes_blocks(node->base_desc, fch->base_ch,
                                               bdev_io->u.bdev.offset_blocks,
                                               bdev_io->u.bdev.num_blocks, fwd_base_done, bdev_io);
            break;
        case SPDK_BDEV_IO_TYPE_RESET:
            rc = spdk_bdev_reset(node->base_desc, fch->base_ch, fwd_base_done, bdev_io);
            break;
        case SPDK_BDEV_IO_TYPE_UNMAP:
            /* Fails as an NVMe device would, with names from spdk/nvme_spec.h (which
             * spdk/bdev.h includes). */
            spdk_bdev_io_complete_nvme_status(bdev_io, 0x1234, SPDK_NVME_SCT_MEDIA_ERROR,
                                              SPDK_NVME_SC_UNRECOVERED_READ_ERROR);
            return;
        default:
            spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_FAILED);
            return;
    }
    if (rc == -ENOMEM) {
        g_io_waits++;
        io->ch = ch;
        io->wait.bdev = node->base;
        io->wait.cb_fn = fwd_resubmit;
        io->wait.cb_arg = bdev_io;
        if (spdk_bdev_queue_io_wait(node->base, fch->base_ch, &io->wait) != 0) {
            spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_FAILED);
        }
    } else if (rc != 0) {
        spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_FAILED);
    }
}

static bool fwd_io_type_supported(void *ctx, enum spdk_bdev_io_type type) {
    struct fwd_node *node = ctx;

    switch (type) {
        case SPDK_BDEV_IO_TYPE_READ:
        case SPDK_BDEV_IO_TYPE_WRITE:
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
        case SPDK_BDEV_IO_TYPE_RESET:
            return spdk_bdev_io_type_supported(node->base, type);
        case SPDK_BDEV_IO_TYPE_UNMAP:
            return true;
        default:
            return false;
    }
}

static struct spdk_io_channel *fwd_get_io_channel(void *ctx) {
    return spdk_get_io_channel(ctx);
}

static int fwd_dump_info_json(void *ctx, struct spdk_json_write_ctx *w) {
    struct fwd_node *node = ctx;

    spdk_json_write_named_object_begin(w, "fwd");
    spdk_json_write_named_string(w, "base_bdev_name", spdk_bdev_get_name(node->base));
    spdk_json_write_object_end(w);
    return 0;
}

static void fwd_device_gone(void *io_device) {
    struct fwd_node *node = io_device;

    free(node->bdev.name);
    free(node);
}

static int fwd_destruct(void *ctx) {
    struct fwd_node *node = ctx;

    spdk_bdev_module_release_bdev(node->base);
    spdk_bdev_close(node->base_desc);
    spdk_io_device_unregister(node, fwd_device_gone);
    if (g_node == node) {
        g_node = NULL;
    }
    return 0;
}

static const struct spdk_bdev_fn_table fwd_fn_table = {
    .destruct = fwd_destruct,
    .submit_request = fwd_submit,
    .io_type_supported = fwd_io_type_supported,
    .get_io_channel = fwd_get_io_channel,
    .dump_info_json = fwd_dump_info_json,
};

static int fwd_channel_create(void *io_device, void *ctx_buf) {
    struct fwd_node *node = io_device;
    struct fwd_channel *fch = ctx_buf;

    fch->base_ch = spdk_bdev_get_io_channel(node->base_desc);
    return fch->base_ch != NULL ? 0 : -ENOMEM;
}

static void fwd_channel_destroy(void *io_device, void *ctx_buf) {
    struct fwd_channel *fch = ctx_buf;

    (void)io_device;
    spdk_put_io_channel(fch->base_ch);
}

static void fwd_base_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    struct fwd_node *node = ctx;

    (void)bdev;
    if (type == SPDK_BDEV_EVENT_REMOVE) {
        spdk_bdev_unregister(&node->bdev, NULL, NULL);
    }
}

static void fwd_examine(struct spdk_bdev *bdev) {
    struct fwd_node *node;
    int rc;

    if (strcmp(spdk_bdev_get_name(bdev), "Base0") != 0) {
        spdk_bdev_module_examine_done(&fwd_if);
        return;
    }
    node = calloc(1, sizeof(*node));
    CHECK(node != NULL);
    node->bdev.name = strdup("Fwd0");
    node->bdev.product_name = "forwarder";
    rc = spdk_bdev_open_ext("Base0", true, fwd_base_event, node, &node->base_desc);
    CHECK(rc == 0);
    node->base = spdk_bdev_desc_get_bdev(node->base_desc);
    node->thread = spdk_get_thread();
    node->bdev.blocklen = node->base->blocklen;
    node->bdev.blockcnt = node->base->blockcnt;
    node->bdev.write_cache = node->base->write_cache;
    node->bdev.required_alignment = node->base->required_alignment;
    node->bdev.ctxt = node;
    node->bdev.fn_table = &fwd_fn_table;
    node->bdev.module = &fwd_if;
    spdk_io_device_register(node, fwd_channel_create, fwd_channel_destroy,
                            sizeof(struct fwd_channel), "fwd");
    CHECK(spdk_bdev_module_claim_bdev(node->base, node->base_desc, &fwd_if) == 0);
    CHECK(spdk_bdev_register(&node->bdev) == 0);
    g_node = node;
    spdk_bdev_module_examine_done(&fwd_if);
}

static int fwd_init(void) {
    g_module_inits++;
    return 0;
}

static void fwd_fini_done(void *arg) {
    (void)arg;
    g_module_finis++;
    spdk_bdev_module_fini_done();
}

static void fwd_fini(void) {
    /* Asynchronous on purpose (async_fini): finish from a message. */
    spdk_thread_send_msg(spdk_get_thread(), fwd_fini_done, NULL);
}

static int fwd_get_ctx_size(void) {
    return sizeof(struct fwd_io);
}

/* ---- the program ----------------------------------------------------------------------- */

struct io_result {
    int completions;
    bool success;
};

static void io_complete(struct spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    struct io_result *r = cb_arg;
    r->completions++;
    r->success = success;
    spdk_bdev_free_io(bdev_io);
}

static void count_complete(struct spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    int *ok = cb_arg;
    *ok += success ? 1 : 0;
    spdk_bdev_free_io(bdev_io);
}

/* The pool's spdk_bdev_io (as few as SPDK allows for one thread). */
enum { POOL_SIZE = 32, POOL_CACHE = 8 };

struct nvme_result {
    bool success;
    uint32_t cdw0;
    int sct;
    int sc;
};

static void nvme_complete(struct spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    struct nvme_result *r = cb_arg;
    r->success = success;
    spdk_bdev_io_get_nvme_status(bdev_io, &r->cdw0, &r->sct, &r->sc);
    spdk_bdev_free_io(bdev_io);
}

struct user {
    struct spdk_bdev_desc *desc;
    struct spdk_io_channel *ch;
    int removes;
};

static void user_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    struct user *u = ctx;
    (void)bdev;
    if (type == SPDK_BDEV_EVENT_REMOVE) {
        u->removes++;
        spdk_put_io_channel(u->ch);
        spdk_bdev_close(u->desc);
        u->ch = NULL;
        u->desc = NULL;
    }
}

static void ignore_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    (void)type;
    (void)bdev;
    (void)ctx;
}

static int write_to_string(void *ctx, const void *data, size_t size) {
    char *out = ctx;
    size_t used = strlen(out);
    if (used + size >= 256) {
        return -1;
    }
    memcpy(out + used, data, size);
    out[used + size] = '\0';
    return 0;
}

int main(void) {
    struct done_flag flag = {false, 1};
    struct user u = {NULL, NULL, 0};
    struct spdk_bdev_desc *base_ro = NULL;
    struct spdk_bdev_desc *base_rw = NULL;
    struct spdk_io_channel *base_ch;
    struct io_result r;
    char *buf;
    char *check;
    char info[256] = "";
    struct spdk_json_write_ctx *w;
    char config[] =
        "{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": ["
        "  {\"method\": \"bdev_malloc_create\","
        "   \"params\": {\"name\": \"Base0\", \"num_blocks\": 128, \"block_size\": 512}}"
        "]}]}";

    start_app_thread();

    {
        struct spdk_bdev_opts opts;

        spdk_bdev_get_opts(&opts, sizeof(opts));
        opts.bdev_io_pool_size = POOL_SIZE;
        opts.bdev_io_cache_size = POOL_CACHE;
        CHECK(spdk_bdev_set_opts(&opts) == 0);
    }

    spdk_subsystem_init(init_done, &flag);
    poll_until_idle();
    CHECK(flag.done && flag.rc == 0);
    CHECK(g_module_inits == 1);
    flag.done = false;
    /* As SPDK's app framework: RUNTIME methods (bdev_malloc_create) from now on. */
    spdk_rpc_set_state(SPDK_RPC_RUNTIME);
    spdk_subsystem_load_config(config, (ssize_t)strlen(config), init_done, &flag, true);
    poll_until_idle();
    CHECK(flag.done && flag.rc == 0);

    /* The module saw Base0 and stacked Fwd0 on it. */
    CHECK(g_node != NULL);
    CHECK(spdk_bdev_get_by_name("Fwd0") != NULL);
    CHECK(spdk_bdev_open_ext("Base0", true, ignore_event, NULL, &base_rw) == -EPERM);
    CHECK(spdk_bdev_first_leaf() == spdk_bdev_get_by_name("Fwd0"));

    w = spdk_json_write_begin(write_to_string, info, 0);
    spdk_json_write_object_begin(w);
    spdk_bdev_dump_info_json(spdk_bdev_get_by_name("Fwd0"), w);
    spdk_json_write_object_end(w);
    CHECK(spdk_json_write_end(w) == 0);
    CHECK(strcmp(info, "{\"fwd\":{\"base_bdev_name\":\"Base0\"}}") == 0);

    /* Write through Fwd0, read back through Base0. */
    CHECK(spdk_bdev_open_ext("Fwd0", true, user_event, &u, &u.desc) == 0);
    u.ch = spdk_bdev_get_io_channel(u.desc);
    CHECK(u.ch != NULL);
    buf = spdk_dma_zmalloc(2048, 0, NULL);
    check = spdk_dma_zmalloc(2048, 0, NULL);
    memset(buf, 0x6b, 2048);
    memset(&r, 0, sizeof(r));
    CHECK(spdk_bdev_write_blocks(u.desc, u.ch, buf, 4, 4, io_complete, &r) == 0);
    poll_until_idle();
    CHECK(r.completions == 1 && r.success);
    CHECK(g_forwarded == 1);

    CHECK(spdk_bdev_open_ext("Base0", false, ignore_event, NULL, &base_ro) == 0);
    base_ch = spdk_bdev_get_io_channel(base_ro);
    memset(&r, 0, sizeof(r));
    CHECK(spdk_bdev_read_blocks(base_ro, base_ch, check, 4, 4, io_complete, &r) == 0);
    poll_until_idle();
    CHECK(r.success);
    CHECK(memcmp(buf, check, 2048) == 0);
    spdk_put_io_channel(base_ch);
    spdk_bdev_close(base_ro);

    memset(&r, 0, sizeof(r));
    CHECK(spdk_bdev_write_zeroes_blocks(u.desc, u.ch, 5, 2, io_complete, &r) == 0);
    poll_until_idle();
    CHECK(r.success);
    memset(&r, 0, sizeof(r));
    CHECK(spdk_bdev_read_blocks(u.desc, u.ch, check, 4, 4, io_complete, &r) == 0);
    poll_until_idle();
    CHECK(r.success);
    CHECK(memcmp(check, buf, 512) == 0);
    CHECK(spdk_mem_all_zero(check + 512, 1024));
    CHECK(memcmp(check + 1536, buf + 1536, 512) == 0);
    /* An NVMe status from the module reaches the user as it was given. */
    {
        struct nvme_result n = {true, 0, -1, -1};
        struct spdk_nvme_cpl cpl;

        CHECK(spdk_bdev_unmap_blocks(u.desc, u.ch, 0, 1, nvme_complete, &n) == 0);
        poll_until_idle();
        CHECK(!n.success);
        CHECK(n.cdw0 == 0x1234);
        CHECK(n.sct == SPDK_NVME_SCT_MEDIA_ERROR && n.sct == 2);
        CHECK(n.sc == SPDK_NVME_SC_UNRECOVERED_READ_ERROR && n.sc == 0x81);
        memset(&cpl, 0, sizeof(cpl));
        cpl.status.sct = (uint16_t)n.sct;
        cpl.status.sc = (uint16_t)n.sc;
        CHECK(spdk_nvme_cpl_is_error(&cpl));
        CHECK(cpl.status_raw == ((2 << 9) | (0x81 << 1)));
        /* SPDK's values for a few codes modules use. */
        CHECK(SPDK_NVME_SC_SUCCESS == 0 && SPDK_NVME_SC_INVALID_FIELD == 0x02);
        CHECK(SPDK_NVME_SC_ABORTED_BY_REQUEST == 0x07 && SPDK_NVME_SC_LBA_OUT_OF_RANGE == 0x80);
        CHECK(SPDK_NVME_SCT_COMMAND_SPECIFIC == 1 && SPDK_NVME_SC_INVALID_FORMAT == 0x0a);
        CHECK(SPDK_NVME_SC_COMPARE_FAILURE == 0x85 && SPDK_NVME_SCT_PATH == 3);
        CHECK(SPDK_NVME_SCT_VENDOR_SPECIFIC == 7 && sizeof(struct spdk_nvme_cmd) == 64);
    }

    /* A dry pool: the forwarder waits for an spdk_bdev_io and forwards then. First
     * learn how many spdk_bdev_io this thread gets at once; then take all but one
     * with reads of the base, so that a read of Fwd0 gets the last one and its
     * forward finds none. */
    {
        int capacity = 0;
        int ok = 0;
        int i;
        char *scratch = spdk_dma_zmalloc(512, 0, NULL);

        CHECK(spdk_bdev_open_ext("Base0", false, ignore_event, NULL, &base_ro) == 0);
        base_ch = spdk_bdev_get_io_channel(base_ro);
        while (spdk_bdev_read_blocks(base_ro, base_ch, scratch, 0, 1, count_complete, &ok) == 0) {
            capacity++;
            if (capacity > POOL_SIZE) {
                break;
            }
        }
        CHECK(capacity > 1 && capacity <= POOL_SIZE);
        poll_until_idle();
        CHECK(ok == capacity);
        ok = 0;
        for (i = 0; i < capacity - 1; i++) {
            CHECK(spdk_bdev_read_blocks(base_ro, base_ch, scratch, 0, 1, count_complete, &ok) == 0);
        }
        memset(&r, 0, sizeof(r));
        g_forwarded = 0;
        CHECK(spdk_bdev_read_blocks(u.desc, u.ch, check, 4, 4, io_complete, &r) == 0);
        CHECK(g_io_waits == 1); /* the forward found the pool dry */
        CHECK(g_forwarded == 1);
        /* Even the user's next request finds it dry. */
        CHECK(spdk_bdev_read_blocks(u.desc, u.ch, check, 4, 4, io_complete, &r) == -ENOMEM);
        CHECK(r.completions == 0);
        poll_until_idle();
        CHECK(ok == capacity - 1);
        CHECK(r.completions == 1 && r.success); /* forwarded once an spdk_bdev_io was free */
        CHECK(g_forwarded == 2);                /* fwd_submit ran again from the wait */
        CHECK(g_io_waits == 1);
        CHECK(memcmp(check, buf, 512) == 0);
        spdk_put_io_channel(base_ch);
        spdk_bdev_close(base_ro);
        spdk_dma_free(scratch);
        poll_until_idle();
    }

    /* Not supported by the forwarder: refused before reaching it. */
    CHECK(spdk_bdev_flush_blocks(u.desc, u.ch, 0, 1, io_complete, &r) == -ENOTSUP);

    /* Removing the base removes the forwarder first: its user gets REMOVE. */
    spdk_bdev_unregister(spdk_bdev_get_by_name("Base0"), NULL, NULL);
    poll_until_idle();
    CHECK(u.removes == 1);
    CHECK(spdk_bdev_get_by_name("Fwd0") == NULL);
    CHECK(spdk_bdev_get_by_name("Base0") == NULL);
    CHECK(g_node == NULL);

    spdk_dma_free(buf);
    spdk_dma_free(check);

    flag.done = false;
    spdk_subsystem_fini(fini_done, &flag);
    poll_until_idle();
    CHECK(flag.done);
    CHECK(g_module_finis == 1);

    stop_app_thread();

    return checks_result("bdev module");
}
