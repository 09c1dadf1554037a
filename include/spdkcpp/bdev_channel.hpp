// BdevChannel: the RAII owner of a bdev I/O channel (spdk_bdev_get_io_channel).
//
// A channel belongs to the spdk_thread that got it; I/O goes through it on that
// thread only. Dropping the owner never pulls the channel from under I/O in flight:
// the put happens on the channel's thread once its last I/O has completed.
#pragma once

#include <cstdint>
#include <new>
#include <utility>

#include "spdk/bdev.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/detail/desc_state.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

namespace detail {

// Touched only on the channel's thread, so plain fields suffice. Holds its
// descriptor open (DescState counts it) until it is put.
struct ChannelState {
    spdk_io_channel *ch = nullptr;
    spdk_thread *thread = nullptr;
    DescState *desc = nullptr;
    uint32_t inflight = 0;
    bool released = false;

    // Called on the channel's thread when an I/O through it completed.
    void io_done() noexcept {
        if (--inflight == 0 && released) {
            finish();
        }
    }

    // On the channel's thread: the owner is gone.
    void release() noexcept {
        released = true;
        if (inflight == 0) {
            finish();
        }
    }

    // The release, once per channel: kept out of the I/O path's inlined code.
    [[gnu::cold, gnu::noinline]] void finish() noexcept {
        spdk_put_io_channel(ch);
        desc->channel_end();
        delete this;
    }
};

}  // namespace detail

class BdevChannel {
  public:
    BdevChannel() noexcept = default;
    BdevChannel(const BdevChannel &) = delete;
    BdevChannel &operator=(const BdevChannel &) = delete;
    BdevChannel(BdevChannel &&other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    BdevChannel &operator=(BdevChannel &&other) noexcept {
        if (this != &other) {
            reset();
            state_ = std::exchange(other.state_, nullptr);
        }
        return *this;
    }
    ~BdevChannel() { reset(); }

    [[nodiscard]] explicit operator bool() const noexcept { return state_ != nullptr; }
    [[nodiscard]] ThreadRef thread() const noexcept {
        return ThreadRef(state_ != nullptr ? state_->thread : nullptr);
    }
    [[nodiscard]] spdk_io_channel *raw() const noexcept {
        return state_ != nullptr ? state_->ch : nullptr;
    }
    // I/O submitted through this channel and not yet completed.
    [[nodiscard]] uint32_t inflight() const noexcept {
        return state_ != nullptr ? state_->inflight : 0;
    }

    // This channel's I/O statistics (SPDK counts them per channel).
    [[nodiscard]] IoStats stats() const {
        spdk_bdev_io_stat stat{};
        if (state_ != nullptr) {
            spdk_bdev_get_io_stat(state_->desc->bdev, state_->ch, &stat, SPDK_BDEV_RESET_STAT_NONE);
        }
        return IoStats::from(stat);
    }

    // For BdevDesc::io_channel: takes over a reference got on the calling thread.
    static Result<BdevChannel> adopt(spdk_io_channel *ch, detail::DescState *desc) {
        auto *state = new (std::nothrow) detail::ChannelState{ch, spdk_get_thread(), desc};
        if (state == nullptr) {
            spdk_put_io_channel(ch);
            return fail(ErrorKind::OutOfMemory, "cannot allocate a channel");
        }
        if (!desc->channel_begin()) {
            spdk_put_io_channel(ch);
            delete state;
            return fail(ErrorKind::Closed, "descriptor is closed");
        }
        return BdevChannel(state);
    }

    [[nodiscard]] detail::ChannelState *state() const noexcept { return state_; }

  private:
    explicit BdevChannel(detail::ChannelState *state) noexcept : state_(state) {}

    void reset() noexcept {
        detail::ChannelState *state = std::exchange(state_, nullptr);
        if (state == nullptr) {
            return;
        }
        detail::release_on(
            state->thread, [](void *arg) { static_cast<detail::ChannelState *>(arg)->release(); },
            state, "bdev channel");
    }

    detail::ChannelState *state_ = nullptr;
};

}  // namespace spdkcpp
