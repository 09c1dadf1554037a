// spdk_bdev_set_timeout: finding I/O that has been outstanding too long.
//
// The I/O path only keeps each channel's list of outstanding I/O (io_submitted, in
// submission order). Everything else happens once a second, off that path: a poller
// on the descriptor's thread starts a walk over the bdev's channels, and on each
// channel's thread the walk reports the descriptor's I/O that are older than the
// timeout, oldest first, stopping at the first younger one.
//
// Lifetime: a walk holds a reference on the descriptor (desc->refs, under
// Manager::lock), so a descriptor closed during a walk stays allocated until the walk
// ends; the walk sees it closed and reports nothing more. The walk keeps its place in
// a channel's list with a marker of its own, so that a callback may complete I/O of
// that channel (its own or others) without the walk following a stale link.
#include <algorithm>
#include <cstdint>
#include <new>

#include "bdev/bdev_internal.hpp"
#include "spdk/env.h"
#include "spdk/log.h"
#include "spdk/thread.h"

namespace spdk_embedded::bdev {
namespace {

constexpr uint64_t kTimeoutPollerPeriodUs = 1000 * 1000;

// One walk over the bdev's channels; the setting is taken when the walk starts.
struct TimeoutWalk {
    spdk_bdev_desc *desc;
    uint64_t timeout_ticks;
    spdk_bdev_io_timeout_cb cb;
    void *cb_arg;
    // Stands in the channel's list just after the I/O being reported. Never
    // submitted; only its ch_link is used. Last: spdk_bdev_io ends in driver_ctx.
    spdk_bdev_io marker;
};

bool desc_closed(const spdk_bdev_desc *desc) {
    std::lock_guard guard(manager().lock);
    return desc->closed;
}

// The walk's clock on this thread: the real one, as SPDK's, or the thread's own
// when that runs ahead of it (a test driving threads with a virtual `now`), so
// that timeouts follow the clock the poller that checks them runs on.
uint64_t walk_now() {
    return std::max(spdk_get_ticks(), spdk_thread_get_last_tsc(spdk_get_thread()));
}

void visit_channel(spdk_bdev_channel_iter *i, spdk_bdev * /*bdev*/, spdk_io_channel *io_ch,
                   void *ctx) {
    auto *walk = static_cast<TimeoutWalk *>(ctx);
    spdk_bdev_channel *ch = bdev_channel(io_ch);
    if (desc_closed(walk->desc)) {
        spdk_bdev_for_each_channel_continue(i, -ECANCELED);
        return;
    }
    const uint64_t now = walk_now();
    spdk_bdev_io *marker = &walk->marker;
    spdk_bdev_io *io = TAILQ_FIRST(&ch->io_submitted);
    while (io != nullptr) {
        if (is_write_zeroes_piece(io)) {
            io = TAILQ_NEXT(io, internal.ch_link);
            continue;
        }
        const uint64_t submitted = io->internal.submit_tsc;
        if (now < submitted || now - submitted < walk->timeout_ticks) {
            break;  // the rest are younger still
        }
        if (io->internal.desc != walk->desc) {
            io = TAILQ_NEXT(io, internal.ch_link);
            continue;
        }
        TAILQ_INSERT_AFTER(&ch->io_submitted, io, marker, internal.ch_link);
        walk->cb(walk->cb_arg, io);
        io = TAILQ_NEXT(marker, internal.ch_link);
        TAILQ_REMOVE(&ch->io_submitted, marker, internal.ch_link);
        if (desc_closed(walk->desc)) {
            break;  // closed by the callback (or on its thread meanwhile)
        }
    }
    spdk_bdev_for_each_channel_continue(i, 0);
}

void walk_done(spdk_bdev * /*bdev*/, void *ctx, int /*status*/) {
    auto *walk = static_cast<TimeoutWalk *>(ctx);
    spdk_bdev_desc *desc = walk->desc;
    delete walk;
    bool free_desc = false;
    {
        std::lock_guard guard(manager().lock);
        free_desc = --desc->refs == 0 && desc->closed;
    }
    if (free_desc) {
        delete desc;
    }
}

int timeout_poll(void *arg) {
    auto *desc = static_cast<spdk_bdev_desc *>(arg);
    const uint64_t hz = spdk_get_ticks_hz();
    auto *walk = new (std::nothrow) TimeoutWalk{};
    if (walk == nullptr) {
        SPDK_ERRLOG("no memory to look for timed-out I/O of bdev %s\n", desc->bdev->name);
        return SPDK_POLLER_BUSY;
    }
    walk->desc = desc;
    walk->timeout_ticks =
        desc->timeout_in_sec > UINT64_MAX / hz ? UINT64_MAX : desc->timeout_in_sec * hz;
    walk->cb = desc->timeout_cb;
    walk->cb_arg = desc->timeout_cb_arg;
    {
        std::lock_guard guard(manager().lock);
        desc->refs++;
    }
    spdk_bdev_for_each_channel(desc->bdev, visit_channel, walk, walk_done);
    return SPDK_POLLER_BUSY;
}

}  // namespace
}  // namespace spdk_embedded::bdev

using namespace spdk_embedded::bdev;

extern "C" {

int spdk_bdev_set_timeout(struct spdk_bdev_desc *desc, uint64_t timeout_in_sec,
                          spdk_bdev_io_timeout_cb cb_fn, void *cb_arg) {
    if (desc->thread != spdk_get_thread()) {
        SPDK_ERRLOG("spdk_bdev_set_timeout on bdev %s: not on the thread that opened it\n",
                    desc->bdev->name);
        return -EINVAL;
    }
    if (timeout_in_sec != 0 && cb_fn == nullptr) {
        SPDK_ERRLOG("spdk_bdev_set_timeout on bdev %s: a timeout needs a callback\n",
                    desc->bdev->name);
        return -EINVAL;
    }
    spdk_poller_unregister(&desc->timeout_poller);
    desc->timeout_in_sec = timeout_in_sec;
    desc->timeout_cb = cb_fn;
    desc->timeout_cb_arg = cb_arg;
    if (timeout_in_sec == 0) {
        return 0;
    }
    desc->timeout_poller =
        spdk_poller_register_named(timeout_poll, desc, kTimeoutPollerPeriodUs, "bdev_io_timeout");
    if (desc->timeout_poller == nullptr) {
        SPDK_ERRLOG("spdk_bdev_set_timeout on bdev %s: no poller\n", desc->bdev->name);
        return -ENOMEM;
    }
    return 0;
}

}  // extern "C"
