// The callable behind BdevDesc::set_timeout, and how SPDK reaches it.
//
// The callable lives in the descriptor's shared state (DescState), whose address is
// the cb_arg SPDK keeps: it does not move with the BdevDesc, and it outlives every
// report, because SPDK reports only I/O of the descriptor still outstanding, and an
// I/O outstanding keeps its channel, and so the state, alive.
//
// SPDK calls on the thread of the channel the I/O was submitted on, which may be
// another thread than the descriptor's, where the callable is replaced or cleared;
// and a look over the channels that began under one setting may still report after
// the next one is in force. So:
// - the slot is locked while its callable runs or changes hands (a recursive lock:
//   the callable may itself set or clear the timeout, from the descriptor's thread);
// - a callable replaced from inside its own call is destroyed once that call
//   returned;
// - each report is checked against the setting in force: an I/O younger than the
//   current timeout is not reported, whatever setting the look began under.
// None of this is on the I/O path: it runs once a second, and per timed-out I/O.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/clock.hpp"

namespace spdkcpp::detail {

class IoTimeoutSlot {
  public:
    // A type-erased callable of void(const TimedOutIo &).
    struct Handler {
        using Call = void (*)(Handler *self, const TimedOutIo &io);
        using Destroy = void (*)(Handler *self) noexcept;
        Handler(Call c, Destroy d) noexcept : call(c), destroy(d) {}
        Call call;
        Destroy destroy;
        Handler *next_retired = nullptr;
    };

    IoTimeoutSlot() = default;
    IoTimeoutSlot(const IoTimeoutSlot &) = delete;
    IoTimeoutSlot &operator=(const IoTimeoutSlot &) = delete;
    ~IoTimeoutSlot() {
        destroy(handler_);
        destroy_retired(retired_);
    }

    // A Handler holding fn; null when out of memory.
    template <typename F>
    static Handler *make(F &&fn) {
        return new (std::nothrow) Holder<std::decay_t<F>>(std::forward<F>(fn));
    }

    // Puts handler (owned from now on; null for none) in force with a timeout of
    // timeout_ticks, and destroys the one it replaces once no call of it is under way.
    void replace(Handler *handler, uint64_t timeout_ticks) noexcept {
        Handler *old = nullptr;
        {
            std::lock_guard guard(lock_);
            old = std::exchange(handler_, handler);
            timeout_ticks_ = timeout_ticks;
            if (calls_ > 0 && old != nullptr) {
                // Inside a call on this OS thread (the lock is ours): old may be the
                // callable that runs; it goes once the outermost call returned.
                old->next_retired = retired_;
                retired_ = std::exchange(old, nullptr);
            }
        }
        destroy(old);
    }

    // Reports io, outstanding for age_ticks, to the callable in force, if the
    // timeout in force says so.
    void report(spdk_bdev_io *io, uint64_t age_ticks, uint32_t block_size) {
        std::unique_lock guard(lock_);
        if (handler_ == nullptr || age_ticks < timeout_ticks_) {
            return;
        }
        const TimedOutIo view = describe(io, age_ticks, block_size);
        ++calls_;
        handler_->call(handler_, view);
        Handler *retired = --calls_ == 0 ? std::exchange(retired_, nullptr) : nullptr;
        guard.unlock();
        destroy_retired(retired);
    }

    // How long io has been outstanding: by the later of the real clock and the
    // calling thread's (the `now` its poll was given), as the embedded runtime
    // decides that it timed out.
    static uint64_t age_ticks(spdk_bdev_io *io) noexcept {
        const uint64_t now =
            std::max(spdk_get_ticks(), spdk_thread_get_last_tsc(spdk_get_thread()));
        const uint64_t submitted = spdk_bdev_io_get_submit_tsc(io);
        return now > submitted ? now - submitted : 0;
    }

    static uint64_t to_ticks(uint64_t seconds) noexcept {
        const uint64_t hz = spdk_get_ticks_hz();
        return seconds > UINT64_MAX / hz ? UINT64_MAX : seconds * hz;
    }

  private:
    template <typename Fn>
    struct Holder : Handler {
        template <typename G>
        explicit Holder(G &&g) : Handler(&run, &drop), fn(std::forward<G>(g)) {}
        static void run(Handler *self, const TimedOutIo &io) {
            static_cast<Holder *>(self)->fn(io);
        }
        static void drop(Handler *self) noexcept { delete static_cast<Holder *>(self); }
        Fn fn;
    };

    static TimedOutIo describe(spdk_bdev_io *io, uint64_t age_ticks, uint32_t block_size) {
        TimedOutIo view;
        view.type = static_cast<IoType>(io->type);
        switch (io->type) {
            case SPDK_BDEV_IO_TYPE_READ:
            case SPDK_BDEV_IO_TYPE_WRITE:
            case SPDK_BDEV_IO_TYPE_UNMAP:
            case SPDK_BDEV_IO_TYPE_FLUSH:
            case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
            case SPDK_BDEV_IO_TYPE_COMPARE:
            case SPDK_BDEV_IO_TYPE_COPY:
                view.offset = io->u.bdev.offset_blocks * block_size;
                view.length = io->u.bdev.num_blocks * block_size;
                break;
            default:
                break;
        }
        view.outstanding = std::chrono::microseconds(static_cast<int64_t>(Clock::to_us(age_ticks)));
        return view;
    }

    static void destroy(Handler *h) noexcept {
        if (h != nullptr) {
            h->destroy(h);
        }
    }
    static void destroy_retired(Handler *h) noexcept {
        while (h != nullptr) {
            destroy(std::exchange(h, h->next_retired));
        }
    }

    std::recursive_mutex lock_;
    Handler *handler_ = nullptr;
    uint64_t timeout_ticks_ = 0;
    // Calls under way (nested ones included); only the lock's holder touches it.
    uint32_t calls_ = 0;
    Handler *retired_ = nullptr;
};

}  // namespace spdkcpp::detail
