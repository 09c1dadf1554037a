// SPDK threads: ThreadRef (a non-owning handle), WeakThread (a handle that may
// outlive its thread) and Thread (the RAII owner).
//
// An spdk_thread is a lightweight scheduling context, not an OS thread: a reactor
// (or a test driver) polls it. Work reaches a thread as messages, run in order.
//
// Lifetimes: once a thread has exited, whoever polls it destroys it. A ThreadRef is
// a plain pointer, free to copy and to send through: use it while the thread is
// known to live (its Thread owner is held, or it is the current thread). Sending
// to an exited thread that is not yet destroyed gives Closed; after its
// destruction a ThreadRef dangles, as a raw spdk_thread pointer would. A handle
// that must outlive its thread is a WeakThread: it finds the thread by id at each
// use and gives Closed once the thread has exited or is gone.
#pragma once

#include <cerrno>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "spdk/log.h"
#include "spdk/thread.h"
#include "spdkcpp/core_mask.hpp"
#include "spdkcpp/detail/packed_callable.hpp"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

namespace detail {

// The error of a failed spdk_thread_send_msg: Closed for an exited thread (-EIO),
// else the errno's own kind (OutOfMemory for a full queue).
// SPDK answers -EIO both for an exited thread and for a full message ring (-ENOMEM
// is its empty message pool): the thread tells which.
inline Error send_error(int rc, spdk_thread *target) {
    if (rc == -EIO) {
        if (target == nullptr || spdk_thread_is_exited(target)) {
            return {ErrorKind::Closed, EIO, "thread has exited"};
        }
        return {ErrorKind::OutOfMemory, ENOMEM, "the thread's message queue is full"};
    }
    return Error::from_errno(rc, "spdk_thread_send_msg");
}

// Whether a failed send found the target's queue full (not the thread gone).
inline bool queue_was_full(int rc, spdk_thread *target) noexcept {
    return rc == -ENOMEM || (rc == -EIO && target != nullptr && !spdk_thread_is_exited(target));
}

// Sends fn(arg) to `target` for work that must not be lost (a release, a
// resumption): when the target's queue is full (queue_was_full), a poller on the caller's
// thread sends it again at each poll until it goes through, so the work comes late
// rather than never. 0 once sent or retrying; -EIO when the target has exited;
// the send's error when the queue is full and no retry can be set up (outside an
// spdk_thread, or no memory for the poller). Allocates only on a full queue.
inline int send_or_retry(spdk_thread *target, spdk_msg_fn fn, void *arg) noexcept {
    const int rc = spdk_thread_send_msg(target, fn, arg);
    if (rc == 0 || !queue_was_full(rc, target) || spdk_get_thread() == nullptr) {
        return rc;
    }
    struct Retry {
        spdk_thread *target;
        spdk_msg_fn fn;
        void *arg;
        spdk_poller *poller = nullptr;
    };
    auto *retry = new (std::nothrow) Retry{target, fn, arg};
    if (retry == nullptr) {
        return -ENOMEM;
    }
    retry->poller = spdk_poller_register(
        [](void *ctx) -> int {
            auto *r = static_cast<Retry *>(ctx);
            const int sent = spdk_thread_send_msg(r->target, r->fn, r->arg);
            if (sent != 0 && queue_was_full(sent, r->target)) {
                return SPDK_POLLER_IDLE;  // still full: the next poll tries again
            }
            if (sent != 0) {
                SPDK_ERRLOG("a message was lost: its thread exited before it could be sent\n");
            }
            spdk_poller_unregister(&r->poller);
            delete r;
            return SPDK_POLLER_BUSY;
        },
        retry, 0);
    if (retry->poller == nullptr) {
        delete retry;
        return -ENOMEM;
    }
    return 0;
}

// Runs fn(arg) on `owner`: at once when the caller runs there, else through a
// message (retried while the owner's queue is full). For releases SPDK accepts
// only on the resource's own thread; when the message cannot be sent at all the
// resource is left alone (a leak, logged), never released on the wrong thread.
inline void release_on(spdk_thread *owner, spdk_msg_fn fn, void *arg, const char *what) noexcept {
    if (spdk_get_thread() == owner) {
        fn(arg);
        return;
    }
    if (const int rc = send_or_retry(owner, fn, arg); rc != 0) {
        SPDK_ERRLOG("%s leaked: cannot send its release to its thread (%d)\n", what, rc);
    }
}

}  // namespace detail

class ThreadRef {
  public:
    constexpr ThreadRef() noexcept = default;
    explicit constexpr ThreadRef(spdk_thread *thread) noexcept : thread_(thread) {}

    // The spdk_thread running the caller; empty outside any.
    static ThreadRef current() noexcept { return ThreadRef(spdk_get_thread()); }

    [[nodiscard]] explicit operator bool() const noexcept { return thread_ != nullptr; }
    [[nodiscard]] bool is_current() const noexcept { return thread_ == spdk_get_thread(); }
    [[nodiscard]] std::string_view name() const noexcept {
        return thread_ != nullptr ? spdk_thread_get_name(thread_) : std::string_view{};
    }
    [[nodiscard]] std::uint64_t id() const noexcept {
        return thread_ != nullptr ? spdk_thread_get_id(thread_) : 0;
    }
    [[nodiscard]] spdk_thread *raw() const noexcept { return thread_; }

    // Runs fn() on this thread, after the messages already queued to it. fn may be
    // move-only; one that fits in a pointer (say, a lambda capturing one pointer)
    // is sent without allocating. Errors: Closed when the thread has exited,
    // OutOfMemory when its message queue is full.
    template <typename F>
    requires std::is_invocable_v < std::decay_t<F>
    & > Result<void> send(F &&fn) const {
        using Fn = std::decay_t<F>;
        if (thread_ == nullptr) {
            return fail(ErrorKind::InvalidParameter, "send to an empty ThreadRef");
        }
        void *ctx = detail::pack(std::forward<F>(fn));
        if (!detail::packed_ok<Fn>(ctx)) {
            return fail(ErrorKind::OutOfMemory, "cannot allocate a message");
        }
        const int rc = spdk_thread_send_msg(thread_, &detail::run_packed<Fn>, ctx);
        if (rc != 0) {
            detail::drop_packed<Fn>(ctx);
            return fail(detail::send_error(rc, thread_));
        }
        return {};
    }

    friend bool operator==(ThreadRef a, ThreadRef b) noexcept = default;

  private:
    spdk_thread *thread_ = nullptr;
};

// A handle that may outlive its thread: it keeps the thread's id and finds the
// thread again at each use (SPDK's thread list, under its lock: a lookup per use,
// for long-lived handles, not for a message per I/O). A thread that has exited or
// is gone gives Closed. The thread is found and used on the caller's core: one
// destroyed by another core in between is SPDK's own race, as for any sender.
class WeakThread {
  public:
    WeakThread() noexcept = default;
    explicit WeakThread(ThreadRef thread) noexcept : id_(thread ? thread.id() : 0) {}

    // The thread, while it runs; Closed once it has exited or is gone.
    [[nodiscard]] Result<ThreadRef> lock() const {
        if (id_ == 0) {
            return fail(ErrorKind::InvalidParameter, "an empty WeakThread");
        }
        spdk_thread *t = spdk_thread_get_by_id(id_);
        if (t == nullptr || spdk_thread_is_exited(t)) {
            return fail(ErrorKind::Closed, "thread " + std::to_string(id_) + " has exited");
        }
        return ThreadRef(t);
    }
    // Exited or gone (or empty).
    [[nodiscard]] bool expired() const { return !lock(); }
    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

    template <typename F>
    Result<void> send(F &&fn) const {
        Result<ThreadRef> t = lock();
        if (!t) {
            return fail(t.error());
        }
        return t->send(std::forward<F>(fn));
    }

  private:
    std::uint64_t id_ = 0;
};

// Owns an spdk_thread. Dropping the owner asks the thread to exit (through a
// message, so it finishes what is queued first) and returns at once; whoever
// polls the thread (a reactor, a test driver) destroys it once it has exited.
class Thread {
  public:
    Thread() noexcept = default;
    Thread(const Thread &) = delete;
    Thread &operator=(const Thread &) = delete;
    Thread(Thread &&other) noexcept : ref_(std::exchange(other.ref_, {})) {}
    Thread &operator=(Thread &&other) noexcept {
        if (this != &other) {
            reset();
            ref_ = std::exchange(other.ref_, {});
        }
        return *this;
    }
    ~Thread() { reset(); }

    // cores: where reactors may run the thread; all cores when empty.
    static Result<Thread> create(const std::string &name, const CoreMask *cores = nullptr) {
        spdk_thread *t =
            spdk_thread_create(name.c_str(), cores != nullptr ? cores->raw() : nullptr);
        if (t == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot create thread '" + name + "'");
        }
        return Thread(ThreadRef(t));
    }

    [[nodiscard]] ThreadRef ref() const noexcept { return ref_; }
    // A handle that stays safe after the owner is dropped and the thread is gone.
    [[nodiscard]] WeakThread weak() const noexcept { return WeakThread(ref_); }
    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(ref_); }
    [[nodiscard]] std::string_view name() const noexcept { return ref_.name(); }
    [[nodiscard]] std::uint64_t id() const noexcept { return ref_.id(); }

    template <typename F>
    Result<void> send(F &&fn) const {
        return ref_.send(std::forward<F>(fn));
    }

    // Asks the thread to exit now; the owner becomes empty.
    Result<void> exit() {
        if (!ref_) {
            return fail(ErrorKind::Closed, "thread already released");
        }
        ThreadRef t = std::exchange(ref_, {});
        if (t.is_current()) {
            return check(spdk_thread_exit(t.raw()), "spdk_thread_exit");
        }
        return t.send([] { spdk_thread_exit(spdk_get_thread()); });
    }

  private:
    explicit Thread(ThreadRef ref) noexcept : ref_(ref) {}
    void reset() noexcept {
        if (ref_) {
            (void)exit();
        }
    }

    ThreadRef ref_;
};

}  // namespace spdkcpp
