// Awaitable forms of SPDK's subsystem calls (spdk/init.h), for programs and tests
// that bring SPDK up without spdk_app_start (under a ThreadDriver, say):
//
//   co_await init_subsystems();
//   co_await load_config(R"({"subsystems":[{"subsystem":"bdev","config":[...]}]})");
//   ...
//   co_await fini_subsystems();
//
// Each runs on the calling spdk_thread and continues there.
#pragma once

#include <sys/types.h>

#include <coroutine>
#include <string>

#include "spdk/init.h"
#include "spdk/rpc.h"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

namespace detail {

// Shared by the awaiters: an SPDK completion that gives an int rc.
struct RcAwaiter {
    std::coroutine_handle<> handle;
    int rc = 0;
    static void done(int rc, void *arg) {
        auto *self = static_cast<RcAwaiter *>(arg);
        self->rc = rc;
        self->handle.resume();
    }
};

}  // namespace detail

// Initializes every registered subsystem (bdev, ...) in dependency order, then
// moves SPDK's RPC state to RUNTIME as the app framework does, so that a JSON
// config loaded afterwards runs its RUNTIME methods (bdev_malloc_create, ...).
inline auto init_subsystems() {
    struct Awaiter : detail::RcAwaiter {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            handle = h;
            spdk_subsystem_init(&RcAwaiter::done, static_cast<RcAwaiter *>(this));
        }
        Result<void> await_resume() const {
            if (rc == 0) {
                spdk_rpc_set_state(SPDK_RPC_RUNTIME);
            }
            return check(rc, "subsystem initialization");
        }
    };
    return Awaiter{};
}

// Applies an SPDK JSON config held in memory. The text must outlive the await.
inline auto load_config(std::string &json, bool stop_on_error = true) {
    struct Awaiter : detail::RcAwaiter {
        std::string *json;
        bool stop_on_error;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            handle = h;
            spdk_subsystem_load_config(json->data(), static_cast<ssize_t>(json->size()),
                                       &RcAwaiter::done, static_cast<RcAwaiter *>(this),
                                       stop_on_error);
        }
        Result<void> await_resume() const { return check(rc, "loading the JSON config"); }
    };
    Awaiter a;
    a.json = &json;
    a.stop_on_error = stop_on_error;
    return a;
}

// Finishes every subsystem in reverse order (bdevs are unregistered); SPDK's RPC
// state is back to STARTUP after it, ready for the next init_subsystems.
inline auto fini_subsystems() {
    struct Awaiter {
        std::coroutine_handle<> handle;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            handle = h;
            spdk_subsystem_fini([](void *arg) { static_cast<Awaiter *>(arg)->handle.resume(); },
                                this);
        }
        void await_resume() const noexcept { spdk_rpc_set_state(SPDK_RPC_STARTUP); }
    };
    return Awaiter{};
}

}  // namespace spdkcpp
