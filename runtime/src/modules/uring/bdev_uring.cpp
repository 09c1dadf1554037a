// The io_uring bdev module: a bdev over a regular file or a block device whose I/O
// the kernel does through io_uring. It offers what SPDK's module/bdev/uring offers
// (same RPC methods, parameters and checks), written against our bdev_module.h.
//
// Structure
// - One ring per SPDK thread. The module registers a "group" io_device; its channel
//   context (uring_group) holds the thread's io_uring and a completion poller
//   (period 0). Every uring bdev used on that thread shares the ring.
// - Each bdev is an io_device too. Its channel (uring_channel) points to the thread's
//   group and names the bdev's file for the ring: a slot of the ring's table of
//   registered files when one is free (the kernel then skips the descriptor lookup and
//   its reference counting on every request), else the plain descriptor.
// - The state of one I/O (uring_task) lives in spdk_bdev_io::driver_ctx: nothing is
//   allocated per I/O, except a bounce buffer for a direct-I/O request whose buffers
//   the kernel would refuse (see below).
//
// Submission and completion
// - submit_request fills an SQE and gives the kernel every kSubmitBatch of them at
//   once (one system call for the group); the poller submits the rest at its next
//   run, and a submit_request that finds the SQ full submits it at once. Larger
//   batches save system calls but starve the device: see kSubmitBatch.
// - The poller reaps CQEs without blocking (io_uring_peek_batch_cqe, then
//   io_uring_cq_advance for the whole batch) and completes each spdk_bdev_io with
//   spdk_bdev_io_complete. The poller runs on the channel's thread, which is the
//   submitting thread: completions never cross threads.
// - At most as many requests as the CQ has entries are in the ring (prepared or
//   submitted), so that the CQ cannot overflow. A request beyond that, or one that
//   finds no SQE even after a submit, is completed with SPDK_BDEV_IO_STATUS_NOMEM: the
//   bdev layer queues it and submits it again later, as SPDK's does.
// - A short read or write goes on with the rest of the transfer (a read that makes no
//   progress, e.g. past a shrunken file's end, fails). -EAGAIN and -EINTR resubmit the
//   step. Any other error fails the I/O with its errno (SPDK_BDEV_IO_STATUS_AIO_ERROR,
//   see spdk_bdev_io_get_aio_status).
//
// Direct I/O
// - The file is opened with O_DIRECT. Where the file system refuses it (open fails
//   with EINVAL, or statx reports no direct I/O for the file, or the bdev's block size
//   is smaller than the file system's direct-I/O granularity), and on tmpfs (which has
//   accepted O_DIRECT since Linux 6.6 but serves it from the page cache anyway), the
//   bdev uses buffered I/O instead and a NOTICE says so. SPDK's module falls back the
//   same way, silently.
// - A file in memory (tmpfs, ramfs) is read and written with plain preadv/pwritev
//   inside submit_request. Such a file cannot be read "without blocking" in
//   io_uring's sense (no FMODE_NOWAIT), so io_uring would hand every request to one of
//   its worker threads; the worker's wake-up and hand-off cost several times the 4 KiB
//   copy that is the whole of the work (measured: about 3x fewer I/Os per second, and
//   a second CPU busy). The copy never waits for a device; it may wait for memory
//   (writes, or swap when tmpfs is swapped out). Flush, write zeroes and unmap still go
//   through the ring.
// - Direct I/O needs aligned buffers. The bdev asks for block-size alignment
//   (required_alignment, as SPDK's), and a request whose buffers miss the kernel's
//   actual requirement goes through an aligned bounce buffer rather than failing.
//
// Request types: read, write (vectored when the request has more than one iovec),
// flush (fdatasync), reset (nothing to do: completes at once), and where the file
// can do it, write zeroes and unmap (fallocate: zero range, or punching a hole, which
// reads back as zeroes; block devices get write zeroes only). SPDK's module offers
// only read and write; the extra types are reported by io_type_supported.
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <string>

#include "bdev/module_util.hpp"
#include "modules/uring/bdev_uring.hpp"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/json.h"
#include "spdk/likely.h"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/thread.h"
#include "spdk/util.h"

namespace {

// SQ entries of each thread's ring (the CQ gets twice as many).
constexpr unsigned kQueueDepth = 512;
// Prepared SQEs that submit_request hands to the kernel at once. Waiting for the
// poller to submit everything prepared since its last run makes batches of up to the
// queue depth, and on a virtio disk the device then serves each batch while the
// reactor waits and the reactor resubmits it while the device idles (measured, 4 KiB
// random reads at queue depth 32: 78k I/Os per second with the poller submitting,
// 85k with batches of 16, 92k with 1, 2 or 4, against fio's 87k in the same runs).
constexpr unsigned kSubmitBatch = 4;
// CQEs taken from the ring at a time, and at most per poller run.
constexpr unsigned kReapBatch = 64;
constexpr unsigned kMaxReapPerPoll = 512;
// Slots of each ring's table of registered files (one per uring bdev used on the
// thread); bdevs beyond that use their plain descriptor.
constexpr unsigned kFixedFileSlots = 64;
// Largest transfer given to the kernel in one request (it caps a single read or
// write below 2 GiB); a larger I/O is done in steps.
constexpr uint64_t kMaxStep = 1ULL << 30;
// iovecs a step of a resumed or bounced transfer carries; more are done in more steps.
constexpr int kTaskIovs = 4;
// Resubmissions of a step that got -EAGAIN or -EINTR before the I/O fails.
constexpr uint8_t kMaxRetries = 100;
// How long after its last completion or submission a ring with requests in flight
// still reports its poller busy. The embedded runtime's reactors nap (tens of
// microseconds, measured 44 us on a VM for a 20 us nap) once their pollers report idle
// for a while; a device that completes a request every few microseconds would see
// each completion wait for the nap to end (measured: 4 KiB random reads at queue depth
// 32 on a virtio disk, about 10% fewer I/Os per second than fio). A device slower than
// this window loses little to a nap, and the reactor still naps when the kernel's
// worker threads need its core (a blocked request makes no progress for a while).
constexpr uint64_t kSpinUs = 500;
// fast_res of a task that needs more than one CQE.
constexpr int64_t kSlowPath = INT64_MIN;

struct uring_disk {
    struct spdk_bdev bdev {};
    char *filename = nullptr;
    int fd = -1;
    uint32_t block_shift = 0;
    bool direct = false;
    bool is_blockdev = false;
    // With direct I/O: the bits that must be clear in each buffer's address and in
    // each iovec's length; 0 for buffered I/O.
    uintptr_t dio_mem_mask = 0;
    size_t dio_len_mask = 0;
    // The file lives in memory (tmpfs): reads and writes are plain copies done in
    // submit_request (see the top of this file).
    bool inline_io = false;
    // fallocate can punch holes in the file (regular files only).
    bool can_punch = false;
    // fallocate can zero ranges (cleared when the file system says otherwise).
    std::atomic<bool> can_zero_range{true};
    std::atomic<bool> hot_remove_in_progress{false};
    TAILQ_ENTRY(uring_disk) link{};
};

// A thread's ring: the context of the module's group io_device channels.
struct uring_group {
    struct io_uring ring;
    struct spdk_poller *poller;
    // SQEs prepared and not yet given to the kernel.
    uint32_t pending;
    // Requests given to the kernel whose CQE was not reaped yet.
    uint32_t inflight;
    // Most requests pending + inflight may count: the CQ size.
    uint32_t capacity;
    // The ring has a table of registered files; free_slots has a bit per free slot.
    bool fixed_files;
    bool submit_error_logged;
    uint64_t free_slots;
    // When the ring last completed or took requests, and the spin window in ticks.
    uint64_t last_work_tsc;
    uint64_t spin_ticks;
};

// A bdev's channel on one thread.
struct uring_channel {
    struct uring_group *group;
    struct uring_disk *disk;
    // Registered-file slot (with IOSQE_FIXED_FILE in sqe_flags) or descriptor.
    int file;
    uint8_t sqe_flags;
};

// Per-I/O state, in spdk_bdev_io::driver_ctx.
struct uring_task {
    // The CQE result that completes the I/O successfully in one go; kSlowPath when
    // the request needs more handling.
    int64_t fast_res;
    struct uring_channel *ch;
    // Bytes of the whole transfer and bytes done so far.
    uint64_t total;
    uint64_t done;
    // Aligned copy of the data for a direct I/O with unaligned buffers, or NULL.
    void *bounce;
    int falloc_mode;
    uint8_t op;
    uint8_t retries;
    struct iovec iov[kTaskIovs];
};

TAILQ_HEAD(, uring_disk) g_uring_disks = TAILQ_HEAD_INITIALIZER(g_uring_disks);
// The group io_device's address.
int g_uring_group_device;

int bdev_uring_initialize(void);
void bdev_uring_finish(void);
int bdev_uring_get_ctx_size(void);

struct spdk_bdev_module uring_if = spdk_embedded::bdev::module::make_module(
    "uring", bdev_uring_initialize, bdev_uring_finish, nullptr, bdev_uring_get_ctx_size);

inline struct uring_task *task_of(struct spdk_bdev_io *io) {
    return reinterpret_cast<struct uring_task *>(io->driver_ctx);
}

inline struct spdk_bdev_io *io_of(struct uring_task *task) {
    return spdk_bdev_io_from_ctx(task);
}

inline bool is_write_op(uint8_t op) {
    return op == IORING_OP_WRITE || op == IORING_OP_WRITEV;
}

void disk_free(struct uring_disk *disk) {
    if (disk == nullptr) {
        return;
    }
    if (disk->fd >= 0) {
        close(disk->fd);
    }
    free(disk->filename);
    free(disk->bdev.name);
    delete disk;
}

// ---- the ring ----------------------------------------------------------------------

// Gives the prepared SQEs to the kernel; returns how many it took.
int group_flush(struct uring_group *g) {
    const int rc = io_uring_submit(&g->ring);
    if (spdk_likely(rc > 0)) {
        const auto n = static_cast<uint32_t>(rc);
        g->pending -= n < g->pending ? n : g->pending;
        g->inflight += n;
        return rc;
    }
    if (rc < 0 && rc != -EAGAIN && rc != -EBUSY && rc != -EINTR && !g->submit_error_logged) {
        // Left in the SQ: the next poll tries again.
        g->submit_error_logged = true;
        SPDK_ERRLOG("io_uring_submit failed: %s\n", spdk_strerror(-rc));
    }
    return 0;
}

// An SQE to fill, or NULL when the ring has no room now (the caller completes the
// I/O with NOMEM).
inline struct io_uring_sqe *group_get_sqe(struct uring_group *g) {
    if (spdk_unlikely(g->pending + g->inflight >= g->capacity)) {
        return nullptr;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&g->ring);
    if (spdk_unlikely(sqe == nullptr)) {
        // The SQ is full: hand it to the kernel now rather than waiting for the poller.
        group_flush(g);
        sqe = io_uring_get_sqe(&g->ring);
        if (sqe == nullptr) {
            return nullptr;
        }
    }
    g->pending++;
    return sqe;
}

// Completes an SQE from group_get_sqe: names the file and the task, and submits the
// batch once it is kSubmitBatch long.
inline void queue_sqe(struct io_uring_sqe *sqe, const struct uring_channel *ch,
                      struct uring_task *task) {
    sqe->flags |= ch->sqe_flags;
    io_uring_sqe_set_data(sqe, task);
    if (ch->group->pending >= kSubmitBatch) {
        group_flush(ch->group);
    }
}

// ---- completion --------------------------------------------------------------------

// Ends a read or write: copies a bounced read back and frees the bounce buffer.
void finish_rw(struct uring_task *task, enum spdk_bdev_io_status status) {
    struct spdk_bdev_io *io = io_of(task);
    if (task->bounce != nullptr) {
        if (status == SPDK_BDEV_IO_STATUS_SUCCESS && !is_write_op(task->op)) {
            const auto *src = static_cast<const uint8_t *>(task->bounce);
            uint64_t left = task->total;
            for (int i = 0; i < io->u.bdev.iovcnt && left > 0; ++i) {
                const size_t n =
                    io->u.bdev.iovs[i].iov_len < left ? io->u.bdev.iovs[i].iov_len : left;
                memcpy(io->u.bdev.iovs[i].iov_base, src, n);
                src += n;
                left -= n;
            }
        }
        spdk_dma_free(task->bounce);
        task->bounce = nullptr;
    }
    spdk_bdev_io_complete(io, status);
}

void hot_remove_msg(void *ctx) {
    char *name = static_cast<char *>(ctx);
    delete_uring_bdev(name, nullptr, nullptr);
    free(name);
}

uint64_t fd_size(int fd, bool is_blockdev) {
    if (is_blockdev) {
        uint64_t size = 0;
        return ioctl(fd, BLKGETSIZE64, &size) == 0 ? size : 0;
    }
    struct stat st {};
    return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// A device that went away (its size reads as 0) is unregistered, as SPDK does.
void check_detached(struct uring_disk *disk) {
    if (fd_size(disk->fd, disk->is_blockdev) != 0 ||
        disk->hot_remove_in_progress.exchange(true, std::memory_order_relaxed)) {
        return;
    }
    char *name = strdup(disk->bdev.name);
    if (name == nullptr ||
        spdk_thread_send_msg(spdk_thread_get_app_thread(), hot_remove_msg, name) != 0) {
        free(name);
        disk->hot_remove_in_progress.store(false, std::memory_order_relaxed);
        return;
    }
    SPDK_ERRLOG("uring bdev %s: %s is gone, removing the bdev\n", disk->bdev.name, disk->filename);
}

void fail_io(struct uring_task *task, int res) {
    struct uring_disk *disk = task->ch->disk;
    // Per I/O, as SPDK's "I/O failed with error": rate-limited, so that a file cut
    // short or a full file system does not flood the log (hundreds of thousands a second).
    SPDK_ERRLOG_RATELIMIT("uring bdev %s (%s): I/O failed: %s\n", disk->bdev.name, disk->filename,
                          spdk_strerror(res < 0 ? -res : EIO));
    check_detached(disk);
    if (task->bounce != nullptr) {
        spdk_dma_free(task->bounce);
        task->bounce = nullptr;
    }
    spdk_bdev_io_complete_aio_status(io_of(task), res < 0 ? res : -EIO);
}

bool submit_rw_step(struct uring_task *task);
bool submit_simple(struct uring_task *task);

// Handles a CQE that did not complete its I/O in one go.
void complete_slow(struct uring_task *task, int32_t res) {
    const bool retry = (res == -EAGAIN || res == -EINTR) && task->retries < kMaxRetries;
    switch (task->op) {
        case IORING_OP_READ:
        case IORING_OP_READV:
        case IORING_OP_WRITE:
        case IORING_OP_WRITEV:
            if (res > 0) {
                task->done += static_cast<uint64_t>(res);
                task->retries = 0;
                if (task->done >= task->total) {
                    finish_rw(task, SPDK_BDEV_IO_STATUS_SUCCESS);
                    return;
                }
            } else if (retry) {
                task->retries++;
            } else {
                // 0: no progress (a read past the end of a file that shrank).
                fail_io(task, res);
                return;
            }
            if (!submit_rw_step(task)) {
                // Done again from the start when the bdev layer resubmits it.
                finish_rw(task, SPDK_BDEV_IO_STATUS_NOMEM);
            }
            return;
        case IORING_OP_FALLOCATE: {
            struct uring_disk *disk = task->ch->disk;
            if ((res == -EOPNOTSUPP || res == -EINVAL) &&
                (task->falloc_mode & FALLOC_FL_ZERO_RANGE) != 0 && disk->can_punch) {
                // The file system cannot zero a range: a hole reads back as zeroes too.
                disk->can_zero_range.store(false, std::memory_order_relaxed);
                task->falloc_mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
            } else if (retry) {
                task->retries++;
            } else {
                fail_io(task, res);
                return;
            }
            if (!submit_simple(task)) {
                spdk_bdev_io_complete(io_of(task), SPDK_BDEV_IO_STATUS_NOMEM);
            }
            return;
        }
        default:  // IORING_OP_FSYNC
            if (!retry) {
                fail_io(task, res);
                return;
            }
            task->retries++;
            if (!submit_simple(task)) {
                spdk_bdev_io_complete(io_of(task), SPDK_BDEV_IO_STATUS_NOMEM);
            }
            return;
    }
}

int group_reap(struct uring_group *g) {
    int total = 0;
    for (;;) {
        struct io_uring_cqe *cqes[kReapBatch];
        const unsigned n = io_uring_peek_batch_cqe(&g->ring, cqes, kReapBatch);
        if (n == 0) {
            break;
        }
        // Copied out so that the CQ slots go back to the kernel before any callback
        // runs (callbacks submit new I/O).
        struct uring_task *tasks[kReapBatch];
        int32_t results[kReapBatch];
        for (unsigned i = 0; i < n; ++i) {
            tasks[i] = static_cast<struct uring_task *>(io_uring_cqe_get_data(cqes[i]));
            results[i] = cqes[i]->res;
        }
        io_uring_cq_advance(&g->ring, n);
        g->inflight -= n;
        for (unsigned i = 0; i < n; ++i) {
            struct uring_task *task = tasks[i];
            if (spdk_likely(results[i] == task->fast_res)) {
                spdk_bdev_io_complete(io_of(task), SPDK_BDEV_IO_STATUS_SUCCESS);
            } else {
                complete_slow(task, results[i]);
            }
        }
        total += static_cast<int>(n);
        if (n < kReapBatch || total >= static_cast<int>(kMaxReapPerPoll)) {
            break;
        }
    }
    return total;
}

int group_poll(void *arg) {
    auto *g = static_cast<struct uring_group *>(arg);
    int work = 0;
    if (g->inflight != 0) {
        work = group_reap(g);
    }
    // What was prepared since the last run, including by the callbacks just run.
    if (g->pending != 0) {
        work += group_flush(g);
    }
    const uint64_t now = spdk_get_ticks();
    if (work > 0) {
        g->last_work_tsc = now;
        return SPDK_POLLER_BUSY;
    }
    // Requests in flight that completed steadily so far: keep the reactor spinning
    // for the next (see kSpinUs).
    if (g->inflight != 0 && now - g->last_work_tsc < g->spin_ticks) {
        return SPDK_POLLER_BUSY;
    }
    return SPDK_POLLER_IDLE;
}

// ---- submission --------------------------------------------------------------------

// Copies up to dstcnt pieces of src[0..srccnt), starting skip bytes in and no more
// than max bytes, to dst. Returns the count and sets *bytes.
int slice_iovs(const struct iovec *src, int srccnt, uint64_t skip, uint64_t max, struct iovec *dst,
               uint64_t *bytes, int dstcnt = kTaskIovs) {
    int n = 0;
    uint64_t sum = 0;
    for (int i = 0; i < srccnt && n < dstcnt && sum < max; ++i) {
        if (skip >= src[i].iov_len) {
            skip -= src[i].iov_len;
            continue;
        }
        uint64_t len = src[i].iov_len - skip;
        if (len > max - sum) {
            len = max - sum;
        }
        dst[n].iov_base = static_cast<uint8_t *>(src[i].iov_base) + skip;
        dst[n].iov_len = len;
        skip = 0;
        sum += len;
        ++n;
    }
    *bytes = sum;
    return n;
}

// Submits the next part of a read or write (after a short transfer, a retry, for a
// bounced or a very large I/O). Returns false when the ring has no room.
bool submit_rw_step(struct uring_task *task) {
    struct spdk_bdev_io *io = io_of(task);
    struct uring_channel *ch = task->ch;
    struct iovec bounce_iov = {task->bounce, task->total};
    const struct iovec *src = io->u.bdev.iovs;
    int srccnt = io->u.bdev.iovcnt;
    if (task->bounce != nullptr) {
        src = &bounce_iov;
        srccnt = 1;
    }
    uint64_t remaining = task->total - task->done;
    uint64_t bytes = 0;
    const int n = slice_iovs(src, srccnt, task->done, remaining < kMaxStep ? remaining : kMaxStep,
                             task->iov, &bytes);
    if (bytes == 0) {
        // The buffers are shorter than the request.
        fail_io(task, -EINVAL);
        return true;
    }
    struct io_uring_sqe *sqe = group_get_sqe(ch->group);
    if (sqe == nullptr) {
        return false;
    }
    const bool write = is_write_op(task->op);
    task->op = write ? IORING_OP_WRITEV : IORING_OP_READV;
    task->fast_res = kSlowPath;
    const uint64_t offset = (io->u.bdev.offset_blocks << ch->disk->block_shift) + task->done;
    io_uring_prep_rw(task->op, sqe, ch->file, task->iov, static_cast<unsigned>(n), offset);
    queue_sqe(sqe, ch, task);
    return true;
}

// (Re)submits a flush or fallocate request. Returns false when the ring has no room.
bool submit_simple(struct uring_task *task) {
    struct spdk_bdev_io *io = io_of(task);
    struct uring_channel *ch = task->ch;
    struct io_uring_sqe *sqe = group_get_sqe(ch->group);
    if (sqe == nullptr) {
        return false;
    }
    if (task->op == IORING_OP_FSYNC) {
        io_uring_prep_fsync(sqe, ch->file, IORING_FSYNC_DATASYNC);
    } else {
        const uint32_t shift = ch->disk->block_shift;
        io_uring_prep_fallocate(sqe, ch->file, task->falloc_mode, io->u.bdev.offset_blocks << shift,
                                io->u.bdev.num_blocks << shift);
    }
    task->fast_res = 0;
    queue_sqe(sqe, ch, task);
    return true;
}

inline bool dio_aligned(const struct uring_disk *disk, const struct iovec *iovs, int iovcnt) {
    uintptr_t bases = 0;
    size_t lens = 0;
    for (int i = 0; i < iovcnt; ++i) {
        bases |= reinterpret_cast<uintptr_t>(iovs[i].iov_base);
        lens |= iovs[i].iov_len;
    }
    return ((bases & disk->dio_mem_mask) | (lens & disk->dio_len_mask)) == 0;
}

// A read or write that cannot go as one plain request: unaligned buffers for direct
// I/O (bounced), or more than kMaxStep bytes (stepped).
void submit_rw_slow(struct uring_task *task, bool unaligned) {
    struct spdk_bdev_io *io = io_of(task);
    if (unaligned) {
        struct uring_disk *disk = task->ch->disk;
        const size_t align = disk->dio_mem_mask + 1 > 4096 ? disk->dio_mem_mask + 1 : 4096;
        task->bounce = spdk_dma_malloc(task->total, align, nullptr);
        if (task->bounce == nullptr) {
            spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_NOMEM);
            return;
        }
        if (is_write_op(task->op)) {
            auto *dst = static_cast<uint8_t *>(task->bounce);
            uint64_t left = task->total;
            for (int i = 0; i < io->u.bdev.iovcnt && left > 0; ++i) {
                const size_t n =
                    io->u.bdev.iovs[i].iov_len < left ? io->u.bdev.iovs[i].iov_len : left;
                memcpy(dst, io->u.bdev.iovs[i].iov_base, n);
                dst += n;
                left -= n;
            }
        }
    }
    if (!submit_rw_step(task)) {
        finish_rw(task, SPDK_BDEV_IO_STATUS_NOMEM);
    }
}

// A read or write of a file in memory, done here and now: the copy is all there is
// to it, and io_uring could only hand it to one of its worker threads (tmpfs cannot
// be read without blocking in io_uring's sense), which costs more than the copy.
void rw_inline(struct uring_disk *disk, struct spdk_bdev_io *io, bool write, uint64_t len) {
    constexpr int kInlineIovs = 32;
    const uint64_t offset = io->u.bdev.offset_blocks << disk->block_shift;
    uint64_t done = 0;
    while (done < len) {
        struct iovec iov[kInlineIovs];
        uint64_t bytes = 0;
        const int n =
            slice_iovs(io->u.bdev.iovs, io->u.bdev.iovcnt, done,
                       len - done < kMaxStep ? len - done : kMaxStep, iov, &bytes, kInlineIovs);
        if (bytes == 0) {
            // The buffers are shorter than the request.
            spdk_bdev_io_complete_aio_status(io, -EINVAL);
            return;
        }
        const auto pos = static_cast<off_t>(offset + done);
        const ssize_t rc = write ? pwritev(disk->fd, iov, n, pos) : preadv(disk->fd, iov, n, pos);
        if (spdk_likely(rc > 0)) {
            done += static_cast<uint64_t>(rc);
            continue;
        }
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        // 0: no progress (a read past the end of a file that shrank).
        const int err = rc < 0 ? errno : EIO;
        SPDK_ERRLOG("uring bdev %s (%s): I/O failed: %s\n", disk->bdev.name, disk->filename,
                    spdk_strerror(err));
        check_detached(disk);
        spdk_bdev_io_complete_aio_status(io, -err);
        return;
    }
    spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
}

inline void submit_rw(struct uring_channel *ch, struct spdk_bdev_io *io, bool write) {
    struct uring_task *task = task_of(io);
    struct uring_disk *disk = ch->disk;
    const uint64_t len = io->u.bdev.num_blocks << disk->block_shift;
    if (disk->inline_io) {
        rw_inline(disk, io, write, len);
        return;
    }
    struct iovec *iovs = io->u.bdev.iovs;
    const int iovcnt = io->u.bdev.iovcnt;
    task->ch = ch;
    task->total = len;
    task->done = 0;
    task->bounce = nullptr;
    task->retries = 0;
    const bool unaligned = disk->dio_mem_mask != 0 && !dio_aligned(disk, iovs, iovcnt);
    if (spdk_unlikely(unaligned || len > kMaxStep)) {
        task->op = write ? IORING_OP_WRITEV : IORING_OP_READV;
        submit_rw_slow(task, unaligned);
        return;
    }
    struct io_uring_sqe *sqe = group_get_sqe(ch->group);
    if (spdk_unlikely(sqe == nullptr)) {
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_NOMEM);
        return;
    }
    const uint64_t offset = io->u.bdev.offset_blocks << disk->block_shift;
    if (spdk_likely(iovcnt == 1)) {
        // One buffer: the plain op spares the kernel importing an iovec array. (A
        // buffer shorter than the request ends short and then fails.)
        task->op = write ? IORING_OP_WRITE : IORING_OP_READ;
        const uint64_t n = iovs[0].iov_len < len ? iovs[0].iov_len : len;
        io_uring_prep_rw(task->op, sqe, ch->file, iovs[0].iov_base, static_cast<unsigned>(n),
                         offset);
    } else {
        task->op = write ? IORING_OP_WRITEV : IORING_OP_READV;
        io_uring_prep_rw(task->op, sqe, ch->file, iovs, static_cast<unsigned>(iovcnt), offset);
    }
    task->fast_res = static_cast<int64_t>(len);
    queue_sqe(sqe, ch, task);
}

void bdev_uring_get_buf_cb(struct spdk_io_channel *ch, struct spdk_bdev_io *io, bool success) {
    if (!success) {
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
        return;
    }
    submit_rw(static_cast<struct uring_channel *>(spdk_io_channel_get_ctx(ch)), io, false);
}

void submit_other(struct uring_channel *ch, struct spdk_bdev_io *io, uint8_t op, int mode) {
    struct uring_task *task = task_of(io);
    task->ch = ch;
    task->op = op;
    task->falloc_mode = mode;
    task->retries = 0;
    task->bounce = nullptr;
    if (!submit_simple(task)) {
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_NOMEM);
    }
}

void bdev_uring_submit_request(struct spdk_io_channel *io_ch, struct spdk_bdev_io *io) {
    auto *ch = static_cast<struct uring_channel *>(spdk_io_channel_get_ctx(io_ch));
    switch (io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
            if (spdk_unlikely(io->u.bdev.iovs[0].iov_base == nullptr)) {
                // The caller gave no buffer: the bdev layer lends one.
                spdk_bdev_io_get_buf(io, bdev_uring_get_buf_cb,
                                     io->u.bdev.num_blocks << ch->disk->block_shift);
                return;
            }
            submit_rw(ch, io, false);
            return;
        case SPDK_BDEV_IO_TYPE_WRITE:
            submit_rw(ch, io, true);
            return;
        case SPDK_BDEV_IO_TYPE_FLUSH:
            submit_other(ch, io, IORING_OP_FSYNC, 0);
            return;
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
            if (ch->disk->is_blockdev || ch->disk->can_zero_range.load(std::memory_order_relaxed)) {
                submit_other(ch, io, IORING_OP_FALLOCATE,
                             FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE);
            } else {
                submit_other(ch, io, IORING_OP_FALLOCATE,
                             FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
            }
            return;
        case SPDK_BDEV_IO_TYPE_UNMAP:
            submit_other(ch, io, IORING_OP_FALLOCATE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
            return;
        case SPDK_BDEV_IO_TYPE_RESET:
            // Nothing is queued in the module and the kernel's requests cannot be
            // recalled: there is nothing to reset.
            spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
            return;
        default:
            spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
            return;
    }
}

bool bdev_uring_io_type_supported(void *ctx, enum spdk_bdev_io_type type) {
    auto *disk = static_cast<struct uring_disk *>(ctx);
    switch (type) {
        case SPDK_BDEV_IO_TYPE_READ:
        case SPDK_BDEV_IO_TYPE_WRITE:
        case SPDK_BDEV_IO_TYPE_FLUSH:
        case SPDK_BDEV_IO_TYPE_RESET:
            return true;
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
            return disk->can_punch || disk->is_blockdev;
        case SPDK_BDEV_IO_TYPE_UNMAP:
            return disk->can_punch;
        default:
            return false;
    }
}

// ---- channels ----------------------------------------------------------------------

int group_create_cb(void * /*io_device*/, void *ctx) {
    auto *g = static_cast<struct uring_group *>(ctx);
    memset(g, 0, sizeof(*g));
    struct io_uring_params params {};
    // SUBMIT_ALL: one bad SQE does not hold back the rest of a batch.
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CLAMP;
    int rc = io_uring_queue_init_params(kQueueDepth, &g->ring, &params);
    if (rc == -EINVAL) {
        // A kernel older than 5.18.
        params = {};
        rc = io_uring_queue_init_params(kQueueDepth, &g->ring, &params);
    }
    if (rc < 0) {
        SPDK_ERRLOG("cannot set up an io_uring for thread %s: %s\n",
                    spdk_thread_get_name(spdk_get_thread()), spdk_strerror(-rc));
        return rc;
    }
    g->capacity = params.cq_entries;
    g->spin_ticks = kSpinUs * spdk_get_ticks_hz() / 1000000;
    // Optional speed-ups; the ring works without them. A registered ring descriptor
    // spares io_uring_enter a descriptor lookup.
    (void)io_uring_register_ring_fd(&g->ring);
    static_assert(kFixedFileSlots == 64, "free_slots has a bit per slot");
    if (io_uring_register_files_sparse(&g->ring, kFixedFileSlots) == 0) {
        g->fixed_files = true;
        g->free_slots = ~0ULL;
    }
    g->poller = SPDK_POLLER_REGISTER(group_poll, g, 0);
    if (g->poller == nullptr) {
        io_uring_queue_exit(&g->ring);
        return -ENOMEM;
    }
    return 0;
}

void group_destroy_cb(void * /*io_device*/, void *ctx) {
    auto *g = static_cast<struct uring_group *>(ctx);
    if (g->inflight != 0 || g->pending != 0) {
        SPDK_ERRLOG("io_uring of thread %s destroyed with %" PRIu32 " requests outstanding\n",
                    spdk_thread_get_name(spdk_get_thread()), g->inflight + g->pending);
    }
    spdk_poller_unregister(&g->poller);
    io_uring_queue_exit(&g->ring);
}

int channel_create_cb(void *io_device, void *ctx) {
    auto *disk = static_cast<struct uring_disk *>(io_device);
    auto *ch = static_cast<struct uring_channel *>(ctx);
    struct spdk_io_channel *group_ch = spdk_get_io_channel(&g_uring_group_device);
    if (group_ch == nullptr) {
        return -ENOMEM;
    }
    ch->group = static_cast<struct uring_group *>(spdk_io_channel_get_ctx(group_ch));
    ch->disk = disk;
    ch->file = disk->fd;
    ch->sqe_flags = 0;
    struct uring_group *g = ch->group;
    if (g->fixed_files && g->free_slots != 0) {
        const int slot = __builtin_ctzll(g->free_slots);
        if (io_uring_register_files_update(&g->ring, static_cast<unsigned>(slot), &disk->fd, 1) ==
            1) {
            g->free_slots &= ~(1ULL << slot);
            ch->file = slot;
            ch->sqe_flags = IOSQE_FIXED_FILE;
        }
    }
    return 0;
}

void channel_destroy_cb(void * /*io_device*/, void *ctx) {
    auto *ch = static_cast<struct uring_channel *>(ctx);
    struct uring_group *g = ch->group;
    if ((ch->sqe_flags & IOSQE_FIXED_FILE) != 0) {
        int none = -1;
        io_uring_register_files_update(&g->ring, static_cast<unsigned>(ch->file), &none, 1);
        g->free_slots |= 1ULL << ch->file;
    }
    spdk_put_io_channel(spdk_io_channel_from_ctx(g));
}

struct spdk_io_channel *bdev_uring_get_io_channel(void *ctx) {
    return spdk_get_io_channel(ctx);
}

// ---- bdev life ---------------------------------------------------------------------

void disk_unregistered(void *io_device) {
    auto *disk = static_cast<struct uring_disk *>(io_device);
    int rc = 0;
    if (close(disk->fd) != 0) {
        rc = -errno;
        SPDK_ERRLOG("uring bdev %s: closing %s failed: %s\n", disk->bdev.name, disk->filename,
                    spdk_strerror(errno));
    }
    disk->fd = -1;
    spdk_bdev_destruct_done(&disk->bdev, rc);
    disk_free(disk);
}

// Finishes once the bdev's channels are gone (they name the file in their rings);
// the descriptor is closed then.
int bdev_uring_destruct(void *ctx) {
    auto *disk = static_cast<struct uring_disk *>(ctx);
    TAILQ_REMOVE(&g_uring_disks, disk, link);
    spdk_io_device_unregister(disk, disk_unregistered);
    return 1;
}

int bdev_uring_dump_info_json(void *ctx, struct spdk_json_write_ctx *w) {
    auto *disk = static_cast<struct uring_disk *>(ctx);
    spdk_json_write_named_object_begin(w, "uring");
    spdk_json_write_named_string(w, "filename", disk->filename);
    spdk_json_write_object_end(w);
    return 0;
}

void bdev_uring_write_json_config(struct spdk_bdev *bdev, struct spdk_json_write_ctx *w) {
    auto *disk = static_cast<struct uring_disk *>(bdev->ctxt);
    spdk_embedded::bdev::module::write_create_config(
        w, "bdev_uring_create", bdev, [bdev, disk](spdk_json_write_ctx *p) {
            spdk_json_write_named_uint32(p, "block_size", bdev->blocklen);
            spdk_json_write_named_string(p, "filename", disk->filename);
            spdk_json_write_named_uuid(p, "uuid", &bdev->uuid);
        });
}

const struct spdk_bdev_fn_table uring_fn_table = spdk_embedded::bdev::module::make_fn_table(
    bdev_uring_destruct, bdev_uring_submit_request, bdev_uring_io_type_supported,
    bdev_uring_get_io_channel, bdev_uring_dump_info_json, bdev_uring_write_json_config);

int bdev_uring_initialize(void) {
    spdk_io_device_register(&g_uring_group_device, group_create_cb, group_destroy_cb,
                            sizeof(struct uring_group), "bdev_uring_group");
    return 0;
}

void bdev_uring_finish(void) {
    spdk_io_device_unregister(&g_uring_group_device, nullptr);
}

int bdev_uring_get_ctx_size(void) {
    return sizeof(struct uring_task);
}

// ---- creation ----------------------------------------------------------------------

int fail(std::string *error, int rc, const std::string &text) {
    SPDK_ERRLOG("%s\n", text.c_str());
    if (error != nullptr) {
        *error = text;
    }
    return rc;
}

// Opens the file read-write, with O_DIRECT when the file system takes it. Returns the
// descriptor or -errno.
int open_disk(const char *filename, bool *direct) {
    int flags = O_RDWR | O_CLOEXEC | O_NOATIME | O_DIRECT;
    for (;;) {
        const int fd = open(filename, flags);
        if (fd >= 0) {
            *direct = (flags & O_DIRECT) != 0;
            return fd;
        }
        if (errno == EPERM && (flags & O_NOATIME) != 0) {
            // O_NOATIME is only for the file's owner; it is a nicety.
            flags &= ~O_NOATIME;
        } else if (errno == EINVAL && (flags & O_DIRECT) != 0) {
            // The file system refuses O_DIRECT: buffered I/O it is.
            flags &= ~O_DIRECT;
        } else {
            return -errno;
        }
    }
}

// Decides between direct and buffered I/O for an open disk and sets its alignment
// masks. logical_block is the block device's logical block size (0 for a file).
void choose_io_mode(struct uring_disk *disk, uint32_t block_size, uint32_t logical_block,
                    bool direct_refused) {
    const char *why = direct_refused ? "the file system refuses O_DIRECT" : nullptr;
    uint32_t mem_align = block_size;
    uint32_t len_align = logical_block != 0 ? logical_block : block_size;
    struct statfs fs {};
    const bool in_memory =
        fstatfs(disk->fd, &fs) == 0 && (static_cast<unsigned long>(fs.f_type) == TMPFS_MAGIC ||
                                        static_cast<unsigned long>(fs.f_type) == RAMFS_MAGIC);
    if (disk->direct) {
        if (in_memory) {
            why = "tmpfs keeps its data in the page cache";
        }
#ifdef STATX_DIOALIGN
        struct statx stx {};
        if (why == nullptr && statx(disk->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
            (stx.stx_mask & STATX_DIOALIGN) != 0) {
            if (stx.stx_dio_mem_align == 0) {
                why = "the file system does no direct I/O on this file";
            } else if (stx.stx_dio_offset_align > block_size) {
                why = "the block size is smaller than the file system's direct-I/O granularity";
            } else {
                mem_align = stx.stx_dio_mem_align;
                len_align = stx.stx_dio_offset_align;
            }
        }
#endif
        if (why != nullptr) {
            const int flags = fcntl(disk->fd, F_GETFL);
            if (flags < 0 || fcntl(disk->fd, F_SETFL, flags & ~O_DIRECT) != 0) {
                // Keep O_DIRECT and the conservative masks.
                why = nullptr;
            } else {
                disk->direct = false;
            }
        }
    }
    if (!disk->direct) {
        disk->inline_io = in_memory;
        SPDK_NOTICELOG("uring bdev %s: %s: %s; using buffered I/O (through the page cache%s)\n",
                       disk->bdev.name, disk->filename, why != nullptr ? why : "no O_DIRECT",
                       in_memory ? "; reads and writes are copied without io_uring" : "");
        disk->dio_mem_mask = 0;
        disk->dio_len_mask = 0;
        return;
    }
    disk->dio_mem_mask = mem_align > 1 ? mem_align - 1 : 0;
    disk->dio_len_mask = len_align > 1 ? len_align - 1 : 0;
}

}  // namespace

SPDK_BDEV_MODULE_REGISTER(uring, &uring_if)
SPDK_LOG_REGISTER_COMPONENT(uring)

int create_uring_bdev(const struct bdev_uring_opts *opts, struct spdk_bdev **bdev,
                      std::string *error) {
    if (opts->name == nullptr || opts->name[0] == '\0') {
        return fail(error, -EINVAL, "'name' must be a non-empty string");
    }
    if (opts->filename == nullptr || opts->filename[0] == '\0') {
        return fail(error, -EINVAL, "'filename' must be a non-empty string");
    }
    const std::string name = opts->name;
    const std::string file = opts->filename;
    if (spdk_bdev_get_by_name(opts->name) != nullptr) {
        return fail(error, -EEXIST, "'name': a bdev named '" + name + "' already exists");
    }
    uint32_t block_size = opts->block_size;
    if (block_size != 0 && (block_size < 512 || !spdk_u32_is_pow2(block_size))) {
        return fail(error, -EINVAL,
                    "'block_size' must be a power of two of at least 512, not " +
                        std::to_string(block_size));
    }

    auto *disk = new (std::nothrow) uring_disk;
    if (disk == nullptr) {
        return fail(error, -ENOMEM, "out of memory");
    }
    disk->filename = strdup(opts->filename);
    disk->bdev.name = strdup(opts->name);
    if (disk->filename == nullptr || disk->bdev.name == nullptr) {
        disk_free(disk);
        return fail(error, -ENOMEM, "out of memory");
    }
    bool direct = false;
    const int fd = open_disk(opts->filename, &direct);
    if (fd < 0) {
        disk_free(disk);
        std::string text = "'filename' " + file +
                           " cannot be opened for reading and writing: " + spdk_strerror(-fd);
        if (fd == -EACCES || fd == -EROFS || fd == -EPERM) {
            text += " (a uring bdev is always read-write)";
        }
        return fail(error, fd, text);
    }
    disk->fd = fd;
    disk->direct = direct;

    struct stat st {};
    if (fstat(fd, &st) != 0) {
        const int rc = -errno;
        disk_free(disk);
        return fail(error, rc, "'filename' " + file + ": " + spdk_strerror(-rc));
    }
    uint32_t logical_block = 0;
    uint64_t size = 0;
    if (S_ISBLK(st.st_mode)) {
        disk->is_blockdev = true;
        if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
            const int rc = -errno;
            disk_free(disk);
            return fail(
                error, rc,
                "'filename' " + file + ": cannot read the device size: " + spdk_strerror(-rc));
        }
        int ssz = 0;
        if (ioctl(fd, BLKSSZGET, &ssz) == 0 && ssz > 0) {
            logical_block = static_cast<uint32_t>(ssz);
        }
    } else if (S_ISREG(st.st_mode)) {
        size = static_cast<uint64_t>(st.st_size);
    } else {
        disk_free(disk);
        return fail(error, -EINVAL,
                    "'filename' " + file + " is neither a regular file nor a block device");
    }

    if (block_size == 0) {
        if (logical_block == 0) {
            disk_free(disk);
            return fail(error, -EINVAL,
                        "'block_size' must be given for " + file +
                            ": a regular file has no block size to detect");
        }
        block_size = logical_block;
    } else if (block_size < logical_block) {
        disk_free(disk);
        return fail(error, -EINVAL,
                    "'block_size' " + std::to_string(block_size) +
                        " is smaller than the logical block size " + std::to_string(logical_block) +
                        " of " + file);
    } else if (logical_block != 0 && block_size != logical_block) {
        SPDK_WARNLOG("uring bdev %s: block size %" PRIu32
                     " differs from the logical block size %" PRIu32 " of %s\n",
                     opts->name, block_size, logical_block, opts->filename);
    }
    if (block_size < 512 || !spdk_u32_is_pow2(block_size)) {
        disk_free(disk);
        return fail(error, -EINVAL,
                    "'block_size' " + std::to_string(block_size) + " of " + file +
                        " is not a power of two of at least 512");
    }
    if (size == 0) {
        disk_free(disk);
        return fail(error, -EINVAL, "'filename' " + file + " is empty (its size is 0)");
    }
    if (size % block_size != 0) {
        disk_free(disk);
        return fail(error, -EINVAL,
                    "the size " + std::to_string(size) + " of 'filename' " + file +
                        " is not a multiple of 'block_size' " + std::to_string(block_size));
    }

    choose_io_mode(disk, block_size, logical_block, !direct);
    if (!disk->is_blockdev) {
        // Punching a hole past the end of the file changes nothing in it and tells
        // whether the file system can punch holes at all.
        disk->can_punch = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                    static_cast<off_t>(size), block_size) == 0;
    }

    disk->block_shift = spdk_u32log2(block_size);
    spdk_embedded::bdev::module::fill_bdev(disk->bdev, "URING bdev", block_size, size / block_size,
                                           opts->uuid, disk, &uring_fn_table, &uring_if);
    // Buffered writes wait in the page cache until a flush: a volatile write cache.
    disk->bdev.write_cache = disk->direct ? 0 : 1;
    disk->bdev.required_alignment = static_cast<uint8_t>(disk->block_shift);

    spdk_io_device_register(disk, channel_create_cb, channel_destroy_cb,
                            sizeof(struct uring_channel), disk->bdev.name);
    const int rc = spdk_bdev_register(&disk->bdev);
    if (rc != 0) {
        spdk_io_device_unregister(disk, nullptr);
        disk_free(disk);
        if (rc == -EEXIST) {
            // The name was free a moment ago: the UUID is taken.
            char uuid[SPDK_UUID_STRING_LEN] = "";
            spdk_uuid_fmt_lower(uuid, sizeof(uuid), &opts->uuid);
            return fail(error, rc,
                        std::string("'uuid' ") + uuid + " (or 'name' " + name +
                            ") is taken by another bdev");
        }
        return fail(error, rc, "cannot register bdev '" + name + "': " + spdk_strerror(-rc));
    }
    TAILQ_INSERT_TAIL(&g_uring_disks, disk, link);
    *bdev = &disk->bdev;
    return 0;
}

void delete_uring_bdev(const char *name, spdk_delete_uring_complete cb_fn, void *cb_arg) {
    spdk_embedded::bdev::module::delete_by_name(name, &uring_if, cb_fn, cb_arg);
}

int bdev_uring_rescan(const char *name) {
    struct spdk_bdev *bdev = spdk_bdev_get_by_name(name);
    if (bdev == nullptr || bdev->module != &uring_if) {
        return -ENODEV;
    }
    auto *disk = static_cast<struct uring_disk *>(bdev->ctxt);
    const uint64_t size = fd_size(disk->fd, disk->is_blockdev);
    if (size == 0) {
        check_detached(disk);
        return 0;
    }
    const uint64_t blockcnt = size / bdev->blocklen;
    if (blockcnt == bdev->blockcnt) {
        return 0;
    }
    SPDK_NOTICELOG("uring bdev %s: %s changed size: %" PRIu64 " blocks, was %" PRIu64 "\n",
                   bdev->name, disk->filename, blockcnt, bdev->blockcnt);
    const int rc = spdk_bdev_notify_blockcnt_change(bdev, blockcnt);
    if (rc != 0) {
        SPDK_ERRLOG("uring bdev %s: cannot change the number of blocks: %s\n", bdev->name,
                    spdk_strerror(-rc));
    }
    return rc;
}
