// Poller: the RAII owner of an SPDK poller running a C++ callable.
#pragma once

#include <chrono>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "spdk/log.h"
#include "spdk/thread.h"
#include "spdkcpp/error.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

enum class PollStatus : int { Idle = SPDK_POLLER_IDLE, Busy = SPDK_POLLER_BUSY };

namespace detail {

struct PollerState {
    spdk_poller *poller = nullptr;
    spdk_thread *thread = nullptr;
    int (*call)(PollerState *) = nullptr;
    void (*destroy)(PollerState *) noexcept = nullptr;
};

template <typename F>
struct PollerFn final : PollerState {
    explicit PollerFn(F f) : fn(std::move(f)) {
        call = [](PollerState *s) -> int {
            auto &callable = static_cast<PollerFn *>(s)->fn;
            using R = std::invoke_result_t<F &>;
            if constexpr (std::is_same_v<R, PollStatus>) {
                return static_cast<int>(callable());
            } else if constexpr (std::is_same_v<R, bool>) {
                return callable() ? SPDK_POLLER_BUSY : SPDK_POLLER_IDLE;
            } else {
                callable();
                return SPDK_POLLER_BUSY;
            }
        };
        destroy = [](PollerState *s) noexcept { delete static_cast<PollerFn *>(s); };
    }
    F fn;
};

inline int poller_trampoline(void *arg) {
    auto *state = static_cast<PollerState *>(arg);
    return state->call(state);
}

}  // namespace detail

// Runs a callable on the thread that registered it, every period (or on every
// poll of the thread for a zero period). The callable returns PollStatus, bool
// (true: did work) or void (counted as busy).
//
// The poller is unregistered on its own thread, even when the owner is dropped on
// another one; the callable is freed by a later message, so a poller may drop its
// own owner from inside its callable.
class Poller {
  public:
    Poller() noexcept = default;
    Poller(const Poller &) = delete;
    Poller &operator=(const Poller &) = delete;
    Poller(Poller &&other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    Poller &operator=(Poller &&other) noexcept {
        if (this != &other) {
            reset();
            state_ = std::exchange(other.state_, nullptr);
        }
        return *this;
    }
    ~Poller() { reset(); }

    // Registers on the calling spdk_thread; WrongThread outside of one.
    template <typename F>
    requires std::is_invocable_v<F &>
    static Result<Poller> every(std::chrono::microseconds period, F fn,
                                const char *name = nullptr) {
        if (spdk_get_thread() == nullptr) {
            return fail(ErrorKind::WrongThread, "a poller is registered on an spdk_thread");
        }
        if (period.count() < 0) {
            return fail(ErrorKind::InvalidParameter, "negative poller period");
        }
        auto *state = new (std::nothrow) detail::PollerFn<F>(std::move(fn));
        if (state == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot allocate a poller");
        }
        const auto us = static_cast<uint64_t>(period.count());
        state->thread = spdk_get_thread();
        state->poller =
            name != nullptr
                ? spdk_poller_register_named(&detail::poller_trampoline, state, us, name)
                : spdk_poller_register(&detail::poller_trampoline, state, us);
        if (state->poller == nullptr) {
            state->destroy(state);
            return fail(ErrorKind::OutOfMemory, "spdk_poller_register failed");
        }
        return Poller(state);
    }

    // Runs on every poll of the thread.
    template <typename F>
    requires std::is_invocable_v<F &>
    static Result<Poller> active(F fn, const char *name = nullptr) {
        return every(std::chrono::microseconds(0), std::move(fn), name);
    }

    [[nodiscard]] explicit operator bool() const noexcept { return state_ != nullptr; }
    [[nodiscard]] ThreadRef thread() const noexcept {
        return ThreadRef(state_ != nullptr ? state_->thread : nullptr);
    }

    // Pause and resume act on the poller's own thread only.
    Result<void> pause() { return on_own_thread(&spdk_poller_pause); }
    Result<void> resume() { return on_own_thread(&spdk_poller_resume); }

  private:
    explicit Poller(detail::PollerState *state) noexcept : state_(state) {}

    Result<void> on_own_thread(void (*op)(spdk_poller *)) {
        if (state_ == nullptr) {
            return fail(ErrorKind::Closed, "poller was released");
        }
        if (spdk_get_thread() != state_->thread) {
            return fail(ErrorKind::WrongThread, "a poller is paused and resumed on its own thread");
        }
        op(state_->poller);
        return {};
    }

    static void unregister(detail::PollerState *state) noexcept {
        spdk_poller_unregister(&state->poller);
        // The callable may be running right now (a poller dropping its own owner):
        // free it once the current poll is over.
        const int rc = detail::send_or_retry(
            state->thread,
            [](void *arg) {
                auto *s = static_cast<detail::PollerState *>(arg);
                s->destroy(s);
            },
            state);
        if (rc != 0) {
            // Freeing now could free a running callable: keep it, and say so.
            SPDK_ERRLOG("poller state leaked: cannot queue its release (%d)\n", rc);
        }
    }

    void reset() noexcept {
        detail::PollerState *state = std::exchange(state_, nullptr);
        if (state == nullptr) {
            return;
        }
        if (spdk_get_thread() == state->thread) {
            unregister(state);
            return;
        }
        const int rc = detail::send_or_retry(
            state->thread, [](void *arg) { unregister(static_cast<detail::PollerState *>(arg)); },
            state);
        if (rc == -EIO) {
            // The thread has exited: its pollers are gone and will not run again.
            state->destroy(state);
        } else if (rc != 0) {
            SPDK_ERRLOG("poller leaked: cannot queue its unregistration (%d)\n", rc);
        }
    }

    detail::PollerState *state_ = nullptr;
};

}  // namespace spdkcpp
