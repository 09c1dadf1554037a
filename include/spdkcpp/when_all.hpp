// when_all: runs several tasks at once and continues when all have finished.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "spdk/thread.h"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

namespace detail {

// Counts finished children; the last one resumes the awaiting coroutine on the
// thread it awaited from (through a message when it finished elsewhere).
struct WhenAllLatch {
    std::atomic<std::size_t> remaining;
    std::coroutine_handle<> awaiter;
    spdk_thread *thread = nullptr;

    explicit WhenAllLatch(std::size_t children) : remaining(children + 1) {}

    static void child_done(void *ctx) {
        auto *latch = static_cast<WhenAllLatch *>(ctx);
        if (latch->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            latch->resume();
        }
    }

    void resume() {
        if (thread == nullptr || thread == spdk_get_thread()) {
            awaiter.resume();
        } else if (send_or_retry(thread, &resume_handle, awaiter.address()) != 0) {
            // The awaiting thread has exited (or is out of reach even by a retry):
            // resuming here beats never.
            awaiter.resume();
        }
    }

    // Starts the children; true when the awaiter must suspend.
    template <typename StartAll>
    bool start(std::coroutine_handle<> h, StartAll &&start_all) {
        awaiter = h;
        thread = spdk_get_thread();
        start_all();
        return remaining.fetch_sub(1, std::memory_order_acq_rel) != 1;
    }
};

}  // namespace detail

// co_await when_all(a(), b()) gives a tuple of their values, in argument order.
template <typename... T>
requires(!std::is_void_v<T> && ...) auto when_all(Task<T>... tasks) {
    struct Awaiter {
        std::tuple<Task<T>...> tasks;
        detail::WhenAllLatch latch{sizeof...(T)};

        bool await_ready() const noexcept { return sizeof...(T) == 0; }
        bool await_suspend(std::coroutine_handle<> h) {
            return latch.start(h, [this] {
                std::apply(
                    [this](auto &...t) {
                        (detail::notify_on_finish(t, &detail::WhenAllLatch::child_done, &latch),
                         ...);
                    },
                    tasks);
                std::apply([](auto &...t) { (detail::TaskAccess::handle(t).resume(), ...); },
                           tasks);
            });
        }
        std::tuple<T...> await_resume() {
            return std::apply(
                [](auto &...t) {
                    return std::tuple<T...>(detail::TaskAccess::handle(t).promise().take()...);
                },
                tasks);
        }
    };
    return Awaiter{std::tuple<Task<T>...>(std::move(tasks)...)};
}

// co_await when_all(std::move(vector_of_tasks)) gives their values in order.
template <typename T>
requires(!std::is_void_v<T>) auto when_all(std::vector<Task<T>> tasks) {
    struct Awaiter {
        std::vector<Task<T>> tasks;
        detail::WhenAllLatch latch;

        bool await_ready() const noexcept { return tasks.empty(); }
        bool await_suspend(std::coroutine_handle<> h) {
            return latch.start(h, [this] {
                for (auto &t : tasks) {
                    detail::notify_on_finish(t, &detail::WhenAllLatch::child_done, &latch);
                }
                for (auto &t : tasks) {
                    detail::TaskAccess::handle(t).resume();
                }
            });
        }
        std::vector<T> await_resume() {
            std::vector<T> out;
            out.reserve(tasks.size());
            for (auto &t : tasks) {
                out.push_back(detail::TaskAccess::handle(t).promise().take());
            }
            return out;
        }
    };
    const std::size_t n = tasks.size();
    return Awaiter{std::move(tasks), detail::WhenAllLatch(n)};
}

}  // namespace spdkcpp
