/* The baseline for the C++ passthru's cost: a passthru bdev written by hand in plain
 * C against SPDK's bdev_module.h, as a C module author would (module "passthru_c",
 * created by the RPC method bench_passthru_c_create {base_bdev_name, name}). It
 * forwards every I/O to its base with the same calls the C++ one makes, so that
 * the instructions each adds over its base can be compared. Kept minimal: no
 * examine (the base must exist), no delete (the bdev goes when the app stops). */
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/thread.h"

struct ptc_disk {
    struct spdk_bdev bdev;
    struct spdk_bdev_desc *base_desc;
    struct spdk_bdev *base;
};

struct ptc_channel {
    struct spdk_io_channel *base_ch;
};

/* Per-I/O context, in the spdk_bdev_io's driver_ctx. */
struct ptc_io {
    struct spdk_bdev_io_wait_entry wait;
    struct spdk_io_channel *base_ch;
};

static int ptc_init(void);
static int ptc_ctx_size(void);

static struct spdk_bdev_module g_ptc_module = {
    .name = "passthru_c",
    .module_init = ptc_init,
    .get_ctx_size = ptc_ctx_size,
};
SPDK_BDEV_MODULE_REGISTER(passthru_c, &g_ptc_module)

static int ptc_init(void) {
    return 0;
}

static int ptc_ctx_size(void) {
    return (int)sizeof(struct ptc_io);
}

static void ptc_submit(struct spdk_bdev_io *io);

static void ptc_base_done(struct spdk_bdev_io *base_io, bool success, void *arg) {
    struct spdk_bdev_io *io = arg;
    (void)success;
    spdk_bdev_io_complete_base_io_status(io, base_io);
    spdk_bdev_free_io(base_io);
}

static void ptc_retry(void *arg) {
    ptc_submit(arg);
}

static void ptc_got_buf(struct spdk_io_channel *ch, struct spdk_bdev_io *io, bool success) {
    (void)ch;
    if (!success) {
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
        return;
    }
    ptc_submit(io);
}

static void ptc_submit(struct spdk_bdev_io *io) {
    struct ptc_disk *disk = io->bdev->ctxt;
    struct ptc_io *ctx = (struct ptc_io *)io->driver_ctx;
    struct spdk_io_channel *ch = ctx->base_ch;
    int rc;

    switch (io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
            rc = spdk_bdev_readv_blocks(disk->base_desc, ch, io->u.bdev.iovs, io->u.bdev.iovcnt,
                                        io->u.bdev.offset_blocks, io->u.bdev.num_blocks,
                                        ptc_base_done, io);
            break;
        case SPDK_BDEV_IO_TYPE_WRITE:
            rc = spdk_bdev_writev_blocks(disk->base_desc, ch, io->u.bdev.iovs, io->u.bdev.iovcnt,
                                         io->u.bdev.offset_blocks, io->u.bdev.num_blocks,
                                         ptc_base_done, io);
            break;
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
            rc = spdk_bdev_write_zeroes_blocks(disk->base_desc, ch, io->u.bdev.offset_blocks,
                                               io->u.bdev.num_blocks, ptc_base_done, io);
            break;
        case SPDK_BDEV_IO_TYPE_UNMAP:
            rc = spdk_bdev_unmap_blocks(disk->base_desc, ch, io->u.bdev.offset_blocks,
                                        io->u.bdev.num_blocks, ptc_base_done, io);
            break;
        case SPDK_BDEV_IO_TYPE_FLUSH:
            rc = spdk_bdev_flush_blocks(disk->base_desc, ch, io->u.bdev.offset_blocks,
                                        io->u.bdev.num_blocks, ptc_base_done, io);
            break;
        case SPDK_BDEV_IO_TYPE_RESET:
            rc = spdk_bdev_reset(disk->base_desc, ch, ptc_base_done, io);
            break;
        default:
            rc = -ENOTSUP;
            break;
    }
    if (rc == 0) {
        return;
    }
    if (rc == -ENOMEM) {
        ctx->wait.bdev = disk->base;
        ctx->wait.cb_fn = ptc_retry;
        ctx->wait.cb_arg = io;
        ctx->wait.dep_unblock = false;
        if (spdk_bdev_queue_io_wait(disk->base, ch, &ctx->wait) == 0) {
            return;
        }
    }
    spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
}

static void ptc_submit_request(struct spdk_io_channel *ch, struct spdk_bdev_io *io) {
    struct ptc_channel *pch = spdk_io_channel_get_ctx(ch);
    struct ptc_io *ctx = (struct ptc_io *)io->driver_ctx;

    ctx->base_ch = pch->base_ch;
    if (io->type == SPDK_BDEV_IO_TYPE_READ && io->u.bdev.iovs[0].iov_base == NULL) {
        spdk_bdev_io_get_buf(io, ptc_got_buf, io->u.bdev.num_blocks * io->bdev->blocklen);
        return;
    }
    ptc_submit(io);
}

static bool ptc_io_type_supported(void *ctxt, enum spdk_bdev_io_type type) {
    struct ptc_disk *disk = ctxt;
    return spdk_bdev_io_type_supported(disk->base, type);
}

static struct spdk_io_channel *ptc_get_io_channel(void *ctxt) {
    return spdk_get_io_channel(ctxt);
}

static int ptc_channel_create(void *io_device, void *ctx_buf) {
    struct ptc_disk *disk = io_device;
    struct ptc_channel *pch = ctx_buf;
    pch->base_ch = spdk_bdev_get_io_channel(disk->base_desc);
    return pch->base_ch == NULL ? -ENOMEM : 0;
}

static void ptc_channel_destroy(void *io_device, void *ctx_buf) {
    struct ptc_channel *pch = ctx_buf;
    (void)io_device;
    spdk_put_io_channel(pch->base_ch);
}

static void ptc_free(void *io_device) {
    struct ptc_disk *disk = io_device;
    free(disk->bdev.name);
    free(disk);
}

static int ptc_destruct(void *ctxt) {
    struct ptc_disk *disk = ctxt;
    spdk_bdev_module_release_bdev(disk->base);
    spdk_bdev_close(disk->base_desc);
    spdk_io_device_unregister(disk, ptc_free);
    return 0;
}

static const struct spdk_bdev_fn_table g_ptc_fn_table = {
    .destruct = ptc_destruct,
    .submit_request = ptc_submit_request,
    .io_type_supported = ptc_io_type_supported,
    .get_io_channel = ptc_get_io_channel,
};

static void ptc_base_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    (void)type;
    (void)bdev;
    (void)ctx;
}

static int ptc_create(const char *base_name, const char *name) {
    struct ptc_disk *disk = calloc(1, sizeof(*disk));
    int rc;

    if (disk == NULL) {
        return -ENOMEM;
    }
    rc = spdk_bdev_open_ext(base_name, true, ptc_base_event, NULL, &disk->base_desc);
    if (rc != 0) {
        free(disk);
        return rc;
    }
    disk->base = spdk_bdev_desc_get_bdev(disk->base_desc);
    rc = spdk_bdev_module_claim_bdev(disk->base, disk->base_desc, &g_ptc_module);
    if (rc != 0) {
        spdk_bdev_close(disk->base_desc);
        free(disk);
        return rc;
    }
    disk->bdev.name = strdup(name);
    disk->bdev.product_name = "passthru_c";
    disk->bdev.blocklen = disk->base->blocklen;
    disk->bdev.blockcnt = disk->base->blockcnt;
    disk->bdev.write_cache = disk->base->write_cache;
    disk->bdev.required_alignment = disk->base->required_alignment;
    disk->bdev.ctxt = disk;
    disk->bdev.fn_table = &g_ptc_fn_table;
    disk->bdev.module = &g_ptc_module;
    spdk_io_device_register(disk, ptc_channel_create, ptc_channel_destroy,
                            sizeof(struct ptc_channel), name);
    rc = spdk_bdev_register(&disk->bdev);
    if (rc != 0) {
        spdk_bdev_module_release_bdev(disk->base);
        spdk_bdev_close(disk->base_desc);
        spdk_io_device_unregister(disk, ptc_free);
    }
    return rc;
}

struct ptc_create_params {
    char *base_bdev_name;
    char *name;
};

static const struct spdk_json_object_decoder g_ptc_create_decoders[] = {
    {"base_bdev_name", offsetof(struct ptc_create_params, base_bdev_name), spdk_json_decode_string,
     false},
    {"name", offsetof(struct ptc_create_params, name), spdk_json_decode_string, false},
};

static void rpc_ptc_create(struct spdk_jsonrpc_request *request,
                           const struct spdk_json_val *params) {
    struct ptc_create_params p = {0};
    int rc;

    if (spdk_json_decode_object(params, g_ptc_create_decoders, SPDK_COUNTOF(g_ptc_create_decoders),
                                &p) != 0) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
    } else if ((rc = ptc_create(p.base_bdev_name, p.name)) != 0) {
        spdk_jsonrpc_send_error_response(request, rc, spdk_strerror(-rc));
    } else {
        spdk_jsonrpc_send_bool_response(request, true);
    }
    free(p.base_bdev_name);
    free(p.name);
}
SPDK_RPC_REGISTER("bench_passthru_c_create", rpc_ptc_create, SPDK_RPC_RUNTIME)
