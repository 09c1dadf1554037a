// Internal: what connects a BdevOps class to SPDK's bdev module API: the state a
// registered bdev lives in, and the spdk_bdev_fn_table of each Ops type.
//
// Lifetime of a BdevState: made by BdevBuilder::build; it is the bdev's ctxt and
// its io_device. On destruct (the bdev unregistered, every descriptor closed) the
// ops' own destruct runs, then the io_device is unregistered; once SPDK reports the
// device gone (every channel destroyed) the bdev's destruct is done and the state
// is freed. The owner (BdevRegistration) is told before, so it never dangles.
#pragma once

#include <algorithm>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev_io.hpp"
#include "spdkcpp/bdev_ops.hpp"
#include "spdkcpp/json_writer.hpp"
#include "spdkcpp/task.hpp"

namespace spdkcpp {

template <typename Ops>
class BdevRegistration;

namespace detail {

template <typename Ops>
struct BdevState {
    spdk_bdev bdev{};
    std::string name;
    std::string product_name;
    spdk_thread *thread = nullptr;  // where it was registered
    BdevRegistration<Ops> *owner = nullptr;
    // Destroyed before the bdev's destruct is reported done, so that what the ops
    // hold (a claimed base's descriptor) is released before SPDK moves on.
    std::optional<Ops> held;

    template <typename... Args>
    explicit BdevState(Args &&...args) : held(std::in_place, std::forward<Args>(args)...) {}
    Ops &ops() noexcept { return *held; }
};

template <typename Ops>
struct BdevGlue {
    using State = BdevState<Ops>;
    using Channel = typename Ops::Channel;
    static_assert(alignof(Channel) <= alignof(void *),
                  "BdevOps: SPDK places channel contexts at pointer alignment");
    static_assert(alignof(IoFrame<Ops>) <= SPDK_CACHE_LINE_SIZE,
                  "BdevOps: IoContext may need at most cache-line alignment");

    static State &state(void *ctx) noexcept { return *static_cast<State *>(ctx); }

    static int create_channel(void *device, void *ctx) {
        Ops &ops = state(device).ops();
        if constexpr (ChannelMakesItself<Ops>) {
            Result<Channel> made = Channel::create(ops);
            if (!made) {
                SPDK_ERRLOG("bdev '%s': cannot make a channel: %s\n", state(device).name.c_str(),
                            made.error().message().c_str());
                return -made.error().code();
            }
            ::new (ctx) Channel(std::move(*made));
        } else {
            ::new (ctx) Channel(ops);
        }
        return 0;
    }
    static void destroy_channel(void *, void *ctx) {
        std::launder(static_cast<Channel *>(ctx))->~Channel();
    }

    static void submit_request(spdk_io_channel *ch, spdk_bdev_io *io) {
        State &s = state(io->bdev->ctxt);
        ::new (io->driver_ctx) IoFrame<Ops>;  // trivial: no code
        s.ops().submit(*std::launder(static_cast<Channel *>(spdk_io_channel_get_ctx(ch))),
                       BdevIo<Ops>(io));
    }

    static bool io_type_supported(void *ctx, spdk_bdev_io_type type) {
        return static_cast<const Ops &>(state(ctx).ops()).supports(static_cast<IoType>(type));
    }

    static spdk_io_channel *get_io_channel(void *ctx) { return spdk_get_io_channel(ctx); }

    static int dump_info_json(void *ctx, spdk_json_write_ctx *w) {
        JsonWriter writer(w);
        static_cast<const Ops &>(state(ctx).ops()).dump_info_json(writer);
        return writer.ok() ? 0 : -EINVAL;
    }
    static void write_config_json(spdk_bdev *bdev, spdk_json_write_ctx *w) {
        JsonWriter writer(w);
        static_cast<const Ops &>(state(bdev->ctxt).ops()).write_config_json(writer);
    }

    static int destruct(void *ctx) {
        State &s = state(ctx);
        if constexpr (HasAsyncDestruct<Ops>) {
            spawn(destruct_then_unregister(&s));
        } else {
            if constexpr (HasSyncDestruct<Ops>) {
                s.ops().destruct();
            }
            spdk_io_device_unregister(&s, &device_gone);
        }
        return 1;  // done when the io_device is gone: spdk_bdev_destruct_done
    }
    static Task<void> destruct_then_unregister(State *s) {
        co_await s->ops().destruct();
        spdk_io_device_unregister(s, &device_gone);
    }
    static void device_gone(void *device) {
        State *s = &state(device);
        if (s->owner != nullptr) {
            s->owner->forget();
        }
        s->held.reset();
        // Calls the unregister callback, which may resume the unregistering
        // coroutine; SPDK does not touch the bdev after it returns.
        spdk_bdev_destruct_done(&s->bdev, 0);
        delete s;
    }

    // A state whose bdev was never registered.
    static void discard(State *s) {
        spdk_io_device_unregister(s, [](void *device) { delete &state(device); });
    }

    static constexpr spdk_bdev_fn_table make_fn_table() {
        spdk_bdev_fn_table t{};
        t.destruct = &destruct;
        t.submit_request = &submit_request;
        t.io_type_supported = &io_type_supported;
        t.get_io_channel = &get_io_channel;
        if constexpr (HasDumpInfo<Ops>) {
            t.dump_info_json = &dump_info_json;
        }
        if constexpr (HasWriteConfig<Ops>) {
            t.write_config_json = &write_config_json;
        }
        return t;
    }
    // Its address tells the bdevs of this Ops type from every other bdev.
    static constexpr spdk_bdev_fn_table fn_table = make_fn_table();
};

}  // namespace detail
}  // namespace spdkcpp
