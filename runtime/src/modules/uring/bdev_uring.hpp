// Internal: the io_uring bdev module's entry points for its JSON-RPC methods.
#pragma once

#include <string>

#include "spdk/bdev_module.h"

struct bdev_uring_opts {
    const char *name;
    // A regular file or a block device, opened read-write.
    const char *filename;
    // 0: the device's logical block size (a regular file has none: then it must be
    // given, as in SPDK).
    uint32_t block_size;
    // All zero: a random one.
    struct spdk_uuid uuid;
};

typedef void (*spdk_delete_uring_complete)(void *cb_arg, int bdeverrno);

// Creates and registers a uring bdev. Returns 0 with *bdev set, or a negative errno
// with *error saying what is wrong, naming the parameter ('filename', 'block_size',
// 'name'): -ENOENT, -EACCES, -EROFS, ... (the file cannot be opened read-write),
// -EINVAL (not a file or block device, empty, a size that is not a multiple of the
// block size, a block size that cannot be detected or is not a power of two of at
// least 512), -EEXIST (name or UUID taken), -ENOMEM.
int create_uring_bdev(const struct bdev_uring_opts *opts, struct spdk_bdev **bdev,
                      std::string *error);

// Starts removing the uring bdev name: open descriptors get REMOVE, and cb_fn (which
// may be NULL) gets the result once they are closed and the file is closed (-ENODEV
// at once when there is no such uring bdev).
void delete_uring_bdev(const char *name, spdk_delete_uring_complete cb_fn, void *cb_arg);

// Reads the size of the file again: sends RESIZE when the number of blocks changed,
// removes the bdev when the size became 0 (a detached device). Returns 0, -ENODEV
// (no such uring bdev) or the error of spdk_bdev_notify_blockcnt_change.
int bdev_uring_rescan(const char *name);
