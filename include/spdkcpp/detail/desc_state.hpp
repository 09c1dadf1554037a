// The shared state behind a BdevDesc, and the protocol that closes the descriptor
// exactly once, on the thread that opened it, after its last I/O completed.
//
// I/O goes through channels got from the descriptor, and a channel is put only
// after its own last I/O completed (bdev_channel.hpp). So the descriptor counts
// its live channels, not its I/Os: the I/O path pays a plain load, not atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdkcpp/detail/io_timeout.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp::detail {

struct DescState {
    // One word holds the I/O count and the lifecycle flags, so that "last I/O
    // done" and "close requested" can never both miss each other.
    static constexpr uint64_t kCount = 0xffff'ffffULL;
    static constexpr uint64_t kClosing = 1ULL << 32;    // no new I/O; close when idle
    static constexpr uint64_t kClosed = 1ULL << 33;     // the close has been claimed
    static constexpr uint64_t kDone = 1ULL << 34;       // spdk_bdev_close has run
    static constexpr uint64_t kOwnerGone = 1ULL << 35;  // the BdevDesc was dropped
#ifdef SPDKCPP_SIMULATION_WRONG_CLOSE_RULE
    // Test-only and deliberately wrong (tests/wrappers/simulation_test.cpp, where
    // the simulator must catch it): the close does not wait for the channels.
    static constexpr uint64_t kCloseWaitsFor = 0;
#else
    static constexpr uint64_t kCloseWaitsFor = kCount;  // the live channels
#endif

    spdk_bdev_desc *desc = nullptr;
    spdk_bdev *bdev = nullptr;
    spdk_thread *thread = nullptr;  // the opener: SPDK closes a descriptor there
    uint32_t block_size = 0;
    uint64_t num_blocks = 0;
    uint64_t align_mask = 0;  // the bdev's buffer alignment - 1
    bool writable = false;
    // A module's claim taken through this descriptor (opener's thread only); it
    // ends when the descriptor closes. SPDK ends the READ_MANY_* claims itself in
    // spdk_bdev_close; an EXCL_WRITE claim ("v1") outlives its descriptor there,
    // so the close releases it first.
    spdk_bdev_claim_type claim = SPDK_BDEV_CLAIM_NONE;
    std::atomic<uint64_t> word{0};

    // The user's event handler, type-erased; null for none.
    void (*on_event)(void *handler, spdk_bdev_event_type type, spdk_bdev *bdev) = nullptr;
    void (*drop_handler)(void *handler) noexcept = nullptr;
    void *handler = nullptr;

    // BdevDesc::set_timeout's callable; SPDK's cb_arg is this state (io_timeout_cb).
    IoTimeoutSlot timeout;

    DescState() = default;
    DescState(const DescState &) = delete;
    DescState &operator=(const DescState &) = delete;
    ~DescState() {
        if (drop_handler != nullptr) {
            drop_handler(handler);
        }
    }

    // Whether new I/O may start: a single relaxed load on the I/O path. An I/O
    // that starts as the close is requested is still safe: its channel keeps the
    // descriptor open until the I/O completed.
    [[nodiscard]] bool accepting() const noexcept {
        return (word.load(std::memory_order_relaxed) & kClosing) == 0;
    }
    [[nodiscard]] bool closing() const noexcept {
        return !accepting();
    }

    // Counts a channel in; false when the descriptor is closing.
    bool channel_begin() noexcept {
        const uint64_t old = word.fetch_add(1, std::memory_order_acq_rel);
        if ((old & kClosing) != 0) {
            channel_end();
            return false;
        }
        return true;
    }

    // Counts a channel out. The state may be gone when this returns.
    void channel_end() noexcept {
        const uint64_t now = word.fetch_sub(1, std::memory_order_acq_rel) - 1;
        if ((now & (kCount | kClosing | kClosed)) == kClosing) {
            try_close();
        }
    }

    // Asks for the close (owner dropped, or the bdev is going away).
    void request_close(bool owner_gone) noexcept {
        const uint64_t flags = kClosing | (owner_gone ? kOwnerGone : 0);
        const uint64_t old = word.fetch_or(flags, std::memory_order_acq_rel);
        if (owner_gone && (old & kDone) != 0) {
            delete this;
            return;
        }
        try_close();
    }

    void try_close() noexcept {
        uint64_t v = word.load(std::memory_order_acquire);
        while ((v & (kCloseWaitsFor | kClosing | kClosed)) == kClosing) {
            if (word.compare_exchange_weak(v, v | kClosed, std::memory_order_acq_rel)) {
                close_on_opener();
                return;
            }
        }
    }

    void close_on_opener() noexcept {
        release_on(
            thread, [](void *arg) { static_cast<DescState *>(arg)->close_now(); }, this,
            "bdev descriptor");
    }

    void close_now() noexcept {
        if (std::exchange(claim, SPDK_BDEV_CLAIM_NONE) == SPDK_BDEV_CLAIM_EXCL_WRITE) {
            spdk_bdev_module_release_bdev(bdev);
        }
        spdk_bdev_close(desc);
        const uint64_t old = word.fetch_or(kDone, std::memory_order_acq_rel);
        if ((old & kOwnerGone) != 0) {
            delete this;
        }
    }

    static void io_timeout_cb(void *ctx, spdk_bdev_io *io) {
        auto *self = static_cast<DescState *>(ctx);
        self->timeout.report(io, IoTimeoutSlot::age_ticks(io), self->block_size);
    }

    static void event_cb(spdk_bdev_event_type type, spdk_bdev *bdev, void *ctx) {
        auto *self = static_cast<DescState *>(ctx);
        if (self->on_event != nullptr) {
            self->on_event(self->handler, type, bdev);
        }
        // The bdev is going away: refuse new I/O and close once the channels are
        // put (after their I/O in flight), or its unregistration would wait forever.
        if (type == SPDK_BDEV_EVENT_REMOVE) {
            self->request_close(false);
        }
    }
};

}  // namespace spdkcpp::detail
