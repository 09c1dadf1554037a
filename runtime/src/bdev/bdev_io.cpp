// The bdev I/O path: channels, the spdk_bdev_io pool and caches, submission,
// completion, io_wait, data buffers and statistics.
//
// Submit: check the request, take an spdk_bdev_io from the thread's cache (the pool
// behind it only when the cache is empty and nobody waits), fill it in, call the
// module's submit_request with in_submit_request set. Complete: a completion made
// while in_submit_request is set is queued on the thread's MgmtChannel and run by
// one drain message per batch; any other completion runs the user's callback at
// once (it is on the submitting thread, in the module's own context). Nothing on
// this path allocates or locks while the cache has entries.
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "bdev/bdev_internal.hpp"
#include "internal/internal_send.hpp"
#include "spdk/env.h"
#include "spdk/likely.h"
#include "spdk/log.h"
#include "spdk/string.h"

namespace spdk_embedded::bdev {
namespace {

// ---- the pool --------------------------------------------------------------------

spdk_bdev_io *pool_get() {
    Manager &m = manager();
    std::lock_guard guard(m.pool_lock);
    spdk_bdev_io *io = m.free_list;
    if (io != nullptr) {
        m.free_list = STAILQ_NEXT(io, internal.buf_link);
    } else if (m.next_unused < m.pool_size) {
        io = reinterpret_cast<spdk_bdev_io *>(m.pool_mem + m.io_size * m.next_unused++);
    } else {
        return nullptr;
    }
    m.pool_free--;
    return io;
}

void pool_put(spdk_bdev_io *io) {
    Manager &m = manager();
    std::lock_guard guard(m.pool_lock);
    STAILQ_NEXT(io, internal.buf_link) = m.free_list;
    m.free_list = io;
    m.pool_free++;
}

// ---- per-thread cache --------------------------------------------------------------

inline spdk_bdev_io *get_io(MgmtChannel *m) {
    spdk_bdev_io *io = m->cache_head;
    if (spdk_likely(io != nullptr)) {
        m->cache_head = STAILQ_NEXT(io, internal.buf_link);
        m->cache_count--;
        return io;
    }
    // Waiters go first: a new request must not overtake them.
    if (!TAILQ_EMPTY(&m->io_wait_queue)) {
        return nullptr;
    }
    return pool_get();
}

// ---- deferred work ---------------------------------------------------------------

void drain(MgmtChannel *m);

void drain_msg(void *ctx) {
    drain(static_cast<MgmtChannel *>(ctx));
}

int drain_poller(void *ctx) {
    auto *m = static_cast<MgmtChannel *>(ctx);
    spdk_poller_unregister(&m->backup_poller);
    drain(m);
    return SPDK_POLLER_BUSY;
}

// Makes sure drain() runs soon on m's thread (the current thread).
inline void kick(MgmtChannel *m) {
    if (m->drain_pending) {
        return;
    }
    m->drain_pending = true;
    if (spdk_unlikely(spdk_thread_send_msg(m->thread, drain_msg, m) != 0)) {
        // The message queue is full: a poller does it instead.
        if (m->backup_poller == nullptr) {
            m->backup_poller = spdk_poller_register(drain_poller, m, 0);
        }
        if (m->backup_poller == nullptr) {
            SPDK_ERRLOG("cannot schedule bdev completions on thread %s\n",
                        spdk_thread_get_name(m->thread));
        }
    }
}

inline void defer(MgmtChannel *m, spdk_bdev_io *io) {
    STAILQ_INSERT_TAIL(&m->deferred, io, internal.link);
    kick(m);
}

// ---- submission and the NOMEM queue (SharedResource) -------------------------------

inline void increment_outstanding(spdk_bdev_channel *ch) {
    ch->io_outstanding++;
    ch->shared->io_outstanding++;
}

inline void decrement_outstanding(spdk_bdev_channel *ch) {
    ch->io_outstanding--;
    ch->shared->io_outstanding--;
}

void retry_nomem(SharedResource *shared);

// Hands a new I/O to its module, or queues it behind the I/O waiting for the module
// to have resources again (SPDK's bdev_io_do_submit).
inline void submit(spdk_bdev_io *io) {
    spdk_bdev_channel *ch = io->internal.ch;
    SharedResource *shared = ch->shared;
    if (spdk_likely(STAILQ_EMPTY(&shared->nomem_io))) {
        increment_outstanding(ch);
        io->internal.in_submit_request = 1;
        io->bdev->fn_table->submit_request(ch->module_ch, io);
        io->internal.in_submit_request = 0;
        return;
    }
    STAILQ_INSERT_TAIL(&shared->nomem_io, io, internal.link);
    if (shared->nomem_threshold == 0 && shared->io_outstanding == 0) {
        // Nothing in the module will complete to retry the queue.
        retry_nomem(shared);
    }
}

// Hands a queued I/O to its module again. As in SPDK, this is not a submit call of
// the user's: a completion made inside it is not deferred.
void resubmit(spdk_bdev_io *io) {
    increment_outstanding(io->internal.ch);
    io->internal.error.nvme.cdw0 = 0;
    io->num_retries++;
    io->bdev->fn_table->submit_request(io->internal.ch->module_ch, io);
}

// Submits the queued I/O again, in order, once enough I/O left the module; stops at
// the first that the module completes with NOMEM again (it is back at the head).
void retry_nomem(SharedResource *shared) {
    if (shared->nomem_abort_in_progress || shared->io_outstanding > shared->nomem_threshold) {
        return;
    }
    while (!STAILQ_EMPTY(&shared->nomem_io)) {
        spdk_bdev_io *io = STAILQ_FIRST(&shared->nomem_io);
        STAILQ_REMOVE_HEAD(&shared->nomem_io, internal.link);
        resubmit(io);
        if (io == STAILQ_FIRST(&shared->nomem_io)) {
            break;
        }
    }
}

// Retries the queue when no I/O is left in the module to complete and trigger it.
int nomem_poller(void *ctx) {
    auto *shared = static_cast<SharedResource *>(ctx);
    if (!STAILQ_EMPTY(&shared->nomem_io)) {
        retry_nomem(shared);
    }
    if (!STAILQ_EMPTY(&shared->nomem_io) && shared->io_outstanding == 0) {
        return SPDK_POLLER_BUSY;
    }
    spdk_poller_unregister(&shared->nomem_poller);
    return SPDK_POLLER_IDLE;
}

// Called as io leaves the module: a NOMEM io goes back to the head of the queue
// (true); any other completion may let the queue go on.
inline bool handle_nomem(spdk_bdev_io *io) {
    SharedResource *shared = io->internal.ch->shared;
    if (spdk_unlikely(io->internal.status == SPDK_BDEV_IO_STATUS_NOMEM)) {
        io->internal.status = SPDK_BDEV_IO_STATUS_PENDING;
        // Wait for kNomemThresholdCount completions, or for half of the I/O in the
        // module when fewer are.
        const auto outstanding = static_cast<int64_t>(shared->io_outstanding);
        const int64_t threshold =
            std::max(outstanding / 2, outstanding - static_cast<int64_t>(kNomemThresholdCount));
        shared->nomem_threshold = static_cast<uint64_t>(threshold);
        STAILQ_INSERT_HEAD(&shared->nomem_io, io, internal.link);
        if (shared->io_outstanding == 0 && shared->nomem_poller == nullptr) {
            shared->nomem_poller = spdk_poller_register(nomem_poller, shared, kNomemPollerPeriodUs);
        }
        return true;
    }
    if (spdk_unlikely(!STAILQ_EMPTY(&shared->nomem_io))) {
        retry_nomem(shared);
    }
    return false;
}

// ---- statistics ------------------------------------------------------------------

inline void account(uint64_t ticks, uint64_t &sum, uint64_t &max, uint64_t &min) {
    sum += ticks;
    if (ticks > max) {
        max = ticks;
    }
    if (ticks < min) {
        min = ticks;
    }
}

inline void update_stat(spdk_bdev_channel *ch, const spdk_bdev_io *io) {
    const uint64_t ticks = spdk_get_ticks() - io->internal.submit_tsc;
    const uint64_t bytes = io->u.bdev.num_blocks * io->bdev->blocklen;
    spdk_bdev_io_stat &s = ch->stat;
    switch (io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
            s.bytes_read += bytes;
            s.num_read_ops++;
            account(ticks, s.read_latency_ticks, s.max_read_latency_ticks,
                    s.min_read_latency_ticks);
            break;
        case SPDK_BDEV_IO_TYPE_WRITE:
            s.bytes_written += bytes;
            s.num_write_ops++;
            account(ticks, s.write_latency_ticks, s.max_write_latency_ticks,
                    s.min_write_latency_ticks);
            break;
        case SPDK_BDEV_IO_TYPE_UNMAP:
            s.bytes_unmapped += bytes;
            s.num_unmap_ops++;
            account(ticks, s.unmap_latency_ticks, s.max_unmap_latency_ticks,
                    s.min_unmap_latency_ticks);
            break;
        case SPDK_BDEV_IO_TYPE_COPY:
            s.bytes_copied += bytes;
            s.num_copy_ops++;
            account(ticks, s.copy_latency_ticks, s.max_copy_latency_ticks,
                    s.min_copy_latency_ticks);
            break;
        default:
            break;
    }
}

// ---- completion ------------------------------------------------------------------

// Runs what follows a module's completion, outside of any submit call, on the
// submitting thread.
// A bounced read hands its data to the caller's buffers; either way the caller's
// buffers are the I/O's again.
void unbounce(spdk_bdev_io *io, bool success) {
    if (success && io->type == SPDK_BDEV_IO_TYPE_READ) {
        spdk_copy_buf_to_iovs(io->internal.bounce.iovs, io->internal.bounce.iovcnt,
                              io->internal.buf.ptr, io->internal.buf.len);
    }
    if (io->internal.bounce.iovs == &io->internal.bounce.iov) {
        io->iov = io->internal.bounce.iov;
        io->u.bdev.iovs = &io->iov;
    } else {
        io->u.bdev.iovs = io->internal.bounce.iovs;
    }
    io->u.bdev.iovcnt = io->internal.bounce.iovcnt;
    io->internal.bounce.active = 0;
}

// The user's part of a completion: statistics and the callback. The I/O is no
// longer outstanding.
void finish_io(spdk_bdev_io *io) {
    TAILQ_REMOVE(&io->internal.ch->io_submitted, io, internal.ch_link);
    const int8_t status = io->internal.status;
    if (spdk_unlikely(io->internal.bounce.active)) {
        unbounce(io, status == SPDK_BDEV_IO_STATUS_SUCCESS);
    }
    if (spdk_likely(status == SPDK_BDEV_IO_STATUS_SUCCESS)) {
        update_stat(io->internal.ch, io);
    }
    io->internal.cb(io, status == SPDK_BDEV_IO_STATUS_SUCCESS, io->internal.caller_ctx);
}

// The bdev layer's part of a module's completion, on the submitting thread (SPDK's
// spdk_bdev_io_complete): the I/O leaves the module, a NOMEM one is queued for a
// retry, and the NOMEM queue may go on before the user hears of io.
void complete_on_thread(spdk_bdev_io *io) {
    spdk_bdev_channel *ch = io->internal.ch;
    decrement_outstanding(ch);
    if (spdk_unlikely(handle_nomem(io))) {
        return;
    }
    if (spdk_likely(io->internal.in_submit_request)) {
        // The user's submit call has not returned yet.
        defer(ch->mgmt, io);
        return;
    }
    finish_io(io);
}

void complete_msg(void *ctx) {
    complete_on_thread(static_cast<spdk_bdev_io *>(ctx));
}

void drain(MgmtChannel *m) {
    m->drain_pending = false;
    // Only this batch: completions deferred by the callbacks below form the next
    // one, so that other messages of the thread are not starved.
    STAILQ_HEAD(, spdk_bdev_io) batch = STAILQ_HEAD_INITIALIZER(batch);
    STAILQ_CONCAT(&batch, &m->deferred);
    while (!STAILQ_EMPTY(&batch)) {
        spdk_bdev_io *io = STAILQ_FIRST(&batch);
        STAILQ_REMOVE_HEAD(&batch, internal.link);
        finish_io(io);
    }
}

// ---- submission helpers ----------------------------------------------------------

inline bool valid_blocks(const spdk_bdev *bdev, uint64_t offset_blocks, uint64_t num_blocks) {
    const uint64_t end = offset_blocks + num_blocks;
    return end >= offset_blocks && end <= bdev->blockcnt;
}

// Non-zero when the byte offset or length is not a whole number of blocks.
inline uint64_t bytes_to_blocks(const spdk_bdev *bdev, uint64_t offset, uint64_t nbytes,
                                uint64_t *offset_blocks, uint64_t *num_blocks) {
    const uint32_t block_size = bdev->blocklen;
    if (spdk_likely(spdk_u32_is_pow2(block_size))) {
        const auto shift = static_cast<uint32_t>(__builtin_ctz(block_size));
        *offset_blocks = offset >> shift;
        *num_blocks = nbytes >> shift;
        return (offset | nbytes) & (block_size - 1);
    }
    *offset_blocks = offset / block_size;
    *num_blocks = nbytes / block_size;
    return (offset % block_size) | (nbytes % block_size);
}

// Takes and fills an spdk_bdev_io; nullptr when none is free on this thread.
inline spdk_bdev_io *new_io(spdk_bdev_desc *desc, spdk_io_channel *io_ch, uint8_t type,
                            uint64_t offset_blocks, uint64_t num_blocks,
                            spdk_bdev_io_completion_cb cb, void *cb_arg) {
    spdk_bdev_channel *ch = bdev_channel(io_ch);
    spdk_bdev_io *io = get_io(ch->mgmt);
    if (spdk_unlikely(io == nullptr)) {
        return nullptr;
    }
    // Outstanding from here until finish_io (or the end of a write zeroes in pieces),
    // whatever happens in between: the module, the NOMEM queue, a deferred completion.
    TAILQ_INSERT_TAIL(&ch->io_submitted, io, internal.ch_link);
    spdk_bdev *bdev = desc->bdev;
    io->bdev = bdev;
    io->type = type;
    io->num_retries = 0;
    io->internal.ch = ch;
    io->internal.desc = desc;
    io->internal.cb = cb;
    io->internal.caller_ctx = cb_arg;
    io->internal.status = SPDK_BDEV_IO_STATUS_PENDING;
    io->internal.in_submit_request = 0;
    io->internal.has_buf = 0;
    io->internal.bounce.active = 0;
    io->internal.submit_tsc = spdk_get_ticks();
    io->u.bdev.offset_blocks = offset_blocks;
    io->u.bdev.num_blocks = num_blocks;
    io->u.bdev.md_buf = nullptr;
    io->u.bdev.memory_domain = nullptr;
    io->u.bdev.memory_domain_ctx = nullptr;
    io->u.bdev.accel_sequence = nullptr;
    io->u.bdev.fused_iovs = nullptr;
    io->u.bdev.fused_iovcnt = 0;
    io->u.bdev.dif_check_flags = bdev->dif_check_flags;
    return io;
}

inline void set_single_buf(spdk_bdev_io *io, void *buf) {
    io->iov.iov_base = buf;
    io->iov.iov_len = io->u.bdev.num_blocks * io->bdev->blocklen;
    io->u.bdev.iovs = &io->iov;
    io->u.bdev.iovcnt = 1;
}

// Completes io successfully without the module (e.g. an empty unmap).
inline void complete_here(spdk_bdev_io *io) {
    // As if the module had completed it inside submit_request.
    io->internal.in_submit_request = 1;
    increment_outstanding(io->internal.ch);
    spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
    io->internal.in_submit_request = 0;
}

int check_md(spdk_bdev_desc *desc, void *md) {
    if (md != nullptr && !spdk_bdev_is_md_separate(desc->bdev)) {
        return -EINVAL;
    }
    return 0;
}

int check_ext_opts(const spdk_bdev_ext_io_opts *opts) {
    if (opts == nullptr) {
        return 0;
    }
    if (opts->size == 0 || opts->size > sizeof(*opts)) {
        SPDK_ERRLOG("spdk_bdev_ext_io_opts: bad size %zu\n", opts->size);
        return -EINVAL;
    }
    if (opts->size > offsetof(spdk_bdev_ext_io_opts, memory_domain) &&
        opts->memory_domain != nullptr) {
        SPDK_ERRLOG("memory domains are not supported by the embedded runtime\n");
        return -EINVAL;
    }
    if (opts->size > offsetof(spdk_bdev_ext_io_opts, accel_sequence) &&
        opts->accel_sequence != nullptr) {
        SPDK_ERRLOG("accel sequences are not supported by the embedded runtime\n");
        return -EINVAL;
    }
    return 0;
}

void *ext_md(const spdk_bdev_ext_io_opts *opts) {
    if (opts == nullptr || opts->size <= offsetof(spdk_bdev_ext_io_opts, metadata)) {
        return nullptr;
    }
    return opts->metadata;
}

// Reads (Type READ) or writes (Type WRITE) num_blocks at offset_blocks from or to iov
// (iovcnt vectors) or, without iov, buf; md is the separate metadata or NULL.
template <spdk_bdev_io_type Type>
inline int rw_blocks(spdk_bdev_desc *desc, spdk_io_channel *ch, iovec *iov, int iovcnt, void *buf,
                     void *md, uint64_t offset_blocks, uint64_t num_blocks,
                     spdk_bdev_io_completion_cb cb, void *cb_arg) {
    static_assert(Type == SPDK_BDEV_IO_TYPE_READ || Type == SPDK_BDEV_IO_TYPE_WRITE);
    if constexpr (Type == SPDK_BDEV_IO_TYPE_WRITE) {
        if (spdk_unlikely(!desc->write)) {
            return -EBADF;
        }
    }
    if (spdk_unlikely(!valid_blocks(desc->bdev, offset_blocks, num_blocks))) {
        return -EINVAL;
    }
    spdk_bdev_io *io = new_io(desc, ch, Type, offset_blocks, num_blocks, cb, cb_arg);
    if (spdk_unlikely(io == nullptr)) {
        return -ENOMEM;
    }
    if (iov == nullptr) {
        set_single_buf(io, buf);
    } else {
        io->u.bdev.iovs = iov;
        io->u.bdev.iovcnt = iovcnt;
    }
    io->u.bdev.md_buf = md;
    submit(io);
    return 0;
}

// rw_blocks for a request in bytes (whole blocks, else -EINVAL).
template <spdk_bdev_io_type Type>
inline int rw_bytes(spdk_bdev_desc *desc, spdk_io_channel *ch, iovec *iov, int iovcnt, void *buf,
                    uint64_t offset, uint64_t nbytes, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    uint64_t offset_blocks = 0;
    uint64_t num_blocks = 0;
    if (bytes_to_blocks(desc->bdev, offset, nbytes, &offset_blocks, &num_blocks) != 0) {
        return -EINVAL;
    }
    return rw_blocks<Type>(desc, ch, iov, iovcnt, buf, nullptr, offset_blocks, num_blocks, cb,
                           cb_arg);
}

// rw_blocks with separate metadata (-EINVAL when the bdev has none).
template <spdk_bdev_io_type Type>
inline int rw_blocks_with_md(spdk_bdev_desc *desc, spdk_io_channel *ch, iovec *iov, int iovcnt,
                             void *buf, void *md, uint64_t offset_blocks, uint64_t num_blocks,
                             spdk_bdev_io_completion_cb cb, void *cb_arg) {
    if (check_md(desc, md) != 0) {
        return -EINVAL;
    }
    return rw_blocks<Type>(desc, ch, iov, iovcnt, buf, md, offset_blocks, num_blocks, cb, cb_arg);
}

// rw_blocks with the extended options (metadata only; no memory domains or accel
// sequences).
template <spdk_bdev_io_type Type>
inline int rw_blocks_ext(spdk_bdev_desc *desc, spdk_io_channel *ch, iovec *iov, int iovcnt,
                         uint64_t offset_blocks, uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                         void *cb_arg, spdk_bdev_ext_io_opts *opts) {
    if (check_ext_opts(opts) != 0) {
        return -EINVAL;
    }
    return rw_blocks_with_md<Type>(desc, ch, iov, iovcnt, nullptr, ext_md(opts), offset_blocks,
                                   num_blocks, cb, cb_arg);
}

int comparev_blocks(spdk_bdev_desc *desc, spdk_io_channel *ch, iovec *iov, int iovcnt, void *buf,
                    uint64_t offset_blocks, uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                    void *cb_arg) {
    if (!valid_blocks(desc->bdev, offset_blocks, num_blocks)) {
        return -EINVAL;
    }
    if (!spdk_bdev_io_type_supported(desc->bdev, SPDK_BDEV_IO_TYPE_COMPARE)) {
        return -ENOTSUP;
    }
    spdk_bdev_io *io =
        new_io(desc, ch, SPDK_BDEV_IO_TYPE_COMPARE, offset_blocks, num_blocks, cb, cb_arg);
    if (io == nullptr) {
        return -ENOMEM;
    }
    if (iov == nullptr) {
        set_single_buf(io, buf);
    } else {
        io->u.bdev.iovs = iov;
        io->u.bdev.iovcnt = iovcnt;
    }
    submit(io);
    return 0;
}

// ---- write zeroes in pieces -------------------------------------------------------

// A write zeroes the bdev layer carries out itself, as SPDK does: on a bdev without
// WRITE_ZEROES, as writes of the zero buffer (max_write_zeroes blocks at most each);
// on one with it, as write zeroes of at most max_write_zeroes blocks. The pieces are
// I/O of their own (counted in the statistics as what they are), issued up to
// kMaxWriteZeroesChildren at a time; the parent itself never reaches the module and
// its callback runs when the last piece is done.

void write_zeroes_pieces(void *ctx);

void write_zeroes_parent_done(spdk_bdev_io *parent) {
    TAILQ_REMOVE(&parent->internal.ch->io_submitted, parent, internal.ch_link);
    if (parent->internal.status == SPDK_BDEV_IO_STATUS_PENDING) {
        parent->internal.status = SPDK_BDEV_IO_STATUS_SUCCESS;
    }
    parent->internal.cb(parent, parent->internal.status == SPDK_BDEV_IO_STATUS_SUCCESS,
                        parent->internal.caller_ctx);
}

void write_zeroes_piece_done(spdk_bdev_io *piece, bool success, void *cb_arg) {
    auto *parent = static_cast<spdk_bdev_io *>(cb_arg);
    spdk_bdev_free_io(piece);
    if (!success) {
        parent->internal.status = SPDK_BDEV_IO_STATUS_FAILED;
    }
    if (--parent->internal.split.outstanding != 0) {
        return;
    }
    if (parent->internal.status == SPDK_BDEV_IO_STATUS_FAILED ||
        parent->internal.split.remaining_num_blocks == 0) {
        write_zeroes_parent_done(parent);
        return;
    }
    write_zeroes_pieces(parent);
}

void write_zeroes_pieces(void *ctx) {
    auto *parent = static_cast<spdk_bdev_io *>(ctx);
    spdk_bdev *bdev = parent->bdev;
    spdk_bdev_desc *desc = parent->internal.desc;
    spdk_io_channel *io_ch = spdk_io_channel_from_ctx(parent->internal.ch);
    const bool native =
        bdev->fn_table->io_type_supported(bdev->ctxt, SPDK_BDEV_IO_TYPE_WRITE_ZEROES);
    uint32_t issued = 0;
    // One piece at least: an empty write zeroes is an empty write.
    do {
        auto &split = parent->internal.split;
        const uint64_t blocks =
            std::min<uint64_t>(split.remaining_num_blocks, bdev->max_write_zeroes);
        split.outstanding++;
        int rc;
        if (native) {
            rc = spdk_bdev_write_zeroes_blocks(desc, io_ch, split.current_offset_blocks, blocks,
                                               write_zeroes_piece_done, parent);
        } else {
            void *zeroes = manager().zero_buffer;
            void *md = spdk_bdev_is_md_separate(bdev)
                           ? static_cast<uint8_t *>(zeroes) + blocks * bdev->blocklen
                           : nullptr;
            rc = rw_blocks<SPDK_BDEV_IO_TYPE_WRITE>(desc, io_ch, nullptr, 1, zeroes, md,
                                                    split.current_offset_blocks, blocks,
                                                    write_zeroes_piece_done, parent);
        }
        if (spdk_unlikely(rc != 0)) {
            split.outstanding--;
            if (rc == -ENOMEM) {
                if (split.outstanding == 0) {
                    // Nothing of ours will complete: go on when an spdk_bdev_io is free.
                    parent->internal.waitq_entry.bdev = bdev;
                    parent->internal.waitq_entry.cb_fn = write_zeroes_pieces;
                    parent->internal.waitq_entry.cb_arg = parent;
                    parent->internal.waitq_entry.dep_unblock = false;
                    if (spdk_bdev_queue_io_wait(bdev, io_ch, &parent->internal.waitq_entry) != 0) {
                        parent->internal.status = SPDK_BDEV_IO_STATUS_FAILED;
                        write_zeroes_parent_done(parent);
                    }
                }
            } else {
                parent->internal.status = SPDK_BDEV_IO_STATUS_FAILED;
                if (split.outstanding == 0) {
                    write_zeroes_parent_done(parent);
                }
            }
            return;
        }
        split.current_offset_blocks += blocks;
        split.remaining_num_blocks -= blocks;
        ++issued;
    } while (parent->internal.split.remaining_num_blocks > 0 && issued < kMaxWriteZeroesChildren);
}

// ---- data buffers for spdk_bdev_io_get_buf --------------------------------------------

constexpr size_t kSmallBufSize = SPDK_BDEV_SMALL_BUF_MAX_SIZE;
constexpr size_t kLargeBufSize = SPDK_BDEV_LARGE_BUF_MAX_SIZE;
constexpr size_t kBufAlign = 4096;

void *take_buf(MgmtChannel *m, size_t len) {
    const bool small = len <= kSmallBufSize;
    void **list = small ? &m->small_bufs : &m->large_bufs;
    if (*list != nullptr) {
        void *buf = *list;
        *list = *static_cast<void **>(buf);
        return buf;
    }
    uint32_t &allocated = small ? m->small_allocated : m->large_allocated;
    const uint32_t cap = small ? kSmallBufsPerThread : kLargeBufsPerThread;
    if (allocated >= cap) {
        return nullptr;
    }
    void *buf = spdk_dma_malloc(small ? kSmallBufSize : kLargeBufSize, kBufAlign, nullptr);
    if (buf != nullptr) {
        allocated++;
    }
    return buf;
}

void give_buf(spdk_bdev_io *io, void *buf, uint64_t len) {
    io->internal.has_buf = 1;
    io->internal.buf.ptr = buf;
    if (io->internal.bounce.active && io->type == SPDK_BDEV_IO_TYPE_WRITE) {
        spdk_copy_iovs_to_buf(buf, len, io->internal.bounce.iovs, io->internal.bounce.iovcnt);
    }
    io->iov.iov_base = buf;
    io->iov.iov_len = len;
    io->u.bdev.iovs = &io->iov;
    io->u.bdev.iovcnt = 1;
    io->internal.get_buf_cb(io->internal.ch->module_ch, io, true);
}

void put_buf(MgmtChannel *m, spdk_bdev_io *io) {
    void *buf = io->internal.buf.ptr;
    void **list = io->internal.buf.len <= kSmallBufSize ? &m->small_bufs : &m->large_bufs;
    *static_cast<void **>(buf) = *list;
    *list = buf;
    io->internal.has_buf = 0;
    io->internal.buf.ptr = nullptr;
    // Serve waiters in order, as long as buffers can be found.
    while (!STAILQ_EMPTY(&m->buf_waiters)) {
        spdk_bdev_io *waiter = STAILQ_FIRST(&m->buf_waiters);
        void *next = take_buf(m, waiter->internal.buf.len);
        if (next == nullptr) {
            break;
        }
        STAILQ_REMOVE_HEAD(&m->buf_waiters, internal.link);
        give_buf(waiter, next, waiter->internal.buf.len);
    }
}

void free_buf_list(void *list) {
    while (list != nullptr) {
        void *next = *static_cast<void **>(list);
        spdk_dma_free(list);
        list = next;
    }
}

void add_stat(spdk_bdev_io_stat *total, const spdk_bdev_io_stat *add) {
    spdk_bdev_add_io_stat(total, const_cast<spdk_bdev_io_stat *>(add));
}

// spdk_bdev_get_device_stat: one walk over the bdev's channels.
struct DeviceStatWalk {
    spdk_bdev *bdev;
    spdk_bdev_io_stat *stat;
    spdk_bdev_reset_stat_mode mode;
    spdk_bdev_get_device_stat_cb cb;
    void *cb_arg;
};

void device_stat_channel(spdk_io_channel_iter *i) {
    auto *walk = static_cast<DeviceStatWalk *>(spdk_io_channel_iter_get_ctx(i));
    spdk_bdev_channel *ch = bdev_channel(spdk_io_channel_iter_get_channel(i));
    add_stat(walk->stat, &ch->stat);
    spdk_bdev_reset_io_stat(&ch->stat, walk->mode);
    spdk_for_each_channel_continue(i, 0);
}

void device_stat_done(spdk_io_channel_iter *i, int status) {
    auto *walk = static_cast<DeviceStatWalk *>(spdk_io_channel_iter_get_ctx(i));
    walk->cb(walk->bdev, walk->stat, walk->cb_arg, status);
    delete walk;
}

}  // namespace

// ---- pool and channels (bdev_internal.hpp) -----------------------------------------

int pool_create(uint32_t pool_size, size_t ctx_size) {
    Manager &m = manager();
    std::lock_guard guard(m.pool_lock);
    const size_t io_size = SPDK_ALIGN_CEIL(sizeof(spdk_bdev_io) + ctx_size, SPDK_CACHE_LINE_SIZE);
    const size_t bytes = io_size * pool_size;
    // Reserved, not committed: pages are touched only as slots are first used.
    void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        return -ENOMEM;
    }
    m.pool_mem = static_cast<uint8_t *>(mem);
    m.pool_bytes = bytes;
    m.io_size = io_size;
    m.pool_size = pool_size;
    m.next_unused = 0;
    m.pool_free = pool_size;
    m.free_list = nullptr;
    return 0;
}

void pool_destroy() {
    Manager &m = manager();
    std::lock_guard guard(m.pool_lock);
    if (m.pool_mem == nullptr) {
        return;
    }
    if (m.pool_free != m.pool_size) {
        SPDK_ERRLOG("%" PRIu32 " spdk_bdev_io were not returned to the pool\n",
                    m.pool_size - m.pool_free);
    }
    munmap(m.pool_mem, m.pool_bytes);
    m.pool_mem = nullptr;
    m.pool_bytes = 0;
    m.pool_size = 0;
    m.pool_free = 0;
    m.next_unused = 0;
    m.free_list = nullptr;
}

void stat_init(spdk_bdev_io_stat *stat) {
    std::memset(stat, 0, sizeof(*stat));
    stat->min_read_latency_ticks = UINT64_MAX;
    stat->min_write_latency_ticks = UINT64_MAX;
    stat->min_unmap_latency_ticks = UINT64_MAX;
    stat->min_copy_latency_ticks = UINT64_MAX;
    stat->ticks_rate = spdk_get_ticks_hz();
}

int mgmt_channel_create(void * /*io_device*/, void *ctx_buf) {
    auto *m = static_cast<MgmtChannel *>(ctx_buf);
    std::memset(m, 0, sizeof(*m));
    m->thread = spdk_get_thread();
    TAILQ_INIT(&m->io_wait_queue);
    STAILQ_INIT(&m->deferred);
    TAILQ_INIT(&m->shared_resources);
    STAILQ_INIT(&m->buf_waiters);
    // The cache is filled up front, so that no thread can be starved by others.
    m->cache_size = manager().opts.bdev_io_cache_size;
    for (uint32_t i = 0; i < m->cache_size; ++i) {
        spdk_bdev_io *io = pool_get();
        if (io == nullptr) {
            SPDK_ERRLOG(
                "the spdk_bdev_io pool cannot fill the cache of thread %s: raise "
                "bdev_io_pool_size\n",
                spdk_thread_get_name(m->thread));
            mgmt_channel_destroy(nullptr, m);
            return -ENOMEM;
        }
        STAILQ_NEXT(io, internal.buf_link) = m->cache_head;
        m->cache_head = io;
        m->cache_count++;
    }
    return 0;
}

void mgmt_channel_destroy(void * /*io_device*/, void *ctx_buf) {
    auto *m = static_cast<MgmtChannel *>(ctx_buf);
    if (!STAILQ_EMPTY(&m->deferred) || !TAILQ_EMPTY(&m->shared_resources) ||
        !TAILQ_EMPTY(&m->io_wait_queue) || !STAILQ_EMPTY(&m->buf_waiters)) {
        SPDK_ERRLOG("bdev management channel of thread %s destroyed with work pending\n",
                    spdk_thread_get_name(m->thread));
    }
    spdk_poller_unregister(&m->backup_poller);
    while (m->cache_head != nullptr) {
        spdk_bdev_io *io = m->cache_head;
        m->cache_head = STAILQ_NEXT(io, internal.buf_link);
        pool_put(io);
    }
    m->cache_count = 0;
    free_buf_list(m->small_bufs);
    free_buf_list(m->large_bufs);
    m->small_bufs = nullptr;
    m->large_bufs = nullptr;
}

int bdev_channel_create(void *io_device, void *ctx_buf) {
    spdk_bdev *bdev = bdev_from_io_dev(io_device);
    auto *ch = static_cast<spdk_bdev_channel *>(ctx_buf);
    std::memset(ch, 0, sizeof(*ch));
    ch->bdev = bdev;
    TAILQ_INIT(&ch->io_submitted);
    stat_init(&ch->stat);
    ch->mgmt_io_ch = spdk_get_io_channel(mgmt_io_device());
    if (ch->mgmt_io_ch == nullptr) {
        SPDK_ERRLOG("no bdev management channel (is the bdev layer started?)\n");
        return -ENOMEM;
    }
    ch->mgmt = static_cast<MgmtChannel *>(spdk_io_channel_get_ctx(ch->mgmt_io_ch));
    ch->module_ch = bdev->fn_table->get_io_channel(bdev->ctxt);
    if (ch->module_ch == nullptr) {
        SPDK_ERRLOG("module %s gave no channel for bdev %s\n", bdev->module->name, bdev->name);
        spdk_put_io_channel(ch->mgmt_io_ch);
        return -ENOMEM;
    }
    // Channels of this thread with the same module channel share one SharedResource.
    SharedResource *shared = nullptr;
    TAILQ_FOREACH(shared, &ch->mgmt->shared_resources, link) {
        if (shared->module_ch == ch->module_ch) {
            break;
        }
    }
    if (shared == nullptr) {
        shared = new (std::nothrow) SharedResource{};
        if (shared == nullptr) {
            spdk_put_io_channel(ch->module_ch);
            spdk_put_io_channel(ch->mgmt_io_ch);
            return -ENOMEM;
        }
        shared->mgmt = ch->mgmt;
        shared->module_ch = ch->module_ch;
        STAILQ_INIT(&shared->nomem_io);
        TAILQ_INSERT_TAIL(&ch->mgmt->shared_resources, shared, link);
    }
    shared->ref++;
    ch->shared = shared;
    {
        std::lock_guard guard(manager().lock);
        bdev->internal.open_channels++;
    }
    return 0;
}

void bdev_channel_destroy(void *io_device, void *ctx_buf) {
    spdk_bdev *bdev = bdev_from_io_dev(io_device);
    auto *ch = static_cast<spdk_bdev_channel *>(ctx_buf);
    if (ch->io_outstanding != 0) {
        SPDK_ERRLOG("channel of bdev %s destroyed with %" PRIu64 " I/O outstanding\n", bdev->name,
                    ch->io_outstanding);
    }
    {
        // The channel's counts live on in the bdev's totals.
        std::lock_guard guard(manager().lock);
        if (bdev->internal.stat != nullptr) {
            add_stat(bdev->internal.stat, &ch->stat);
        }
        bdev->internal.open_channels--;
    }
    SharedResource *shared = ch->shared;
    if (--shared->ref == 0) {
        if (!STAILQ_EMPTY(&shared->nomem_io)) {
            SPDK_ERRLOG("channel of bdev %s destroyed with I/O waiting for the module\n",
                        bdev->name);
        }
        TAILQ_REMOVE(&ch->mgmt->shared_resources, shared, link);
        spdk_poller_unregister(&shared->nomem_poller);
        delete shared;
    }
    spdk_put_io_channel(ch->module_ch);
    spdk_put_io_channel(ch->mgmt_io_ch);
}

void abort_nomem_io(spdk_bdev_channel *ch) {
    SharedResource *shared = ch->shared;
    shared->nomem_abort_in_progress = true;
    STAILQ_HEAD(, spdk_bdev_io) queue = STAILQ_HEAD_INITIALIZER(queue);
    STAILQ_CONCAT(&queue, &shared->nomem_io);
    while (!STAILQ_EMPTY(&queue)) {
        spdk_bdev_io *io = STAILQ_FIRST(&queue);
        STAILQ_REMOVE_HEAD(&queue, internal.link);
        if (io->internal.ch != ch) {
            STAILQ_INSERT_TAIL(&shared->nomem_io, io, internal.link);
            continue;
        }
        // Never in the module: counted in, so that completing counts it out.
        increment_outstanding(ch);
        io->internal.in_submit_request = 1;
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_ABORTED);
        io->internal.in_submit_request = 0;
    }
    shared->nomem_abort_in_progress = false;
}

bool is_write_zeroes_piece(const spdk_bdev_io *io) {
    return io->internal.cb == write_zeroes_piece_done;
}

uint32_t emulated_max_write_zeroes(const spdk_bdev *bdev) {
    // As SPDK: whole blocks (with their separate metadata) of the zero buffer past
    // the bdev's buffer alignment, in whole write units, and within the bdev's write
    // boundary.
    const uint64_t block_size =
        spdk_bdev_is_md_interleaved(bdev) ? bdev->blocklen : bdev->blocklen + bdev->md_len;
    uint64_t blocks = (kZeroBufferSize - (spdk_bdev_get_buf_align(bdev) - 1)) / block_size;
    const uint32_t write_unit = bdev->write_unit_size != 0 ? bdev->write_unit_size : 1;
    blocks -= blocks % write_unit;
    uint32_t boundary = 0;
    if (bdev->split_on_write_unit) {
        boundary = bdev->write_unit_size;
    } else if (bdev->split_on_optimal_io_boundary) {
        boundary = bdev->optimal_io_boundary;
    }
    const auto max = static_cast<uint32_t>(std::min<uint64_t>(boundary, blocks));
    return max != 0 ? max : static_cast<uint32_t>(blocks);
}

}  // namespace spdk_embedded::bdev

using namespace spdk_embedded::bdev;

extern "C" {

// ---- reads and writes ------------------------------------------------------------

constexpr spdk_bdev_io_type kRead = SPDK_BDEV_IO_TYPE_READ;
constexpr spdk_bdev_io_type kWrite = SPDK_BDEV_IO_TYPE_WRITE;

int spdk_bdev_read(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                   uint64_t offset, uint64_t nbytes, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_bytes<kRead>(desc, ch, nullptr, 1, buf, offset, nbytes, cb, cb_arg);
}

int spdk_bdev_read_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                          uint64_t offset_blocks, uint64_t num_blocks,
                          spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_blocks<kRead>(desc, ch, nullptr, 1, buf, nullptr, offset_blocks, num_blocks, cb,
                            cb_arg);
}

int spdk_bdev_read_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                  void *buf, void *md, uint64_t offset_blocks, uint64_t num_blocks,
                                  spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_blocks_with_md<kRead>(desc, ch, nullptr, 1, buf, md, offset_blocks, num_blocks, cb,
                                    cb_arg);
}

int spdk_bdev_readv(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, struct iovec *iov,
                    int iovcnt, uint64_t offset, uint64_t nbytes, spdk_bdev_io_completion_cb cb,
                    void *cb_arg) {
    return rw_bytes<kRead>(desc, ch, iov, iovcnt, nullptr, offset, nbytes, cb, cb_arg);
}

int spdk_bdev_readv_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                           struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                           uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_blocks<kRead>(desc, ch, iov, iovcnt, nullptr, nullptr, offset_blocks, num_blocks, cb,
                            cb_arg);
}

int spdk_bdev_readv_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                   struct iovec *iov, int iovcnt, void *md, uint64_t offset_blocks,
                                   uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                                   void *cb_arg) {
    return rw_blocks_with_md<kRead>(desc, ch, iov, iovcnt, nullptr, md, offset_blocks, num_blocks,
                                    cb, cb_arg);
}

int spdk_bdev_readv_blocks_ext(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                               struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                               uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg,
                               struct spdk_bdev_ext_io_opts *opts) {
    return rw_blocks_ext<kRead>(desc, ch, iov, iovcnt, offset_blocks, num_blocks, cb, cb_arg, opts);
}

int spdk_bdev_write(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                    uint64_t offset, uint64_t nbytes, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_bytes<kWrite>(desc, ch, nullptr, 1, buf, offset, nbytes, cb, cb_arg);
}

int spdk_bdev_write_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                           uint64_t offset_blocks, uint64_t num_blocks,
                           spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_blocks<kWrite>(desc, ch, nullptr, 1, buf, nullptr, offset_blocks, num_blocks, cb,
                             cb_arg);
}

int spdk_bdev_write_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                   void *buf, void *md, uint64_t offset_blocks, uint64_t num_blocks,
                                   spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_blocks_with_md<kWrite>(desc, ch, nullptr, 1, buf, md, offset_blocks, num_blocks, cb,
                                     cb_arg);
}

int spdk_bdev_writev(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, struct iovec *iov,
                     int iovcnt, uint64_t offset, uint64_t len, spdk_bdev_io_completion_cb cb,
                     void *cb_arg) {
    return rw_bytes<kWrite>(desc, ch, iov, iovcnt, nullptr, offset, len, cb, cb_arg);
}

int spdk_bdev_writev_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                            struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                            uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return rw_blocks<kWrite>(desc, ch, iov, iovcnt, nullptr, nullptr, offset_blocks, num_blocks, cb,
                             cb_arg);
}

int spdk_bdev_writev_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                    struct iovec *iov, int iovcnt, void *md, uint64_t offset_blocks,
                                    uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                                    void *cb_arg) {
    return rw_blocks_with_md<kWrite>(desc, ch, iov, iovcnt, nullptr, md, offset_blocks, num_blocks,
                                     cb, cb_arg);
}

int spdk_bdev_writev_blocks_ext(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                                uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg,
                                struct spdk_bdev_ext_io_opts *opts) {
    return rw_blocks_ext<kWrite>(desc, ch, iov, iovcnt, offset_blocks, num_blocks, cb, cb_arg,
                                 opts);
}

// ---- other request types ---------------------------------------------------------

int spdk_bdev_compare_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                             uint64_t offset_blocks, uint64_t num_blocks,
                             spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return comparev_blocks(desc, ch, nullptr, 1, buf, offset_blocks, num_blocks, cb, cb_arg);
}

int spdk_bdev_comparev_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                              struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                              uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    return comparev_blocks(desc, ch, iov, iovcnt, nullptr, offset_blocks, num_blocks, cb, cb_arg);
}

int spdk_bdev_zcopy_start(struct spdk_bdev_desc *desc, struct spdk_io_channel * /*ch*/,
                          struct iovec * /*iov*/, int /*iovcnt*/, uint64_t offset_blocks,
                          uint64_t num_blocks, bool /*populate*/, spdk_bdev_io_completion_cb /*cb*/,
                          void * /*cb_arg*/) {
    if (!desc->write) {
        return -EBADF;
    }
    if (!valid_blocks(desc->bdev, offset_blocks, num_blocks)) {
        return -EINVAL;
    }
    return -ENOTSUP;
}

int spdk_bdev_zcopy_end(struct spdk_bdev_io * /*bdev_io*/, bool /*commit*/,
                        spdk_bdev_io_completion_cb /*cb*/, void * /*cb_arg*/) {
    return -ENOTSUP;
}

int spdk_bdev_write_zeroes(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, uint64_t offset,
                           uint64_t len, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    uint64_t offset_blocks = 0;
    uint64_t num_blocks = 0;
    if (bytes_to_blocks(desc->bdev, offset, len, &offset_blocks, &num_blocks) != 0) {
        return -EINVAL;
    }
    return spdk_bdev_write_zeroes_blocks(desc, ch, offset_blocks, num_blocks, cb, cb_arg);
}

int spdk_bdev_write_zeroes_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                  uint64_t offset_blocks, uint64_t num_blocks,
                                  spdk_bdev_io_completion_cb cb, void *cb_arg) {
    spdk_bdev *bdev = desc->bdev;
    if (!desc->write) {
        return -EBADF;
    }
    if (!valid_blocks(bdev, offset_blocks, num_blocks)) {
        return -EINVAL;
    }
    const bool native =
        bdev->fn_table->io_type_supported(bdev->ctxt, SPDK_BDEV_IO_TYPE_WRITE_ZEROES);
    if (!native && (!bdev->fn_table->io_type_supported(bdev->ctxt, SPDK_BDEV_IO_TYPE_WRITE) ||
                    bdev->max_write_zeroes == 0)) {
        // No zero buffer holds one of its blocks either (SPDK asserts it does).
        return -ENOTSUP;
    }
    spdk_bdev_io *io =
        new_io(desc, ch, SPDK_BDEV_IO_TYPE_WRITE_ZEROES, offset_blocks, num_blocks, cb, cb_arg);
    if (io == nullptr) {
        return -ENOMEM;
    }
    io->u.bdev.iovs = nullptr;
    io->u.bdev.iovcnt = 0;
    if (native && (bdev->max_write_zeroes == 0 || num_blocks <= bdev->max_write_zeroes)) {
        submit(io);
        return 0;
    }
    io->internal.split.orig_offset_blocks = offset_blocks;
    io->internal.split.orig_num_blocks = num_blocks;
    io->internal.split.current_offset_blocks = offset_blocks;
    io->internal.split.remaining_num_blocks = num_blocks;
    io->internal.split.outstanding = 0;
    write_zeroes_pieces(io);
    return 0;
}

int spdk_bdev_unmap(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, uint64_t offset,
                    uint64_t nbytes, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    uint64_t offset_blocks = 0;
    uint64_t num_blocks = 0;
    if (bytes_to_blocks(desc->bdev, offset, nbytes, &offset_blocks, &num_blocks) != 0) {
        return -EINVAL;
    }
    return spdk_bdev_unmap_blocks(desc, ch, offset_blocks, num_blocks, cb, cb_arg);
}

int spdk_bdev_unmap_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                           uint64_t offset_blocks, uint64_t num_blocks,
                           spdk_bdev_io_completion_cb cb, void *cb_arg) {
    if (!desc->write) {
        return -EBADF;
    }
    if (!valid_blocks(desc->bdev, offset_blocks, num_blocks)) {
        return -EINVAL;
    }
    spdk_bdev_io *io =
        new_io(desc, ch, SPDK_BDEV_IO_TYPE_UNMAP, offset_blocks, num_blocks, cb, cb_arg);
    if (io == nullptr) {
        return -ENOMEM;
    }
    io->iov.iov_base = nullptr;
    io->iov.iov_len = 0;
    io->u.bdev.iovs = &io->iov;
    io->u.bdev.iovcnt = 1;
    if (num_blocks == 0) {
        complete_here(io);
        return 0;
    }
    submit(io);
    return 0;
}

int spdk_bdev_flush(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, uint64_t offset,
                    uint64_t length, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    uint64_t offset_blocks = 0;
    uint64_t num_blocks = 0;
    if (bytes_to_blocks(desc->bdev, offset, length, &offset_blocks, &num_blocks) != 0) {
        return -EINVAL;
    }
    return spdk_bdev_flush_blocks(desc, ch, offset_blocks, num_blocks, cb, cb_arg);
}

int spdk_bdev_flush_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                           uint64_t offset_blocks, uint64_t num_blocks,
                           spdk_bdev_io_completion_cb cb, void *cb_arg) {
    if (!desc->write) {
        return -EBADF;
    }
    if (!spdk_bdev_io_type_supported(desc->bdev, SPDK_BDEV_IO_TYPE_FLUSH)) {
        return -ENOTSUP;
    }
    if (!valid_blocks(desc->bdev, offset_blocks, num_blocks)) {
        return -EINVAL;
    }
    spdk_bdev_io *io =
        new_io(desc, ch, SPDK_BDEV_IO_TYPE_FLUSH, offset_blocks, num_blocks, cb, cb_arg);
    if (io == nullptr) {
        return -ENOMEM;
    }
    io->u.bdev.iovs = nullptr;
    io->u.bdev.iovcnt = 0;
    submit(io);
    return 0;
}

int spdk_bdev_reset(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                    spdk_bdev_io_completion_cb cb, void *cb_arg) {
    spdk_bdev_io *io = new_io(desc, ch, SPDK_BDEV_IO_TYPE_RESET, 0, 0, cb, cb_arg);
    if (io == nullptr) {
        return -ENOMEM;
    }
    io->u.reset.ch_ref = nullptr;
    io->u.reset.wait_poller.poller = nullptr;
    io->u.reset.wait_poller.stop_time_tsc = 0;
    submit(io);
    return 0;
}

int spdk_bdev_abort(struct spdk_bdev_desc * /*desc*/, struct spdk_io_channel * /*ch*/,
                    void * /*bio_cb_arg*/, spdk_bdev_io_completion_cb /*cb*/, void * /*cb_arg*/) {
    return -ENOTSUP;
}

int spdk_bdev_copy_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                          uint64_t dst_offset_blocks, uint64_t src_offset_blocks,
                          uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg) {
    spdk_bdev *bdev = desc->bdev;
    if (!desc->write) {
        return -EBADF;
    }
    if (!valid_blocks(bdev, dst_offset_blocks, num_blocks) ||
        !valid_blocks(bdev, src_offset_blocks, num_blocks)) {
        return -EINVAL;
    }
    if (!spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_COPY)) {
        return -ENOTSUP;
    }
    spdk_bdev_io *io =
        new_io(desc, ch, SPDK_BDEV_IO_TYPE_COPY, dst_offset_blocks, num_blocks, cb, cb_arg);
    if (io == nullptr) {
        return -ENOMEM;
    }
    io->u.bdev.iovs = nullptr;
    io->u.bdev.iovcnt = 0;
    io->u.bdev.copy.src_offset_blocks = src_offset_blocks;
    if (dst_offset_blocks == src_offset_blocks || num_blocks == 0) {
        complete_here(io);
        return 0;
    }
    submit(io);
    return 0;
}

// ---- completion and release ----------------------------------------------------------

void spdk_bdev_io_complete(struct spdk_bdev_io *bdev_io, enum spdk_bdev_io_status status) {
    if (spdk_unlikely(bdev_io->internal.status != SPDK_BDEV_IO_STATUS_PENDING)) {
        SPDK_ERRLOG("I/O of bdev %s completed twice by module %s\n", bdev_io->bdev->name,
                    bdev_io->bdev->module->name);
        return;
    }
    bdev_io->internal.status = static_cast<int8_t>(status);
    MgmtChannel *m = bdev_io->internal.ch->mgmt;
    if (spdk_unlikely(spdk_get_thread() != m->thread)) {
        // SPDK requires the submitting thread; the runtime takes the I/O there.
        if (!spdk_embedded::internal_send(m->thread, complete_msg, bdev_io)) {
            SPDK_ERRLOG("cannot return an I/O of bdev %s to its thread: it has exited\n",
                        bdev_io->bdev->name);
        }
        return;
    }
    complete_on_thread(bdev_io);
}

void spdk_bdev_free_io(struct spdk_bdev_io *bdev_io) {
    MgmtChannel *m = bdev_io->internal.ch->mgmt;
    if (spdk_unlikely(bdev_io->internal.has_buf)) {
        put_buf(m, bdev_io);
    }
    if (spdk_unlikely(m->cache_count >= m->cache_size)) {
        pool_put(bdev_io);
        return;
    }
    STAILQ_NEXT(bdev_io, internal.buf_link) = m->cache_head;
    m->cache_head = bdev_io;
    m->cache_count++;
    while (spdk_unlikely(!TAILQ_EMPTY(&m->io_wait_queue)) && m->cache_count > 0) {
        spdk_bdev_io_wait_entry *entry = TAILQ_FIRST(&m->io_wait_queue);
        TAILQ_REMOVE(&m->io_wait_queue, entry, link);
        entry->cb_fn(entry->cb_arg);
    }
}

int spdk_bdev_queue_io_wait(struct spdk_bdev *bdev, struct spdk_io_channel *ch,
                            struct spdk_bdev_io_wait_entry *entry) {
    MgmtChannel *m = bdev_channel(ch)->mgmt;
    if (bdev != entry->bdev) {
        SPDK_ERRLOG("spdk_bdev_queue_io_wait: the entry is for another bdev\n");
        return -EINVAL;
    }
    if (m->cache_count > 0) {
        SPDK_ERRLOG("spdk_bdev_queue_io_wait: an spdk_bdev_io is free on this thread\n");
        return -EINVAL;
    }
    if (entry->dep_unblock) {
        TAILQ_INSERT_HEAD(&m->io_wait_queue, entry, link);
    } else {
        TAILQ_INSERT_TAIL(&m->io_wait_queue, entry, link);
    }
    return 0;
}

// ---- status details --------------------------------------------------------------

enum spdk_bdev_io_status spdk_bdev_io_set_nvme_status(struct spdk_bdev_io *bdev_io, uint32_t cdw0,
                                                      int sct, int sc) {
    spdk_bdev_io_status status = SPDK_BDEV_IO_STATUS_NVME_ERROR;
    if (sct == SPDK_NVME_SCT_GENERIC && sc == SPDK_NVME_SC_SUCCESS) {
        status = SPDK_BDEV_IO_STATUS_SUCCESS;
    } else if (sct == SPDK_NVME_SCT_GENERIC && sc == SPDK_NVME_SC_ABORTED_BY_REQUEST) {
        status = SPDK_BDEV_IO_STATUS_ABORTED;
    }
    bdev_io->internal.error.nvme.cdw0 = cdw0;
    bdev_io->internal.error.nvme.sct = static_cast<uint8_t>(sct);
    bdev_io->internal.error.nvme.sc = static_cast<uint8_t>(sc);
    return status;
}

void spdk_bdev_io_complete_nvme_status(struct spdk_bdev_io *bdev_io, uint32_t cdw0, int sct,
                                       int sc) {
    spdk_bdev_io_complete(bdev_io, spdk_bdev_io_set_nvme_status(bdev_io, cdw0, sct, sc));
}

enum spdk_bdev_io_status spdk_bdev_io_set_aio_status(struct spdk_bdev_io *bdev_io, int aio_result) {
    bdev_io->internal.error.aio_result = aio_result;
    return aio_result == 0 ? SPDK_BDEV_IO_STATUS_SUCCESS : SPDK_BDEV_IO_STATUS_AIO_ERROR;
}

void spdk_bdev_io_complete_aio_status(struct spdk_bdev_io *bdev_io, int aio_result) {
    spdk_bdev_io_complete(bdev_io, spdk_bdev_io_set_aio_status(bdev_io, aio_result));
}

enum spdk_bdev_io_status spdk_bdev_io_set_base_io_status(struct spdk_bdev_io *bdev_io,
                                                         const struct spdk_bdev_io *base_io) {
    switch (base_io->internal.status) {
        case SPDK_BDEV_IO_STATUS_NVME_ERROR:
            return spdk_bdev_io_set_nvme_status(bdev_io, base_io->internal.error.nvme.cdw0,
                                                base_io->internal.error.nvme.sct,
                                                base_io->internal.error.nvme.sc);
        case SPDK_BDEV_IO_STATUS_SCSI_ERROR:
            bdev_io->internal.error.scsi = base_io->internal.error.scsi;
            return SPDK_BDEV_IO_STATUS_SCSI_ERROR;
        case SPDK_BDEV_IO_STATUS_AIO_ERROR:
            return spdk_bdev_io_set_aio_status(bdev_io, base_io->internal.error.aio_result);
        default:
            return static_cast<spdk_bdev_io_status>(base_io->internal.status);
    }
}

void spdk_bdev_io_complete_base_io_status(struct spdk_bdev_io *bdev_io,
                                          const struct spdk_bdev_io *base_io) {
    spdk_bdev_io_complete(bdev_io, spdk_bdev_io_set_base_io_status(bdev_io, base_io));
}

void spdk_bdev_io_get_nvme_status(const struct spdk_bdev_io *bdev_io, uint32_t *cdw0, int *sct,
                                  int *sc) {
    constexpr int kSctGeneric = SPDK_NVME_SCT_GENERIC;
    constexpr int kSctMediaError = SPDK_NVME_SCT_MEDIA_ERROR;
    constexpr int kScInternalDeviceError = SPDK_NVME_SC_INTERNAL_DEVICE_ERROR;
    constexpr int kScAbortedByRequest = SPDK_NVME_SC_ABORTED_BY_REQUEST;
    constexpr int kScCompareFailure = SPDK_NVME_SC_COMPARE_FAILURE;
    switch (bdev_io->internal.status) {
        case SPDK_BDEV_IO_STATUS_SUCCESS:
            *sct = kSctGeneric;
            *sc = 0;
            break;
        case SPDK_BDEV_IO_STATUS_NVME_ERROR:
            *sct = bdev_io->internal.error.nvme.sct;
            *sc = bdev_io->internal.error.nvme.sc;
            break;
        case SPDK_BDEV_IO_STATUS_ABORTED:
            *sct = kSctGeneric;
            *sc = kScAbortedByRequest;
            break;
        case SPDK_BDEV_IO_STATUS_MISCOMPARE:
            *sct = kSctMediaError;
            *sc = kScCompareFailure;
            break;
        default:
            *sct = kSctGeneric;
            *sc = kScInternalDeviceError;
            break;
    }
    *cdw0 = bdev_io->internal.status == SPDK_BDEV_IO_STATUS_NVME_ERROR ||
                    bdev_io->internal.status == SPDK_BDEV_IO_STATUS_SUCCESS
                ? bdev_io->internal.error.nvme.cdw0
                : 0;
}

void spdk_bdev_io_get_scsi_status(const struct spdk_bdev_io *bdev_io, int *sc, int *sk, int *asc,
                                  int *ascq) {
    constexpr int kStatusGood = 0x00;
    constexpr int kStatusCheckCondition = 0x02;
    constexpr int kSenseNoSense = 0x00;
    constexpr int kSenseAbortedCommand = 0x0b;
    constexpr int kSenseMiscompare = 0x0e;
    constexpr int kAscMiscompareDuringVerify = 0x1d;
    switch (bdev_io->internal.status) {
        case SPDK_BDEV_IO_STATUS_SUCCESS:
            *sc = kStatusGood;
            *sk = kSenseNoSense;
            *asc = 0;
            *ascq = 0;
            break;
        case SPDK_BDEV_IO_STATUS_SCSI_ERROR:
            *sc = bdev_io->internal.error.scsi.sc;
            *sk = bdev_io->internal.error.scsi.sk;
            *asc = bdev_io->internal.error.scsi.asc;
            *ascq = bdev_io->internal.error.scsi.ascq;
            break;
        case SPDK_BDEV_IO_STATUS_MISCOMPARE:
            *sc = kStatusCheckCondition;
            *sk = kSenseMiscompare;
            *asc = kAscMiscompareDuringVerify;
            *ascq = 0;
            break;
        default:
            *sc = kStatusCheckCondition;
            *sk = kSenseAbortedCommand;
            *asc = 0;
            *ascq = 0;
            break;
    }
}

void spdk_bdev_io_get_aio_status(const struct spdk_bdev_io *bdev_io, int *aio_result) {
    if (bdev_io->internal.status == SPDK_BDEV_IO_STATUS_AIO_ERROR) {
        *aio_result = bdev_io->internal.error.aio_result;
    } else if (bdev_io->internal.status == SPDK_BDEV_IO_STATUS_SUCCESS) {
        *aio_result = 0;
    } else {
        *aio_result = -EIO;
    }
}

// ---- accessors -------------------------------------------------------------------

void spdk_bdev_io_get_iovec(struct spdk_bdev_io *bdev_io, struct iovec **iovp, int *iovcntp) {
    if (iovp != nullptr) {
        *iovp = bdev_io->u.bdev.iovs;
    }
    if (iovcntp != nullptr) {
        *iovcntp = bdev_io->u.bdev.iovcnt;
    }
}

void *spdk_bdev_io_get_md_buf(struct spdk_bdev_io *bdev_io) {
    return bdev_io->u.bdev.md_buf;
}

void *spdk_bdev_io_get_cb_arg(struct spdk_bdev_io *bdev_io) {
    return bdev_io->internal.caller_ctx;
}

struct spdk_thread *spdk_bdev_io_get_thread(struct spdk_bdev_io *bdev_io) {
    return bdev_io->internal.ch->mgmt->thread;
}

struct spdk_io_channel *spdk_bdev_io_get_io_channel(struct spdk_bdev_io *bdev_io) {
    return bdev_io->internal.ch->module_ch;
}

uint64_t spdk_bdev_io_get_submit_tsc(struct spdk_bdev_io *bdev_io) {
    return bdev_io->internal.submit_tsc;
}

bool spdk_bdev_io_hide_metadata(struct spdk_bdev_io *bdev_io) {
    return bdev_io->internal.desc != nullptr &&
           spdk_bdev_desc_hide_metadata(bdev_io->internal.desc);
}

uint32_t spdk_bdev_io_get_block_size(struct spdk_bdev_io *bdev_io) {
    spdk_bdev *bdev = bdev_io->bdev;
    if (spdk_bdev_io_hide_metadata(bdev_io) && spdk_bdev_is_md_interleaved(bdev)) {
        return bdev->blocklen - bdev->md_len;
    }
    return bdev->blocklen;
}

// ---- data buffers ----------------------------------------------------------------

void spdk_bdev_io_get_buf(struct spdk_bdev_io *bdev_io, spdk_bdev_io_get_buf_cb cb, uint64_t len) {
    bdev_io->internal.get_buf_cb = cb;
    const size_t align = spdk_bdev_get_buf_align(bdev_io->bdev);
    iovec *iovs = bdev_io->u.bdev.iovs;
    bool present = iovs != nullptr && bdev_io->u.bdev.iovcnt > 0 && iovs[0].iov_base != nullptr;
    for (int i = 0; present && i < bdev_io->u.bdev.iovcnt; ++i) {
        present = (reinterpret_cast<uintptr_t>(iovs[i].iov_base) & (align - 1)) == 0;
    }
    if (present) {
        cb(bdev_io->internal.ch->module_ch, bdev_io, true);
        return;
    }
    if (iovs != nullptr && bdev_io->u.bdev.iovcnt > 0 && iovs[0].iov_base != nullptr) {
        // The caller's buffers are misaligned for this bdev: as SPDK, work on an
        // aligned bounce buffer, filled from them for a write and copied back to
        // them when a read completes.
        // The I/O's own iov is about to point at the bounce buffer: keep a copy.
        if (iovs == &bdev_io->iov) {
            bdev_io->internal.bounce.iov = bdev_io->iov;
            iovs = &bdev_io->internal.bounce.iov;
        }
        bdev_io->internal.bounce.iovs = iovs;
        bdev_io->internal.bounce.iovcnt = bdev_io->u.bdev.iovcnt;
        bdev_io->internal.bounce.active = 1;
    }
    if (len > kLargeBufSize || align > kBufAlign) {
        SPDK_ERRLOG("cannot give a %" PRIu64 "-byte buffer aligned to %zu\n", len, align);
        cb(bdev_io->internal.ch->module_ch, bdev_io, false);
        return;
    }
    MgmtChannel *m = bdev_io->internal.ch->mgmt;
    bdev_io->internal.buf.len = len;
    void *buf = STAILQ_EMPTY(&m->buf_waiters) ? take_buf(m, len) : nullptr;
    if (buf == nullptr) {
        // Served by put_buf when a buffer comes back on this thread.
        STAILQ_INSERT_TAIL(&m->buf_waiters, bdev_io, internal.link);
        return;
    }
    give_buf(bdev_io, buf, len);
}

void spdk_bdev_io_set_buf(struct spdk_bdev_io *bdev_io, void *buf, size_t len) {
    // As SPDK: the first iovec of the I/O (the caller's own, when it gave an array)
    // points at buf.
    if (bdev_io->u.bdev.iovs == nullptr) {
        bdev_io->u.bdev.iovs = &bdev_io->iov;
        bdev_io->u.bdev.iovcnt = 1;
    }
    bdev_io->u.bdev.iovs[0].iov_base = buf;
    bdev_io->u.bdev.iovs[0].iov_len = len;
}

void spdk_bdev_io_set_md_buf(struct spdk_bdev_io *bdev_io, void *md_buf, size_t /*len*/) {
    bdev_io->u.bdev.md_buf = md_buf;
}

// ---- statistics ------------------------------------------------------------------

void spdk_bdev_get_io_stat(struct spdk_bdev * /*bdev*/, struct spdk_io_channel *ch,
                           struct spdk_bdev_io_stat *stat,
                           enum spdk_bdev_reset_stat_mode reset_mode) {
    spdk_bdev_channel *bch = bdev_channel(ch);
    *stat = bch->stat;
    stat->ticks_rate = spdk_get_ticks_hz();
    stat->io_error = nullptr;
    spdk_bdev_reset_io_stat(&bch->stat, reset_mode);
}

void spdk_bdev_get_device_stat(struct spdk_bdev *bdev, struct spdk_bdev_io_stat *stat,
                               enum spdk_bdev_reset_stat_mode reset_mode,
                               spdk_bdev_get_device_stat_cb cb, void *cb_arg) {
    auto *walk = new (std::nothrow) DeviceStatWalk{bdev, stat, reset_mode, cb, cb_arg};
    if (walk == nullptr) {
        cb(bdev, stat, cb_arg, -ENOMEM);
        return;
    }
    {
        // Channels already destroyed, then the live ones.
        std::lock_guard guard(manager().lock);
        stat_init(stat);
        if (bdev->internal.stat != nullptr) {
            add_stat(stat, bdev->internal.stat);
            spdk_bdev_reset_io_stat(bdev->internal.stat, reset_mode);
        }
    }
    stat->ticks_rate = spdk_get_ticks_hz();
    stat->io_error = nullptr;
    spdk_for_each_channel(bdev_to_io_dev(bdev), device_stat_channel, walk, device_stat_done);
}

void spdk_bdev_add_io_stat(struct spdk_bdev_io_stat *total, struct spdk_bdev_io_stat *add) {
    total->bytes_read += add->bytes_read;
    total->num_read_ops += add->num_read_ops;
    total->bytes_written += add->bytes_written;
    total->num_write_ops += add->num_write_ops;
    total->bytes_unmapped += add->bytes_unmapped;
    total->num_unmap_ops += add->num_unmap_ops;
    total->bytes_copied += add->bytes_copied;
    total->num_copy_ops += add->num_copy_ops;
    total->read_latency_ticks += add->read_latency_ticks;
    total->write_latency_ticks += add->write_latency_ticks;
    total->unmap_latency_ticks += add->unmap_latency_ticks;
    total->copy_latency_ticks += add->copy_latency_ticks;
    total->max_read_latency_ticks =
        spdk_max(total->max_read_latency_ticks, add->max_read_latency_ticks);
    total->min_read_latency_ticks =
        spdk_min(total->min_read_latency_ticks, add->min_read_latency_ticks);
    total->max_write_latency_ticks =
        spdk_max(total->max_write_latency_ticks, add->max_write_latency_ticks);
    total->min_write_latency_ticks =
        spdk_min(total->min_write_latency_ticks, add->min_write_latency_ticks);
    total->max_unmap_latency_ticks =
        spdk_max(total->max_unmap_latency_ticks, add->max_unmap_latency_ticks);
    total->min_unmap_latency_ticks =
        spdk_min(total->min_unmap_latency_ticks, add->min_unmap_latency_ticks);
    total->max_copy_latency_ticks =
        spdk_max(total->max_copy_latency_ticks, add->max_copy_latency_ticks);
    total->min_copy_latency_ticks =
        spdk_min(total->min_copy_latency_ticks, add->min_copy_latency_ticks);
}

void spdk_bdev_reset_io_stat(struct spdk_bdev_io_stat *stat, enum spdk_bdev_reset_stat_mode mode) {
    switch (mode) {
        case SPDK_BDEV_RESET_STAT_ALL:
            stat_init(stat);
            break;
        case SPDK_BDEV_RESET_STAT_MAXMIN:
            stat->max_read_latency_ticks = 0;
            stat->min_read_latency_ticks = UINT64_MAX;
            stat->max_write_latency_ticks = 0;
            stat->min_write_latency_ticks = UINT64_MAX;
            stat->max_unmap_latency_ticks = 0;
            stat->min_unmap_latency_ticks = UINT64_MAX;
            stat->max_copy_latency_ticks = 0;
            stat->min_copy_latency_ticks = UINT64_MAX;
            break;
        case SPDK_BDEV_RESET_STAT_ERROR:
        case SPDK_BDEV_RESET_STAT_NONE:
            break;
    }
}

void spdk_bdev_dump_io_stat_json(struct spdk_bdev_io_stat *stat, struct spdk_json_write_ctx *w) {
    spdk_json_write_named_uint64(w, "bytes_read", stat->bytes_read);
    spdk_json_write_named_uint64(w, "num_read_ops", stat->num_read_ops);
    spdk_json_write_named_uint64(w, "bytes_written", stat->bytes_written);
    spdk_json_write_named_uint64(w, "num_write_ops", stat->num_write_ops);
    spdk_json_write_named_uint64(w, "bytes_unmapped", stat->bytes_unmapped);
    spdk_json_write_named_uint64(w, "num_unmap_ops", stat->num_unmap_ops);
    spdk_json_write_named_uint64(w, "bytes_copied", stat->bytes_copied);
    spdk_json_write_named_uint64(w, "num_copy_ops", stat->num_copy_ops);
    spdk_json_write_named_uint64(w, "read_latency_ticks", stat->read_latency_ticks);
    spdk_json_write_named_uint64(w, "max_read_latency_ticks", stat->max_read_latency_ticks);
    spdk_json_write_named_uint64(
        w, "min_read_latency_ticks",
        stat->min_read_latency_ticks != UINT64_MAX ? stat->min_read_latency_ticks : 0);
    spdk_json_write_named_uint64(w, "write_latency_ticks", stat->write_latency_ticks);
    spdk_json_write_named_uint64(w, "max_write_latency_ticks", stat->max_write_latency_ticks);
    spdk_json_write_named_uint64(
        w, "min_write_latency_ticks",
        stat->min_write_latency_ticks != UINT64_MAX ? stat->min_write_latency_ticks : 0);
    spdk_json_write_named_uint64(w, "unmap_latency_ticks", stat->unmap_latency_ticks);
    spdk_json_write_named_uint64(w, "max_unmap_latency_ticks", stat->max_unmap_latency_ticks);
    spdk_json_write_named_uint64(
        w, "min_unmap_latency_ticks",
        stat->min_unmap_latency_ticks != UINT64_MAX ? stat->min_unmap_latency_ticks : 0);
    spdk_json_write_named_uint64(w, "copy_latency_ticks", stat->copy_latency_ticks);
    spdk_json_write_named_uint64(w, "max_copy_latency_ticks", stat->max_copy_latency_ticks);
    spdk_json_write_named_uint64(
        w, "min_copy_latency_ticks",
        stat->min_copy_latency_ticks != UINT64_MAX ? stat->min_copy_latency_ticks : 0);
}

// ---- per-channel walk ------------------------------------------------------------

struct spdk_bdev_channel_iter {
    spdk_io_channel_iter *i;
    spdk_bdev *bdev;
    spdk_bdev_for_each_channel_msg fn;
    spdk_bdev_for_each_channel_done cpl;
    void *ctx;
};

static void bdev_each_channel_msg(spdk_io_channel_iter *i) {
    auto *iter = static_cast<spdk_bdev_channel_iter *>(spdk_io_channel_iter_get_ctx(i));
    iter->i = i;
    iter->fn(iter, iter->bdev, spdk_io_channel_iter_get_channel(i), iter->ctx);
}

static void bdev_each_channel_done(spdk_io_channel_iter *i, int status) {
    auto *iter = static_cast<spdk_bdev_channel_iter *>(spdk_io_channel_iter_get_ctx(i));
    if (iter->cpl != nullptr) {
        iter->cpl(iter->bdev, iter->ctx, status);
    }
    delete iter;
}

void spdk_bdev_for_each_channel_continue(struct spdk_bdev_channel_iter *i, int status) {
    spdk_for_each_channel_continue(i->i, status);
}

void spdk_bdev_for_each_channel(struct spdk_bdev *bdev, spdk_bdev_for_each_channel_msg fn,
                                void *ctx, spdk_bdev_for_each_channel_done cpl) {
    auto *iter = new (std::nothrow) spdk_bdev_channel_iter{nullptr, bdev, fn, cpl, ctx};
    if (iter == nullptr) {
        if (cpl != nullptr) {
            cpl(bdev, ctx, -ENOMEM);
        }
        return;
    }
    spdk_for_each_channel(bdev_to_io_dev(bdev), bdev_each_channel_msg, iter,
                          bdev_each_channel_done);
}

}  // extern "C"
