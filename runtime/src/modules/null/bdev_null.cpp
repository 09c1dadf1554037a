// The null bdev module: a bdev with no storage, written against the public
// bdev_module.h only, the way SPDK's module/bdev/null is. Writes are discarded;
// reads leave the caller's buffer as it is (and a read without a buffer gets a
// zero-filled one); write zeroes and reset succeed; flush and unmap are not
// supported.
#include <cstring>

#include "bdev/module_util.hpp"
#include "modules/null/bdev_null.hpp"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/json.h"
#include "spdk/log.h"
#include "spdk/thread.h"

namespace {

namespace module = spdk_embedded::bdev::module;

struct null_bdev {
    struct spdk_bdev bdev;
    TAILQ_ENTRY(null_bdev) tailq;
};

struct null_io_channel {
    uint64_t unused;
};

TAILQ_HEAD(, null_bdev) g_null_bdev_head = TAILQ_HEAD_INITIALIZER(g_null_bdev_head);
// Lent to reads that come without a buffer.
void *g_null_read_buf = nullptr;

int bdev_null_initialize(void);
void bdev_null_finish(void);
int bdev_null_config_json(struct spdk_json_write_ctx *w);

struct spdk_bdev_module null_if =
    module::make_module("null", bdev_null_initialize, bdev_null_finish, bdev_null_config_json,
                        nullptr, /*async_fini=*/true);

int bdev_null_destruct(void *ctx) {
    auto *bdev = static_cast<struct null_bdev *>(ctx);
    TAILQ_REMOVE(&g_null_bdev_head, bdev, tailq);
    free(bdev->bdev.name);
    free(bdev);
    return 0;
}

void bdev_null_submit_request(struct spdk_io_channel * /*ch*/, struct spdk_bdev_io *bdev_io) {
    switch (bdev_io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
            if (bdev_io->u.bdev.iovs[0].iov_base == nullptr) {
                const uint64_t len = bdev_io->u.bdev.num_blocks * bdev_io->bdev->blocklen;
                if (len > SPDK_BDEV_LARGE_BUF_MAX_SIZE) {
                    SPDK_ERRLOG("read of %" PRIu64 " bytes without a buffer is larger than %d\n",
                                len, SPDK_BDEV_LARGE_BUF_MAX_SIZE);
                    spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_FAILED);
                    return;
                }
                spdk_bdev_io_set_buf(bdev_io, g_null_read_buf, len);
            }
            spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_SUCCESS);
            return;
        case SPDK_BDEV_IO_TYPE_WRITE:
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
        case SPDK_BDEV_IO_TYPE_RESET:
            spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_SUCCESS);
            return;
        default:
            spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_FAILED);
            return;
    }
}

bool bdev_null_io_type_supported(void * /*ctx*/, enum spdk_bdev_io_type io_type) {
    switch (io_type) {
        case SPDK_BDEV_IO_TYPE_READ:
        case SPDK_BDEV_IO_TYPE_WRITE:
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
        case SPDK_BDEV_IO_TYPE_RESET:
            return true;
        default:
            return false;
    }
}

struct spdk_io_channel *bdev_null_get_io_channel(void * /*ctx*/) {
    return spdk_get_io_channel(&g_null_bdev_head);
}

void bdev_null_write_config_json(struct spdk_bdev *bdev, struct spdk_json_write_ctx *w) {
    module::write_create_config(w, "bdev_null_create", bdev, [bdev](spdk_json_write_ctx *p) {
        module::write_geometry(p, bdev);
    });
}

int bdev_null_config_json(struct spdk_json_write_ctx * /*w*/) {
    // Each bdev writes its own entry (write_config_json).
    return 0;
}

const struct spdk_bdev_fn_table null_fn_table =
    module::make_fn_table(bdev_null_destruct, bdev_null_submit_request, bdev_null_io_type_supported,
                          bdev_null_get_io_channel, nullptr, bdev_null_write_config_json);

int bdev_null_initialize(void) {
    // Reads without a buffer get at most one large bdev buffer's worth of zeroes.
    g_null_read_buf = spdk_zmalloc(SPDK_BDEV_LARGE_BUF_MAX_SIZE, 0, nullptr, SPDK_ENV_NUMA_ID_ANY,
                                   SPDK_MALLOC_DMA);
    if (g_null_read_buf == nullptr) {
        return -ENOMEM;
    }
    spdk_io_device_register(&g_null_bdev_head, module::create_channel_noop,
                            module::destroy_channel_noop, sizeof(struct null_io_channel),
                            "null_bdev");
    return 0;
}

void bdev_null_finish_done(void * /*io_device*/) {
    spdk_free(g_null_read_buf);
    g_null_read_buf = nullptr;
    spdk_bdev_module_fini_done();
}

void bdev_null_finish(void) {
    // Asynchronous (async_fini): done once the last channel is gone.
    spdk_io_device_unregister(&g_null_bdev_head, bdev_null_finish_done);
}

}  // namespace

SPDK_BDEV_MODULE_REGISTER(null, &null_if)
SPDK_LOG_REGISTER_COMPONENT(bdev_null)

int bdev_null_create(struct spdk_bdev **bdev, const struct null_bdev_opts *opts) {
    if (opts == nullptr || opts->name == nullptr || opts->name[0] == '\0') {
        SPDK_ERRLOG("a null bdev needs a name\n");
        return -EINVAL;
    }
    if (opts->block_size == 0 || opts->block_size % 512 != 0) {
        SPDK_ERRLOG("null block size %" PRIu32 " is not a multiple of 512\n", opts->block_size);
        return -EINVAL;
    }
    if (opts->physical_block_size % 512 != 0) {
        SPDK_ERRLOG("null physical block size %" PRIu32 " is not a multiple of 512\n",
                    opts->physical_block_size);
        return -EINVAL;
    }
    if (opts->num_blocks == 0) {
        SPDK_ERRLOG("a null bdev needs num_blocks greater than 0\n");
        return -EINVAL;
    }
    auto *null_disk = static_cast<struct null_bdev *>(calloc(1, sizeof(struct null_bdev)));
    if (null_disk == nullptr) {
        return -ENOMEM;
    }
    null_disk->bdev.name = strdup(opts->name);
    if (null_disk->bdev.name == nullptr) {
        free(null_disk);
        return -ENOMEM;
    }
    module::fill_bdev(null_disk->bdev, "Null disk", opts->block_size, opts->num_blocks, opts->uuid,
                      null_disk, &null_fn_table, &null_if);
    null_disk->bdev.write_cache = 0;
    null_disk->bdev.phys_blocklen = opts->physical_block_size;

    const int rc = spdk_bdev_register(&null_disk->bdev);
    if (rc != 0) {
        free(null_disk->bdev.name);
        free(null_disk);
        return rc;
    }
    *bdev = &null_disk->bdev;
    TAILQ_INSERT_TAIL(&g_null_bdev_head, null_disk, tailq);
    return 0;
}

void bdev_null_delete(const char *bdev_name, spdk_delete_null_complete cb_fn, void *cb_arg) {
    module::delete_by_name(bdev_name, &null_if, cb_fn, cb_arg);
}
