// Awaitables that move a coroutine in time or between spdk_threads:
//   co_await on(thread)    continue on another thread
//   co_await sleep(10ms)   continue on this thread after a while (a timed poller)
//   co_await yield()       let the thread run what is queued, then continue
// None allocates: each awaiter lives in the coroutine frame and passes its own
// address (or the coroutine's) as SPDK's callback argument.
#pragma once

#include <chrono>
#include <coroutine>
#include <optional>

#include "spdk/thread.h"
#include "spdkcpp/error.hpp"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

// Continues on `target` (at once when already there). Gives Closed when the
// thread has exited (but is not yet destroyed: see thread.hpp on lifetimes; a
// WeakThread's lock() tells) and OutOfMemory when its queue is full; the
// coroutine then continues where it was.
class [[nodiscard]] OnThread {
  public:
    explicit OnThread(ThreadRef target) noexcept : target_(target) {}
    bool await_ready() const noexcept { return target_.is_current(); }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (!target_) {
            rc_ = -EINVAL;
            return false;
        }
        // Once sent, the coroutine may resume on the target at once: touch nothing
        // of this awaiter unless the send failed.
        const int rc = spdk_thread_send_msg(target_.raw(), &detail::resume_handle, h.address());
        if (rc != 0) {
            rc_ = rc;
            return false;
        }
        return true;
    }
    Result<void> await_resume() const {
        if (rc_ == 0) {
            return {};
        }
        if (rc_ == -EINVAL) {
            return fail(ErrorKind::InvalidParameter, "hop to an empty ThreadRef");
        }
        return fail(detail::send_error(rc_, target_.raw()));
    }

  private:
    ThreadRef target_;
    int rc_ = 0;
};

inline OnThread on(ThreadRef thread) noexcept {
    return OnThread(thread);
}

// Continues on the same thread once `duration` has passed (at microsecond
// resolution, at least one), by a timed poller that unregisters itself.
class [[nodiscard]] Sleep {
  public:
    explicit Sleep(std::chrono::microseconds duration) noexcept
        : us_(duration.count() > 0 ? static_cast<uint64_t>(duration.count()) : 1) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (spdk_get_thread() == nullptr) {
            failed_ = ErrorKind::WrongThread;
            return false;
        }
        handle_ = h;
        poller_ = spdk_poller_register(&Sleep::fire, this, us_);
        if (poller_ == nullptr) {
            failed_ = ErrorKind::OutOfMemory;
            return false;
        }
        return true;
    }
    Result<void> await_resume() const {
        if (failed_) {
            return fail(*failed_, "sleep needs an spdk_thread and a poller");
        }
        return {};
    }

  private:
    static int fire(void *arg) {
        auto *self = static_cast<Sleep *>(arg);
        spdk_poller_unregister(&self->poller_);
        // Resuming may free this awaiter: touch nothing after it.
        self->handle_.resume();
        return SPDK_POLLER_BUSY;
    }

    uint64_t us_;
    std::coroutine_handle<> handle_;
    spdk_poller *poller_ = nullptr;
    std::optional<ErrorKind> failed_;
};

template <typename Rep, typename Period>
Sleep sleep(std::chrono::duration<Rep, Period> duration) noexcept {
    return Sleep(std::chrono::ceil<std::chrono::microseconds>(duration));
}

// Lets the current thread run its queued messages and pollers, then continues.
class [[nodiscard]] Yield {
  public:
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        spdk_thread *self = spdk_get_thread();
        rc_ = self == nullptr ? -EINVAL
                              : spdk_thread_send_msg(self, &detail::resume_handle, h.address());
        return rc_ == 0;
    }
    Result<void> await_resume() const {
        if (rc_ == -EINVAL) {
            return fail(ErrorKind::WrongThread, "yield outside of an spdk_thread");
        }
        return rc_ == 0 ? Result<void>{} : fail(detail::send_error(rc_, spdk_get_thread()));
    }

  private:
    int rc_ = 0;
};

inline Yield yield() noexcept {
    return {};
}

// co_await wait_exit(thread): continues once `thread` has exited or is gone,
// looking every `period` from the calling thread (spdk-rs's wait for a thread's
// exit). WrongThread outside an spdk_thread.
inline Task<Result<void>> wait_exit(
    WeakThread thread, std::chrono::microseconds period = std::chrono::milliseconds(1)) {
    while (!thread.expired()) {
        if (Result<void> slept = co_await sleep(period); !slept) {
            co_return slept;
        }
    }
    co_return {};
}

}  // namespace spdkcpp
