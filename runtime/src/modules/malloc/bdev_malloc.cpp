// The malloc bdev module: a RAM disk in DMA memory, written against the public
// bdev_module.h only, the way SPDK's module/bdev/malloc is.
//
// Every request is done by the CPU inside submit_request and completed there with
// spdk_bdev_io_complete; the bdev layer defers the user's callback out of the submit
// call.
#include <cstring>

#include "bdev/module_util.hpp"
#include "modules/malloc/bdev_malloc.hpp"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/json.h"
#include "spdk/likely.h"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/thread.h"

namespace {

namespace module = spdk_embedded::bdev::module;

struct malloc_disk {
    struct spdk_bdev disk;
    uint8_t *malloc_buf;
    TAILQ_ENTRY(malloc_disk) link;
};

// Module channels carry no state: the device is plain memory.
struct malloc_channel {
    uint64_t unused;
};

TAILQ_HEAD(, malloc_disk) g_malloc_disks = TAILQ_HEAD_INITIALIZER(g_malloc_disks);
int g_malloc_disk_count = 0;

int bdev_malloc_initialize(void);
void bdev_malloc_deinitialize(void);

struct spdk_bdev_module malloc_if =
    module::make_module("malloc", bdev_malloc_initialize, bdev_malloc_deinitialize);

void malloc_disk_free(struct malloc_disk *mdisk) {
    if (mdisk == nullptr) {
        return;
    }
    spdk_free(mdisk->malloc_buf);
    free(mdisk->disk.name);
    free(mdisk);
}

int bdev_malloc_destruct(void *ctx) {
    auto *mdisk = static_cast<struct malloc_disk *>(ctx);
    TAILQ_REMOVE(&g_malloc_disks, mdisk, link);
    malloc_disk_free(mdisk);
    return 0;
}

// Copies between the disk at byte offset and the request's iovecs, len bytes at most.
void malloc_copy(struct spdk_bdev_io *bdev_io, uint8_t *disk, uint64_t len, bool to_disk) {
    struct iovec *iovs = bdev_io->u.bdev.iovs;
    const int iovcnt = bdev_io->u.bdev.iovcnt;
    if (spdk_likely(iovcnt == 1)) {
        const size_t n = iovs[0].iov_len < len ? iovs[0].iov_len : len;
        if (to_disk) {
            memcpy(disk, iovs[0].iov_base, n);
        } else {
            memcpy(iovs[0].iov_base, disk, n);
        }
        return;
    }
    for (int i = 0; i < iovcnt && len > 0; ++i) {
        const size_t n = iovs[i].iov_len < len ? iovs[i].iov_len : len;
        if (to_disk) {
            memcpy(disk, iovs[i].iov_base, n);
        } else {
            memcpy(iovs[i].iov_base, disk, n);
        }
        disk += n;
        len -= n;
    }
}

bool malloc_equal(struct spdk_bdev_io *bdev_io, const uint8_t *disk, uint64_t len) {
    struct iovec *iovs = bdev_io->u.bdev.iovs;
    for (int i = 0; i < bdev_io->u.bdev.iovcnt && len > 0; ++i) {
        const size_t n = iovs[i].iov_len < len ? iovs[i].iov_len : len;
        if (memcmp(disk, iovs[i].iov_base, n) != 0) {
            return false;
        }
        disk += n;
        len -= n;
    }
    return true;
}

void bdev_malloc_submit_request(struct spdk_io_channel * /*ch*/, struct spdk_bdev_io *bdev_io) {
    auto *mdisk = static_cast<struct malloc_disk *>(bdev_io->bdev->ctxt);
    const uint32_t block_size = bdev_io->bdev->blocklen;
    uint8_t *disk = mdisk->malloc_buf + bdev_io->u.bdev.offset_blocks * block_size;
    const uint64_t len = bdev_io->u.bdev.num_blocks * block_size;
    enum spdk_bdev_io_status status = SPDK_BDEV_IO_STATUS_SUCCESS;

    switch (bdev_io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
            if (bdev_io->u.bdev.iovs[0].iov_base == nullptr) {
                // The caller gave no buffer: lend it the disk's own memory.
                spdk_bdev_io_set_buf(bdev_io, disk, len);
            } else {
                malloc_copy(bdev_io, disk, len, false);
            }
            break;
        case SPDK_BDEV_IO_TYPE_WRITE:
            malloc_copy(bdev_io, disk, len, true);
            break;
        case SPDK_BDEV_IO_TYPE_UNMAP:
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
            memset(disk, 0, len);
            break;
        case SPDK_BDEV_IO_TYPE_FLUSH:
        case SPDK_BDEV_IO_TYPE_RESET:
            break;
        case SPDK_BDEV_IO_TYPE_COMPARE:
            if (!malloc_equal(bdev_io, disk, len)) {
                status = SPDK_BDEV_IO_STATUS_MISCOMPARE;
            }
            break;
        case SPDK_BDEV_IO_TYPE_COPY:
            memmove(disk, mdisk->malloc_buf + bdev_io->u.bdev.copy.src_offset_blocks * block_size,
                    len);
            break;
        default:
            status = SPDK_BDEV_IO_STATUS_FAILED;
            break;
    }
    spdk_bdev_io_complete(bdev_io, status);
}

bool bdev_malloc_io_type_supported(void * /*ctx*/, enum spdk_bdev_io_type io_type) {
    switch (io_type) {
        case SPDK_BDEV_IO_TYPE_READ:
        case SPDK_BDEV_IO_TYPE_WRITE:
        case SPDK_BDEV_IO_TYPE_FLUSH:
        case SPDK_BDEV_IO_TYPE_RESET:
        case SPDK_BDEV_IO_TYPE_UNMAP:
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
        case SPDK_BDEV_IO_TYPE_COMPARE:
        case SPDK_BDEV_IO_TYPE_COPY:
            return true;
        default:
            return false;
    }
}

struct spdk_io_channel *bdev_malloc_get_io_channel(void * /*ctx*/) {
    return spdk_get_io_channel(&g_malloc_disks);
}

int bdev_malloc_dump_info_json(void *ctx, struct spdk_json_write_ctx *w) {
    auto *mdisk = static_cast<struct malloc_disk *>(ctx);
    spdk_json_write_named_object_begin(w, "malloc");
    spdk_json_write_named_uint64(
        w, "size_bytes", mdisk->disk.blockcnt * static_cast<uint64_t>(mdisk->disk.blocklen));
    spdk_json_write_object_end(w);
    return 0;
}

void bdev_malloc_write_json_config(struct spdk_bdev *bdev, struct spdk_json_write_ctx *w) {
    module::write_create_config(w, "bdev_malloc_create", bdev, [bdev](spdk_json_write_ctx *p) {
        module::write_geometry(p, bdev);
        spdk_json_write_named_uint32(p, "optimal_io_boundary", bdev->optimal_io_boundary);
    });
}

const struct spdk_bdev_fn_table malloc_fn_table = module::make_fn_table(
    bdev_malloc_destruct, bdev_malloc_submit_request, bdev_malloc_io_type_supported,
    bdev_malloc_get_io_channel, bdev_malloc_dump_info_json, bdev_malloc_write_json_config);

int bdev_malloc_initialize(void) {
    g_malloc_disk_count = 0;
    spdk_io_device_register(&g_malloc_disks, module::create_channel_noop,
                            module::destroy_channel_noop, sizeof(struct malloc_channel),
                            "bdev_malloc");
    return 0;
}

void bdev_malloc_deinitialize(void) {
    spdk_io_device_unregister(&g_malloc_disks, nullptr);
}

}  // namespace

SPDK_BDEV_MODULE_REGISTER(malloc, &malloc_if)
SPDK_LOG_REGISTER_COMPONENT(bdev_malloc)

int create_malloc_disk(struct spdk_bdev **bdev, const struct malloc_bdev_opts *opts) {
    if (opts->num_blocks == 0) {
        SPDK_ERRLOG("a malloc bdev needs num_blocks greater than 0\n");
        return -EINVAL;
    }
    if (opts->block_size == 0 || opts->block_size % 512 != 0) {
        SPDK_ERRLOG("malloc block size %" PRIu32 " is not a multiple of 512\n", opts->block_size);
        return -EINVAL;
    }
    if (opts->physical_block_size % 512 != 0) {
        SPDK_ERRLOG("malloc physical block size %" PRIu32 " is not a multiple of 512\n",
                    opts->physical_block_size);
        return -EINVAL;
    }
    if (opts->num_blocks > UINT64_MAX / opts->block_size) {
        SPDK_ERRLOG("malloc bdev size overflows\n");
        return -EINVAL;
    }
    if (opts->name != nullptr && spdk_bdev_get_by_name(opts->name) != nullptr) {
        SPDK_ERRLOG("bdev %s already exists\n", opts->name);
        return -EEXIST;
    }
    auto *mdisk = static_cast<struct malloc_disk *>(calloc(1, sizeof(struct malloc_disk)));
    if (mdisk == nullptr) {
        return -ENOMEM;
    }
    const uint64_t size = opts->num_blocks * opts->block_size;
    const size_t align = size >= 2 * 1024 * 1024 ? 2 * 1024 * 1024 : 4096;
    mdisk->malloc_buf = static_cast<uint8_t *>(
        spdk_zmalloc(size, align, nullptr, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA));
    if (mdisk->malloc_buf == nullptr) {
        SPDK_ERRLOG("cannot allocate %" PRIu64 " bytes for a malloc bdev\n", size);
        malloc_disk_free(mdisk);
        return -ENOMEM;
    }
    if (opts->name != nullptr) {
        mdisk->disk.name = strdup(opts->name);
    } else {
        mdisk->disk.name = spdk_sprintf_alloc("Malloc%d", g_malloc_disk_count++);
    }
    if (mdisk->disk.name == nullptr) {
        malloc_disk_free(mdisk);
        return -ENOMEM;
    }
    module::fill_bdev(mdisk->disk, "Malloc disk", opts->block_size, opts->num_blocks, opts->uuid,
                      mdisk, &malloc_fn_table, &malloc_if);
    mdisk->disk.write_cache = 1;
    mdisk->disk.phys_blocklen = opts->physical_block_size;
    if (opts->optimal_io_boundary != 0) {
        mdisk->disk.optimal_io_boundary = opts->optimal_io_boundary;
        mdisk->disk.split_on_optimal_io_boundary = 1;
    }

    const int rc = spdk_bdev_register(&mdisk->disk);
    if (rc != 0) {
        malloc_disk_free(mdisk);
        return rc;
    }
    TAILQ_INSERT_TAIL(&g_malloc_disks, mdisk, link);
    *bdev = &mdisk->disk;
    return 0;
}

void delete_malloc_disk(const char *name, spdk_delete_malloc_complete cb_fn, void *cb_arg) {
    module::delete_by_name(name, &malloc_if, cb_fn, cb_arg);
}
