// BdevRegistration<Ops>: the owner of a bdev a C++ module registered (made by
// BdevBuilder::build), and TypedBdev<Ops>: a registered bdev seen as its own type.
//
// Dropping the owner unregisters the bdev; `co_await reg.unregister()` does so and
// reports SPDK's status. Unregistration finishes once every descriptor is closed
// (SPDK sends them REMOVE). When the bdev goes away by other means (the bdev layer
// stopping, another unregister, a hot remove), the owner is told and becomes empty:
// it never refers to a freed bdev. Use the owner on the thread that registered.
#pragma once

#include <fmt/format.h>

#include <coroutine>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/detail/bdev_glue.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/io_device.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

template <typename Ops>
class BdevRegistration {
    using State = detail::BdevState<Ops>;

  public:
    BdevRegistration() noexcept = default;
    BdevRegistration(const BdevRegistration &) = delete;
    BdevRegistration &operator=(const BdevRegistration &) = delete;
    BdevRegistration(BdevRegistration &&other) noexcept { take(other); }
    BdevRegistration &operator=(BdevRegistration &&other) noexcept {
        if (this != &other) {
            reset();
            take(other);
        }
        return *this;
    }
    ~BdevRegistration() { reset(); }

    // Registered, and not yet unregistered.
    [[nodiscard]] explicit operator bool() const noexcept { return state_ != nullptr; }
    [[nodiscard]] Bdev bdev() const noexcept {
        return Bdev(state_ != nullptr ? &state_->bdev : nullptr);
    }
    [[nodiscard]] std::string_view name() const noexcept {
        return state_ != nullptr ? std::string_view(state_->name) : std::string_view();
    }
    // The bdev's ops; only while registered.
    [[nodiscard]] Ops &ops() const noexcept { return state_->ops(); }

    // co_await reg.unregister(): unregisters and waits until SPDK has destroyed the
    // bdev. Closed when it was no longer registered; SPDK's error otherwise.
    [[nodiscard]] auto unregister() {
        struct Awaiter {
            State *state;
            std::coroutine_handle<> handle;
            int rc = 0;
            bool in_call = false;
            bool finished = false;

            bool await_ready() const noexcept { return state == nullptr; }
            bool await_suspend(std::coroutine_handle<> h) noexcept {
                handle = h;
                in_call = true;
                spdk_bdev_unregister(&state->bdev, &done, this);
                in_call = false;
                return !finished;
            }
            static void done(void *arg, int rc) {
                auto *self = static_cast<Awaiter *>(arg);
                self->rc = rc;
                self->finished = true;
                if (!self->in_call) {
                    self->handle.resume();
                }
            }
            Result<void> await_resume() const {
                if (state == nullptr) {
                    return fail(ErrorKind::Closed, "the bdev is no longer registered");
                }
                if (rc != 0) {
                    return fail(Error(ErrorKind::BdevUnregisterFailed, rc,
                                      "spdk_bdev_unregister reported a failure"));
                }
                return {};
            }
        };
        State *s = std::exchange(state_, nullptr);
        if (s != nullptr) {
            s->owner = nullptr;
        }
        return Awaiter{s, {}};
    }

  private:
    template <typename, unsigned>
    friend class BdevBuilder;
    friend struct detail::BdevGlue<Ops>;

    explicit BdevRegistration(State *s) noexcept : state_(s) { s->owner = this; }

    // The bdev is being destroyed by other means.
    void forget() noexcept { state_ = nullptr; }

    void take(BdevRegistration &other) noexcept {
        state_ = std::exchange(other.state_, nullptr);
        if (state_ != nullptr) {
            state_->owner = this;
        }
    }

    void reset() noexcept {
        State *s = std::exchange(state_, nullptr);
        if (s == nullptr) {
            return;
        }
        s->owner = nullptr;
        if (spdk_get_thread() == s->thread) {
            spdk_bdev_unregister(&s->bdev, nullptr, nullptr);
            return;
        }
        // Elsewhere: by name, on the registering thread, as the bdev may be gone
        // by the time the message runs.
        struct ByName {
            std::string name;
            spdk_bdev_module *module;
        };
        auto *msg = new (std::nothrow) ByName{s->name, s->bdev.module};
        if (msg == nullptr || detail::send_or_retry(
                                  s->thread,
                                  [](void *arg) {
                                      auto *m = static_cast<ByName *>(arg);
                                      (void)spdk_bdev_unregister_by_name(m->name.c_str(), m->module,
                                                                         nullptr, nullptr);
                                      delete m;
                                  },
                                  msg) != 0) {
            SPDK_ERRLOG("bdev '%s' left registered: cannot reach its thread\n", s->name.c_str());
            delete msg;
        }
    }

    State *state_ = nullptr;
};

// A registered bdev known to be of type Ops (registered through BdevBuilder<Ops>):
// the way to reach its ops from its name. Any other bdev, of another module or of
// another Ops type of the same module, is refused, never reinterpreted.
template <typename Ops>
class TypedBdev {
  public:
    static Result<TypedBdev> from(Bdev bdev) {
        if (!bdev) {
            return fail(ErrorKind::BdevNotFound, "no bdev");
        }
        if (bdev.raw()->fn_table != &detail::BdevGlue<Ops>::fn_table) {
            const spdk_bdev_module *m = bdev.raw()->module;
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("bdev '{}' (module '{}') is not of the requested type",
                                    bdev.name(), m != nullptr ? m->name : "?"));
        }
        return TypedBdev(bdev);
    }
    static Result<TypedBdev> lookup(const std::string &name) {
        Result<Bdev> b = Bdev::lookup(name);
        if (!b) {
            return fail(b.error());
        }
        return from(*b);
    }

    [[nodiscard]] Bdev bdev() const noexcept { return bdev_; }
    [[nodiscard]] Ops &ops() const noexcept {
        return static_cast<detail::BdevState<Ops> *>(bdev_.raw()->ctxt)->ops();
    }

    // co_await typed.for_each_channel(fn): calls fn(Ops::Channel &) on each thread
    // that holds a channel of the bdev, each on its own thread, one after the other
    // (per-channel state such as I/O a module holds back); continues on the calling
    // thread with fn's first non-zero status, if fn returns one. Channels outlive
    // the walk: SPDK unregisters the bdev's device only after it.
    template <typename F>
    requires std::is_invocable_v<F &, typename Ops::Channel &>
    [[nodiscard]] auto for_each_channel(F fn) const {
        // The bdev's context is its state, which is also its io_device.
        return detail::ForEachChannel<typename Ops::Channel, F>{
            bdev_.raw()->ctxt, std::move(fn), {}};
    }

  private:
    explicit TypedBdev(Bdev b) noexcept : bdev_(b) {}
    Bdev bdev_;
};

}  // namespace spdkcpp
