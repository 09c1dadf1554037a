// Internal: the null bdev module's entry points for its JSON-RPC methods.
#pragma once

#include "spdk/bdev_module.h"

struct null_bdev_opts {
    const char *name;
    struct spdk_uuid uuid;
    uint64_t num_blocks;
    uint32_t block_size;
    uint32_t physical_block_size;
};

typedef void (*spdk_delete_null_complete)(void *cb_arg, int bdeverrno);

// Returns 0 with *bdev set, or -EINVAL (no name, no blocks, a block size that is not
// a non-zero multiple of 512), -EEXIST (name or UUID taken) or -ENOMEM.
int bdev_null_create(struct spdk_bdev **bdev, const struct null_bdev_opts *opts);
void bdev_null_delete(const char *bdev_name, spdk_delete_null_complete cb_fn, void *cb_arg);
