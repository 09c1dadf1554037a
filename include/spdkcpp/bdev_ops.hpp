// BdevOps: what a block device written in C++ provides (spdk-rs `BdevOps`).
//
//   struct MyOps {
//       struct Channel { explicit Channel(MyOps &); ... };  // per-thread context
//       struct IoContext { ... };                    // optional, per I/O, trivial
//       void submit(Channel &, spdkcpp::BdevIo<MyOps>);
//       bool supports(spdkcpp::IoType) const;
//       // optional:
//       void destruct();                       // or Task<void> destruct()
//       void dump_info_json(spdkcpp::JsonWriter &) const;
//       void write_config_json(spdkcpp::JsonWriter &) const;
//   };
//
// Channel is made on each thread that gets a channel of the bdev, from the ops
// (`Channel(Ops &)`, or `static Result<Channel> Channel::create(Ops &)` where making
// one can fail), and destroyed there. submit runs on the submitting thread with that
// thread's Channel; the I/O ends with exactly one completion (see bdev_io.hpp).
// destruct runs once the bdev is unregistered and every descriptor is closed; the
// ops object itself is destroyed after the bdev's channels are gone.
#pragma once

#include <concepts>
#include <type_traits>

#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_io.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/json_writer.hpp"
#include "spdkcpp/task.hpp"

namespace spdkcpp {

namespace detail {

template <typename Ops>
concept HasChannel = requires {
    typename Ops::Channel;
};

template <typename Ops>
concept ChannelMakesItself = requires(Ops &ops) {
    { Ops::Channel::create(ops) } -> std::same_as<Result<typename Ops::Channel>>;
};

template <typename Ops>
concept HasChannelFromOps = HasChannel<Ops> &&
    (std::is_constructible_v<typename Ops::Channel, Ops &> || ChannelMakesItself<Ops>);

template <typename Ops>
concept HasSubmit = HasChannel<Ops> &&
    requires(Ops &ops, typename Ops::Channel &ch, BdevIo<Ops> io) {
    ops.submit(ch, std::move(io));
};

template <typename Ops>
concept HasSupports = requires(const Ops &ops, IoType type) {
    { ops.supports(type) } -> std::same_as<bool>;
};

template <typename Ops>
concept HasSyncDestruct = requires(Ops &ops) {
    { ops.destruct() } -> std::same_as<void>;
};
template <typename Ops>
concept HasAsyncDestruct = requires(Ops &ops) {
    { ops.destruct() } -> std::same_as<Task<void>>;
};

template <typename Ops>
concept HasDumpInfo = requires(const Ops &ops, JsonWriter &w) {
    ops.dump_info_json(w);
};
template <typename Ops>
concept HasWriteConfig = requires(const Ops &ops, JsonWriter &w) {
    ops.write_config_json(w);
};

template <typename Ops>
concept IoContextFits = std::is_trivially_destructible_v<typename IoContextOf<Ops>::type> &&
    std::is_default_constructible_v<typename IoContextOf<Ops>::type>;

}  // namespace detail

template <typename Ops>
concept BdevOps = std::is_class_v<Ops> && detail::HasChannelFromOps<Ops> &&
    detail::HasSubmit<Ops> && detail::HasSupports<Ops> && detail::IoContextFits<Ops>;

// Names the first requirement of BdevOps that Ops misses; instantiated where a bdev
// type is used, so that the compiler's message says what to add.
template <typename Ops>
constexpr bool check_bdev_ops() {
    static_assert(std::is_class_v<Ops>, "BdevOps: the ops must be a class");
    static_assert(detail::HasChannel<Ops>,
                  "BdevOps: the ops class needs a nested type Channel (its per-thread context)");
    static_assert(detail::HasChannelFromOps<Ops>,
                  "BdevOps: Channel needs a constructor Channel(Ops &) or "
                  "static Result<Channel> Channel::create(Ops &)");
    static_assert(detail::HasSubmit<Ops>,
                  "BdevOps: the ops class needs void submit(Channel &, BdevIo<Ops>)");
    static_assert(detail::HasSupports<Ops>,
                  "BdevOps: the ops class needs bool supports(IoType) const");
    static_assert(detail::IoContextFits<Ops>,
                  "BdevOps: IoContext must be default-constructible and trivially destructible "
                  "(it lives in SPDK's per-I/O memory, which is reused without destruction)");
    return true;
}

}  // namespace spdkcpp
