// IoDevice<Ctx>: a typed SPDK io_device whose per-thread channel context is a C++
// object of type Ctx, constructed and destroyed in the context memory SPDK
// allocates for each (device, thread) channel.
#pragma once

#include <coroutine>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "spdk/log.h"
#include "spdk/thread.h"
#include "spdkcpp/error.hpp"
#include "spdkcpp/io_channel.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

namespace detail {

// Lives from registration until SPDK reports the device unregistered; its
// address is the io_device.
struct IoDeviceRegistration {
    std::string name;
    spdk_thread *thread = nullptr;
    int (*construct)(IoDeviceRegistration *, void *ctx) = nullptr;
    void (*destruct)(void *ctx) noexcept = nullptr;
    void (*free)(IoDeviceRegistration *) noexcept = nullptr;

    static int create_cb(void *io_device, void *ctx) {
        auto *reg = static_cast<IoDeviceRegistration *>(io_device);
        return reg->construct(reg, ctx);
    }
    static void destroy_cb(void *io_device, void *ctx) {
        static_cast<IoDeviceRegistration *>(io_device)->destruct(ctx);
    }
    static void unregistered(void *io_device) {
        auto *reg = static_cast<IoDeviceRegistration *>(io_device);
        reg->free(reg);
    }
};

// Holds the arguments every channel context is constructed from.
template <typename Ctx, typename... Args>
struct TypedRegistration final : IoDeviceRegistration {
    std::tuple<Args...> args;

    explicit TypedRegistration(Args... a) : args(std::move(a)...) {
        construct = [](IoDeviceRegistration *base, void *ctx) -> int {
            auto *self = static_cast<TypedRegistration *>(base);
            std::apply([ctx](const Args &...stored) { ::new (ctx) Ctx(stored...); }, self->args);
            return 0;
        };
        destruct = [](void *ctx) noexcept { std::launder(static_cast<Ctx *>(ctx))->~Ctx(); };
        free = [](IoDeviceRegistration *base) noexcept {
            delete static_cast<TypedRegistration *>(base);
        };
    }
};

// The awaiter of for_each_channel: visits each channel of `device`, whose
// contexts are Ctx objects, on its own thread.
template <typename Ctx, typename F>
struct ForEachChannel {
    void *device;
    F fn;
    std::coroutine_handle<> handle;
    int status = 0;

    // An unregistered device (an empty owner) is not walked at all.
    bool await_ready() const noexcept { return device == nullptr; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        handle = h;
        spdk_for_each_channel(device, &visit, this, &done);
    }
    Result<void> await_resume() const {
        if (device == nullptr) {
            return fail(ErrorKind::Closed, "for_each_channel: the io_device was unregistered");
        }
        if (status == -ENODEV) {
            // SPDK starts no walk of a device whose unregistration is pending.
            return fail(ErrorKind::Closed, "for_each_channel: the io_device is being unregistered");
        }
        return check(status, "for_each_channel");
    }

    static void visit(spdk_io_channel_iter *i) {
        auto *self = static_cast<ForEachChannel *>(spdk_io_channel_iter_get_ctx(i));
        spdk_io_channel *ch = spdk_io_channel_iter_get_channel(i);
        auto &ctx = *std::launder(static_cast<Ctx *>(spdk_io_channel_get_ctx(ch)));
        int rc = 0;
        if constexpr (std::is_void_v<std::invoke_result_t<F &, Ctx &>>) {
            self->fn(ctx);
        } else {
            rc = static_cast<int>(self->fn(ctx));
        }
        spdk_for_each_channel_continue(i, rc);
    }
    static void done(spdk_io_channel_iter *i, int rc) {
        auto *self = static_cast<ForEachChannel *>(spdk_io_channel_iter_get_ctx(i));
        self->status = rc;
        self->handle.resume();
    }
};

}  // namespace detail

template <typename Ctx>
class IoDevice {
    static_assert(alignof(Ctx) <= alignof(void *),
                  "SPDK places channel contexts at pointer alignment");

  public:
    IoDevice() noexcept = default;
    IoDevice(const IoDevice &) = delete;
    IoDevice &operator=(const IoDevice &) = delete;
    IoDevice(IoDevice &&other) noexcept : reg_(std::exchange(other.reg_, nullptr)) {}
    IoDevice &operator=(IoDevice &&other) noexcept {
        if (this != &other) {
            reset();
            reg_ = std::exchange(other.reg_, nullptr);
        }
        return *this;
    }
    ~IoDevice() { reset(); }

    // Registers a device on the calling spdk_thread. Each channel's context is
    // constructed as Ctx(args...) from copies kept with the device.
    template <typename... Args>
    requires std::is_constructible_v < Ctx, const std::decay_t<Args>
    &... > static Result<IoDevice> create(std::string name, Args &&...args) {
        if (spdk_get_thread() == nullptr) {
            return fail(ErrorKind::WrongThread, "an io_device is registered on an spdk_thread");
        }
        auto *reg = new (std::nothrow)
            detail::TypedRegistration<Ctx, std::decay_t<Args>...>(std::forward<Args>(args)...);
        if (reg == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot allocate io_device '" + name + "'");
        }
        reg->name = std::move(name);
        reg->thread = spdk_get_thread();
        spdk_io_device_register(reg, &detail::IoDeviceRegistration::create_cb,
                                &detail::IoDeviceRegistration::destroy_cb,
                                static_cast<uint32_t>(sizeof(Ctx)), reg->name.c_str());
        return IoDevice(reg);
    }

    [[nodiscard]] explicit operator bool() const noexcept { return reg_ != nullptr; }
    [[nodiscard]] void *raw() const noexcept { return reg_; }
    [[nodiscard]] const std::string &name() const noexcept { return reg_->name; }

    // This thread's channel (created on first use, shared after that).
    Result<IoChannel<Ctx>> channel() const {
        if (reg_ == nullptr) {
            return fail(ErrorKind::Closed, "io_device was unregistered");
        }
        if (spdk_get_thread() == nullptr) {
            return fail(ErrorKind::WrongThread, "a channel is got on an spdk_thread");
        }
        spdk_io_channel *ch = spdk_get_io_channel(reg_);
        if (ch == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot get a channel of '" + reg_->name + "'");
        }
        return IoChannel<Ctx>(ch);
    }

    // co_await dev.for_each_channel(fn): calls fn(Ctx&) on each thread that holds
    // a channel of the device, one after the other, each on its own thread; fn
    // returns void or an int status (non-zero stops the walk). Continues on the
    // calling thread with the status; Closed once the device is unregistered (a
    // walk already under way finishes first, and holds the unregistration back).
    template <typename F>
    requires std::is_invocable_v<F &, Ctx &>
    auto for_each_channel(F fn) const {
        return detail::ForEachChannel<Ctx, F>{reg_, std::move(fn), {}};
    }

    // Unregisters now (the owner becomes empty). SPDK finishes the unregistration
    // after the device's last channel is put.
    void unregister() noexcept { reset(); }

  private:
    explicit IoDevice(detail::IoDeviceRegistration *reg) noexcept : reg_(reg) {}

    void reset() noexcept {
        detail::IoDeviceRegistration *reg = std::exchange(reg_, nullptr);
        if (reg == nullptr) {
            return;
        }
        if (spdk_get_thread() != nullptr) {
            spdk_io_device_unregister(reg, &detail::IoDeviceRegistration::unregistered);
            return;
        }
        const int rc = spdk_thread_send_msg(
            reg->thread,
            [](void *arg) {
                spdk_io_device_unregister(arg, &detail::IoDeviceRegistration::unregistered);
            },
            reg);
        if (rc != 0) {
            SPDK_ERRLOG("io_device '%s' leaked: cannot send its unregistration (%d)\n",
                        reg->name.c_str(), rc);
        }
    }

    detail::IoDeviceRegistration *reg_ = nullptr;
};

}  // namespace spdkcpp
