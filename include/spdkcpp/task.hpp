// Task<T>: a lazy, move-only coroutine that produces a T (usually a Result<U>).
//
// A Task starts when it is awaited (or spawned) and resumes its awaiter when it
// finishes, on whatever spdk_thread it finished on. Frames are recycled per OS
// thread (detail::FramePool).
//
// Cancellation: dropping a Task that has started but not finished does not destroy
// its frame, because an I/O it waits on still refers to it. The task runs on to its
// end, detached, and then frees itself; nothing ever calls back into a freed frame.
#pragma once

#include <atomic>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "spdkcpp/detail/frame_pool.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

template <typename T>
class Task;

namespace detail {

struct TaskAccess {
    template <typename T>
    static auto handle(const Task<T> &task) noexcept {
        return task.handle_;
    }
    template <typename T>
    static auto release(Task<T> &task) noexcept {
        return std::exchange(task.handle_, {});
    }
};

// What happens when a task finishes: resume an awaiter, call a notifier, or free
// the frame (detached).
struct PromiseBase {
    std::coroutine_handle<> continuation;
    void (*notify)(void *ctx) = nullptr;
    void *notify_ctx = nullptr;
    bool started = false;
    // Who frees the frame of a task nobody awaits: its owner (Task::reset) or the
    // task itself at its end. Atomic, as the two may run on different OS threads.
    enum class Owner : unsigned char { task_object, detached, finished };
    std::atomic<Owner> owner{Owner::task_object};

    // Marks the task finished and consumed; true when nobody owns the frame any
    // more and the caller must free it.
    bool settle() noexcept {
        return owner.exchange(Owner::finished, std::memory_order_acq_rel) == Owner::detached;
    }

    static void *operator new(std::size_t size) { return FramePool::allocate(size); }
    static void operator delete(void *p, std::size_t size) noexcept {
        FramePool::deallocate(p, size);
    }

    std::suspend_always initial_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { std::terminate(); }

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) noexcept {
            PromiseBase &p = self.promise();
            if (p.continuation) {
                // The awaiter takes the value, then settles who frees the frame.
                return p.continuation;
            }
            if (p.notify != nullptr) {
                // Notified tasks are owned by a Task object (when_all, a driver),
                // which frees the frame after taking the value.
                (void)p.settle();
                p.notify(p.notify_ctx);
            } else if (p.settle()) {
                self.destroy();
            }
            return std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
};

template <typename T>
struct Promise : PromiseBase {
    std::optional<T> value;
    Task<T> get_return_object() noexcept;
    template <typename U>
    requires std::is_convertible_v<U &&, T>
    void return_value(U &&v) { value.emplace(std::forward<U>(v)); }
    // `co_return {};`: a value-initialized T (success, for a Result<void>).
    void return_value(T &&v) { value.emplace(std::move(v)); }
    T take() { return std::move(*value); }
};

template <>
struct Promise<void> : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void take() noexcept {}
};

}  // namespace detail

template <typename T = void>
class [[nodiscard]] Task {
  public:
    using promise_type = detail::Promise<T>;
    using Handle = std::coroutine_handle<promise_type>;

    Task() noexcept = default;
    Task(const Task &) = delete;
    Task &operator=(const Task &) = delete;
    Task(Task &&other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Task &operator=(Task &&other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    ~Task() { reset(); }

    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(handle_); }
    [[nodiscard]] bool done() const noexcept { return handle_ && handle_.done(); }

    // Awaiting starts the task and gives its value.
    auto operator co_await() &&noexcept {
        struct Awaiter {
            Handle handle;
            bool await_ready() noexcept { return !handle || handle.done(); }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
                handle.promise().continuation = awaiter;
                handle.promise().started = true;
                return handle;
            }
            T await_resume() {
                if constexpr (std::is_void_v<T>) {
                    if (handle.promise().settle()) {
                        handle.destroy();
                    }
                } else {
                    T value = handle.promise().take();
                    if (handle.promise().settle()) {
                        handle.destroy();  // its Task was dropped while it ran
                    }
                    return value;
                }
            }
        };
        return Awaiter{handle_};
    }

  private:
    friend struct detail::Promise<T>;
    // The frame is reached only by the library's schedulers and combinators
    // (spawn, when_all, App, ThreadDriver): resuming it by hand and then dropping
    // the Task would free a frame that I/O in flight still refers to.
    friend struct detail::TaskAccess;
    explicit Task(Handle h) noexcept : handle_(h) {}

    void reset() noexcept {
        Handle h = std::exchange(handle_, {});
        if (!h) {
            return;
        }
        auto &p = h.promise();
        if (!p.started) {
            h.destroy();
            return;
        }
        // Started: free the frame now if it is finished and consumed; otherwise it
        // frees itself when it finishes (see the header comment), after an
        // awaiter, if any, took its value.
        p.notify = nullptr;
        if (p.owner.exchange(detail::PromiseBase::Owner::detached, std::memory_order_acq_rel) ==
            detail::PromiseBase::Owner::finished) {
            h.destroy();
        }
    }

    Handle handle_;
};

namespace detail {
template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

inline void resume_handle(void *address) {
    std::coroutine_handle<>::from_address(address).resume();
}

// Marks a task started and has notify(ctx) called when it finishes; the caller
// then starts it (resumes its handle) and, once notified, takes its value.
template <typename T>
void notify_on_finish(const Task<T> &task, void (*notify)(void *), void *ctx) noexcept {
    auto &p = TaskAccess::handle(task).promise();
    p.notify = notify;
    p.notify_ctx = ctx;
    p.started = true;
}

template <typename T>
typename Task<T>::Handle detach(Task<T> task) noexcept {
    auto h = TaskAccess::release(task);
    h.promise().started = true;
    h.promise().owner.store(PromiseBase::Owner::detached, std::memory_order_relaxed);
    return h;
}
}  // namespace detail

// Starts a task on the calling thread now, detached: it frees itself at its end.
template <typename T>
void spawn(Task<T> task) {
    if (task) {
        detail::detach(std::move(task)).resume();
    }
}

// Starts a task on another thread through a message, detached. Closed or
// OutOfMemory when the message cannot be sent (the task is then dropped unrun).
template <typename T>
Result<void> spawn(ThreadRef thread, Task<T> task) {
    if (!task) {
        return fail(ErrorKind::InvalidParameter, "spawn of an empty task");
    }
    if (!thread) {
        return fail(ErrorKind::InvalidParameter, "spawn on an empty ThreadRef");
    }
    auto h = detail::detach(std::move(task));
    const int rc = spdk_thread_send_msg(thread.raw(), &detail::resume_handle, h.address());
    if (rc != 0) {
        h.destroy();
        return fail(detail::send_error(rc, thread.raw()));
    }
    return {};
}

}  // namespace spdkcpp
