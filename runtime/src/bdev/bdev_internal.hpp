// Internal state of the embedded bdev layer, shared by its source files.
//
// Threads and ownership
// - Management (register, unregister, module init and fini) runs on the app thread.
//   Descriptors are opened and closed on any SPDK thread, so the bdev list, the name
//   table and each bdev's descriptor list are guarded by Manager::lock.
// - Each bdev is an io_device (at bdev address + 1, as in SPDK, so that a module may
//   use the bdev's own address for its device). Its channel (BdevChannel) holds the
//   module's channel, per-channel statistics and a reference to the thread's
//   MgmtChannel.
// - MgmtChannel is the per-thread state shared by all bdevs: the cache of free
//   spdk_bdev_io, the io_wait queue, the queue of completions deferred out of
//   submit_request, and data buffers for spdk_bdev_io_get_buf. Only its thread
//   touches it, so the I/O path takes no lock.
// - Behind the per-thread caches is one fixed-size pool of spdk_bdev_io (sized by
//   spdk_bdev_opts), guarded by its own lock, touched only when a cache runs dry or
//   overflows.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/thread.h"

// Opaque in the public headers.
struct spdk_bdev_desc {
    spdk_bdev *bdev = nullptr;
    spdk_thread *thread = nullptr;
    spdk_bdev_event_cb_t event_cb = nullptr;
    void *event_ctx = nullptr;
    bool write = false;
    bool closed = false;
    // Event messages in flight to the opener's thread: the descriptor stays
    // allocated until the last has run, even when closed meanwhile.
    uint32_t refs = 0;
    spdk_bdev_open_opts opts{};
    TAILQ_ENTRY(spdk_bdev_desc) link{};
};

namespace spdk_embedded::bdev {

// Per-thread state (the context of the manager's io_device channels).
struct MgmtChannel {
    spdk_thread *thread;
    // Free spdk_bdev_io of this thread, linked through internal.buf_link.
    spdk_bdev_io *cache_head;
    uint32_t cache_count;
    uint32_t cache_size;
    TAILQ_HEAD(, spdk_bdev_io_wait_entry) io_wait_queue;
    // Completions made inside submit_request (or resubmissions), run by drain().
    STAILQ_HEAD(, spdk_bdev_io) deferred;
    // I/O the module completed with NOMEM, submitted again by drain().
    STAILQ_HEAD(, spdk_bdev_io) nomem_retry;
    // A drain message is on its way to this thread.
    bool drain_pending;
    // Runs drain() when the thread's message queue was full; paused otherwise.
    spdk_poller *backup_poller;
    // Data buffers for spdk_bdev_io_get_buf, recycled on this thread: free lists
    // linked through their first word.
    void *small_bufs;
    void *large_bufs;
    uint32_t small_allocated;
    uint32_t large_allocated;
    STAILQ_HEAD(, spdk_bdev_io) buf_waiters;
};

}  // namespace spdk_embedded::bdev

// The context of a bdev's channels (opaque in the public headers).
struct spdk_bdev_channel {
    spdk_bdev *bdev;
    spdk_io_channel *module_ch;
    spdk_io_channel *mgmt_io_ch;
    spdk_embedded::bdev::MgmtChannel *mgmt;
    uint64_t io_outstanding;
    spdk_bdev_io_stat stat;
};

namespace spdk_embedded::bdev {

// Named, for TAILQ_LAST and TAILQ_PREV.
TAILQ_HEAD(BdevList, spdk_bdev);

struct Manager {
    std::mutex lock;
    BdevList bdevs = TAILQ_HEAD_INITIALIZER(bdevs);
    // Names, aliases and UUID strings of registered bdevs.
    std::map<std::string, spdk_bdev *, std::less<>> names;

    bool module_init_complete = false;
    bool init_complete = false;
    spdk_bdev_init_cb init_cb = nullptr;
    void *init_cb_arg = nullptr;
    spdk_bdev_fini_cb fini_cb = nullptr;
    void *fini_cb_arg = nullptr;
    spdk_bdev_module *resume_module = nullptr;
    spdk_thread *app_thread = nullptr;

    // The spdk_bdev_io pool: pool_size slots of io_size bytes in one mapping, handed
    // out from free_list first, then by bumping next_unused, so that memory is
    // touched only as the pool is used.
    std::mutex pool_lock;
    uint8_t *pool_mem = nullptr;
    size_t pool_bytes = 0;
    size_t io_size = 0;
    uint32_t pool_size = 0;
    uint32_t next_unused = 0;
    uint32_t pool_free = 0;
    spdk_bdev_io *free_list = nullptr;

    // Zero-filled memory for write zeroes on bdevs that lack it.
    void *zero_buffer = nullptr;

    spdk_bdev_opts opts{};
};

Manager &manager();

// The io_device of the per-thread management channels.
void *mgmt_io_device();

inline void *bdev_to_io_dev(spdk_bdev *bdev) {
    return reinterpret_cast<char *>(bdev) + 1;
}

inline spdk_bdev *bdev_from_io_dev(void *io_dev) {
    return reinterpret_cast<spdk_bdev *>(static_cast<char *>(io_dev) - 1);
}

inline spdk_bdev_channel *bdev_channel(spdk_io_channel *ch) {
    return static_cast<spdk_bdev_channel *>(spdk_io_channel_get_ctx(ch));
}

constexpr size_t kZeroBufferSize = 64 * 1024;
constexpr uint32_t kSmallBufsPerThread = 128;
constexpr uint32_t kLargeBufsPerThread = 32;

// bdev_io.cpp
int mgmt_channel_create(void *io_device, void *ctx_buf);
void mgmt_channel_destroy(void *io_device, void *ctx_buf);
int bdev_channel_create(void *io_device, void *ctx_buf);
void bdev_channel_destroy(void *io_device, void *ctx_buf);
// Creates the spdk_bdev_io pool for ctx_size bytes of module context: 0 or -ENOMEM.
int pool_create(uint32_t pool_size, size_t ctx_size);
void pool_destroy();
void stat_init(spdk_bdev_io_stat *stat);

}  // namespace spdk_embedded::bdev
