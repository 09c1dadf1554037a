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
    // The descriptor-bound (READ_MANY_*) claim taken through it; released at close.
    spdk_bdev_module_claim *claim = nullptr;
    // Event messages in flight to the opener's thread, and I/O timeout walks under
    // way: the descriptor stays allocated until the last has ended, even when closed
    // meanwhile.
    uint32_t refs = 0;
    // spdk_bdev_set_timeout's setting (the opener's thread only); no poller: none.
    spdk_poller *timeout_poller = nullptr;
    uint64_t timeout_in_sec = 0;
    spdk_bdev_io_timeout_cb timeout_cb = nullptr;
    void *timeout_cb_arg = nullptr;
    spdk_bdev_open_opts opts{};
    TAILQ_ENTRY(spdk_bdev_desc) link{};
};

namespace spdk_embedded::bdev {

struct MgmtChannel;

// What the bdev channels of one thread that share a module channel share, as SPDK's
// spdk_bdev_shared_resource: the count of I/O the module holds and the queue of I/O
// it completed with NOMEM. A NOMEM I/O goes back to the head of nomem_io and is
// submitted again once io_outstanding drops to nomem_threshold (checked as other
// I/O complete), or by nomem_poller (every kNomemPollerPeriodUs) when no I/O is
// left in the module to complete. While nomem_io is not empty, new I/O queue
// behind it.
struct SharedResource {
    MgmtChannel *mgmt;
    spdk_io_channel *module_ch;
    uint64_t io_outstanding;
    uint64_t nomem_threshold;
    STAILQ_HEAD(, spdk_bdev_io) nomem_io;
    spdk_poller *nomem_poller;
    bool nomem_abort_in_progress;
    uint32_t ref;
    TAILQ_ENTRY(SharedResource) link;
};

// Per-thread state (the context of the manager's io_device channels).
struct MgmtChannel {
    spdk_thread *thread;
    // Free spdk_bdev_io of this thread, linked through internal.buf_link.
    spdk_bdev_io *cache_head;
    uint32_t cache_count;
    uint32_t cache_size;
    TAILQ_HEAD(, spdk_bdev_io_wait_entry) io_wait_queue;
    // Completions made inside submit_request, run by drain().
    STAILQ_HEAD(, spdk_bdev_io) deferred;
    // The shared resources (SharedResource) of this thread's bdev channels.
    TAILQ_HEAD(, SharedResource) shared_resources;
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
    spdk_embedded::bdev::SharedResource *shared;
    // I/O of this channel in the module (SPDK's bdev_ch->io_outstanding).
    uint64_t io_outstanding;
    // The I/O submitted on this channel whose completion callback has not run yet,
    // in submission order (SPDK's io_submitted): what spdk_bdev_set_timeout's walk
    // looks at. Linked through internal.ch_link; this thread only.
    TAILQ_HEAD(, spdk_bdev_io) io_submitted;
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

// Ends every spdk_bdev_open_async still waiting, with -ESHUTDOWN (the bdev layer
// stops).
void cancel_async_opens();

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

// SPDK's ZERO_BUFFER_SIZE: the zero buffer a write zeroes is emulated with (also its
// alignment), which bounds max_write_zeroes of bdevs that lack write zeroes.
constexpr size_t kZeroBufferSize = 0x100000;
// SPDK's NOMEM_THRESHOLD_COUNT: a NOMEM I/O is retried once this many I/O (or half of
// those in the module, when fewer) completed.
constexpr uint64_t kNomemThresholdCount = 8;
// The period of SPDK's no-memory poller (10 ms).
constexpr uint64_t kNomemPollerPeriodUs = 10 * 1000;
// SPDK_BDEV_MAX_CHILDREN_UNMAP_WRITE_ZEROES_REQS: pieces of a split write zeroes in
// flight at once.
constexpr uint32_t kMaxWriteZeroesChildren = 8;
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
// Completes with ABORTED the I/O of ch that wait in its nomem_io queue (the bdev is
// being unregistered).
void abort_nomem_io(spdk_bdev_channel *ch);
// Whether io is one of the pieces the bdev layer split a write zeroes into (its
// parent is the I/O the user submitted).
bool is_write_zeroes_piece(const spdk_bdev_io *io);
// The most blocks one emulated write zeroes writes at once (SPDK's max_write_zeroes
// for a bdev without WRITE_ZEROES).
uint32_t emulated_max_write_zeroes(const spdk_bdev *bdev);

}  // namespace spdk_embedded::bdev
