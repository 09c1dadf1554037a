// BdevBuilder<Ops>: registers a bdev whose implementation is the BdevOps class Ops.
//
//   auto reg = my_module.bdev<MyOps>()
//                  .name("My0").product_name("My disk")
//                  .block_size(512).block_count(1 << 20)
//                  .build(ops_constructor_args...);   // Result<BdevRegistration<MyOps>>
//
// name, product_name, block_size and block_count are required: build() on a
// builder that misses one does not compile, and says which. Values are checked at
// build(): a block size that is not a power of two of at least 512, zero blocks, a
// bad UUID or alignment give InvalidParameter, a name already in use
// AlreadyExists. Call build() on an spdk_thread (SPDK registers bdevs on the app
// thread).
#pragma once

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdk/uuid.h"
#include "spdkcpp/bdev_ops.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/detail/bdev_glue.hpp"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

namespace detail {
// What a BdevBuilder collected, whichever fields it has set so far.
struct BdevFields {
    spdk_bdev_module *module = nullptr;
    std::string name;
    std::string product_name;
    uint32_t block_size = 0;
    uint64_t block_count = 0;
    std::string uuid;
    std::size_t alignment = 0;
    bool write_cache = false;
    uint32_t optimal_io_boundary = 0;
    bool split_on_boundary = false;
};
}  // namespace detail

template <typename Ops, unsigned Set = 0>
class BdevBuilder {
    static constexpr unsigned kName = 1;
    static constexpr unsigned kProductName = 2;
    static constexpr unsigned kBlockSize = 4;
    static constexpr unsigned kBlockCount = 8;

    template <unsigned Field>
    using With = BdevBuilder<Ops, Set | Field>;

  public:
    explicit BdevBuilder(spdk_bdev_module *owner) noexcept { f_.module = owner; }

    // Required.
    With<kName> name(std::string name) && {
        f_.name = std::move(name);
        return With<kName>(std::move(f_));
    }
    With<kProductName> product_name(std::string product) && {
        f_.product_name = std::move(product);
        return With<kProductName>(std::move(f_));
    }
    // Bytes per block: a power of two, at least 512.
    With<kBlockSize> block_size(uint32_t bytes) && {
        f_.block_size = bytes;
        return With<kBlockSize>(std::move(f_));
    }
    With<kBlockCount> block_count(uint64_t blocks) && {
        f_.block_count = blocks;
        return With<kBlockCount>(std::move(f_));
    }

    // Optional.
    // The bdev's UUID in its text form; a random one when not given.
    BdevBuilder uuid(std::string text) && {
        f_.uuid = std::move(text);
        return std::move(*this);
    }
    // The alignment data buffers need (bytes, a power of two; 0 or 1 for none).
    BdevBuilder required_alignment(std::size_t bytes) && {
        f_.alignment = bytes;
        return std::move(*this);
    }
    // The bdev has a volatile write cache (flush matters).
    BdevBuilder write_cache(bool on) && {
        f_.write_cache = on;
        return std::move(*this);
    }
    // I/O crossing a multiple of `blocks` is split there by the bdev layer when
    // split is true, else it is only advertised.
    BdevBuilder optimal_io_boundary(uint32_t blocks, bool split = true) && {
        f_.optimal_io_boundary = blocks;
        f_.split_on_boundary = split;
        return std::move(*this);
    }

    // Registers the bdev with Ops constructed from args; the registration owns it.
    template <typename... Args>
    requires std::is_constructible_v<Ops, Args &&...> Result<BdevRegistration<Ops>> build(
        Args &&...args) && {
        static_assert((Set & kName) != 0, "BdevBuilder: name(...) is required before build()");
        static_assert((Set & kProductName) != 0,
                      "BdevBuilder: product_name(...) is required before build()");
        static_assert((Set & kBlockSize) != 0,
                      "BdevBuilder: block_size(...) is required before build()");
        static_assert((Set & kBlockCount) != 0,
                      "BdevBuilder: block_count(...) is required before build()");
        static_assert(check_bdev_ops<Ops>());
        using Glue = detail::BdevGlue<Ops>;

        if (auto bad = validate(); !bad) {
            return fail(bad.error());
        }
        spdk_uuid uuid{};
        if (!f_.uuid.empty() && spdk_uuid_parse(&uuid, f_.uuid.c_str()) != 0) {
            return fail(ErrorKind::InvalidParameter, "'" + f_.uuid + "' is not a UUID");
        }
        if (spdk_get_thread() == nullptr) {
            return fail(ErrorKind::WrongThread, "a bdev is registered on an spdk_thread");
        }
        auto *s = new (std::nothrow) detail::BdevState<Ops>(std::forward<Args>(args)...);
        if (s == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot allocate bdev '" + f_.name + "'");
        }
        s->name = std::move(f_.name);
        s->product_name = std::move(f_.product_name);
        s->thread = spdk_get_thread();
        spdk_bdev &b = s->bdev;
        b.name = s->name.data();
        b.product_name = s->product_name.data();
        b.blocklen = f_.block_size;
        b.blockcnt = f_.block_count;
        b.write_cache = f_.write_cache ? 1 : 0;
        b.required_alignment =
            f_.alignment > 1 ? static_cast<uint8_t>(std::countr_zero(f_.alignment)) : 0;
        b.optimal_io_boundary = f_.optimal_io_boundary;
        b.split_on_optimal_io_boundary = f_.split_on_boundary ? 1 : 0;
        b.uuid = uuid;
        b.ctxt = s;
        b.fn_table = &Glue::fn_table;
        b.module = f_.module;

        spdk_io_device_register(s, &Glue::create_channel, &Glue::destroy_channel,
                                static_cast<uint32_t>(sizeof(typename Ops::Channel)),
                                s->name.c_str());
        if (const int rc = spdk_bdev_register(&b); rc != 0) {
            Error e = rc == -EEXIST
                          ? Error(ErrorKind::AlreadyExists, EEXIST,
                                  "a bdev named '" + s->name + "' (or with its UUID) exists")
                          : Error::from_errno(rc, "cannot register bdev '" + s->name + "'");
            Glue::discard(s);
            return fail(std::move(e));
        }
        return BdevRegistration<Ops>(s);
    }

  private:
    template <typename, unsigned>
    friend class BdevBuilder;

    using Fields = detail::BdevFields;

    explicit BdevBuilder(Fields &&f) noexcept : f_(std::move(f)) {}

    [[nodiscard]] Result<void> validate() const {
        if (f_.name.empty()) {
            return fail(ErrorKind::InvalidParameter, "a bdev needs a non-empty name");
        }
        if (f_.block_size < 512 || !std::has_single_bit(f_.block_size)) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("bdev '{}': block size {} is not a power of two of at "
                                    "least 512",
                                    f_.name, f_.block_size));
        }
        if (f_.block_count == 0) {
            return fail(ErrorKind::InvalidParameter,
                        "bdev '" + f_.name + "': a bdev needs at least one block");
        }
        if (f_.alignment > 1 && (!std::has_single_bit(f_.alignment) || f_.alignment > 1u << 20)) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("bdev '{}': alignment {} is not a power of two up to 1 MiB",
                                    f_.name, f_.alignment));
        }
        return {};
    }

    Fields f_;
};

}  // namespace spdkcpp
