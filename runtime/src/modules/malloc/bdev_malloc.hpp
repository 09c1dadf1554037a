// Internal: the malloc bdev module's entry points for its JSON-RPC methods.
#pragma once

#include "spdk/bdev_module.h"

struct malloc_bdev_opts {
    const char *name;  // NULL for a generated "MallocN"
    struct spdk_uuid uuid;
    uint64_t num_blocks;
    uint32_t block_size;
    uint32_t physical_block_size;
    uint32_t optimal_io_boundary;
};

typedef void (*spdk_delete_malloc_complete)(void *cb_arg, int bdeverrno);

// Returns 0 with *bdev set, or -EINVAL (no blocks, a block size that is not a
// non-zero multiple of 512, a size that overflows), -EEXIST (name or UUID taken) or
// -ENOMEM.
int create_malloc_disk(struct spdk_bdev **bdev, const struct malloc_bdev_opts *opts);
// Starts removing the malloc bdev name; cb_fn gets the result (-ENODEV when there is
// no such malloc bdev).
void delete_malloc_disk(const char *name, spdk_delete_malloc_complete cb_fn, void *cb_arg);
