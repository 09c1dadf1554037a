// Bdev: a non-owning handle to a registered block device.
//
// A Bdev is valid while the bdev is registered; hold a BdevDesc to keep it from
// disappearing under you (unregistration waits for every descriptor to close).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "spdk/bdev.h"
#include "spdk/uuid.h"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

enum class IoType : int {
    Read = SPDK_BDEV_IO_TYPE_READ,
    Write = SPDK_BDEV_IO_TYPE_WRITE,
    Unmap = SPDK_BDEV_IO_TYPE_UNMAP,
    Flush = SPDK_BDEV_IO_TYPE_FLUSH,
    Reset = SPDK_BDEV_IO_TYPE_RESET,
    WriteZeroes = SPDK_BDEV_IO_TYPE_WRITE_ZEROES,
    Compare = SPDK_BDEV_IO_TYPE_COMPARE,
    Copy = SPDK_BDEV_IO_TYPE_COPY,
};

// An I/O outstanding for too long, as BdevDesc::set_timeout's callback sees it: a
// copy of what it is, not the I/O itself (SPDK's bdev layer owns that).
struct TimedOutIo {
    // May hold one of SPDK's other types, which IoType does not name.
    IoType type = IoType::Read;
    // In bytes; both 0 for an I/O without a range (a reset).
    uint64_t offset = 0;
    uint64_t length = 0;
    // Since it was submitted, by its thread's clock (see BdevDesc::set_timeout).
    std::chrono::microseconds outstanding{0};
};

// I/O statistics of a channel or of a whole bdev.
struct IoStats {
    uint64_t bytes_read = 0;
    uint64_t num_read_ops = 0;
    uint64_t bytes_written = 0;
    uint64_t num_write_ops = 0;
    uint64_t bytes_unmapped = 0;
    uint64_t num_unmap_ops = 0;
    uint64_t read_latency_ticks = 0;
    uint64_t write_latency_ticks = 0;
    uint64_t ticks_rate = 0;

    static IoStats from(const spdk_bdev_io_stat &s) noexcept {
        return {s.bytes_read,         s.num_read_ops,        s.bytes_written,
                s.num_write_ops,      s.bytes_unmapped,      s.num_unmap_ops,
                s.read_latency_ticks, s.write_latency_ticks, s.ticks_rate};
    }
};

class Bdev {
  public:
    constexpr Bdev() noexcept = default;
    explicit constexpr Bdev(spdk_bdev *bdev) noexcept : bdev_(bdev) {}

    // BdevNotFound when no bdev has that name.
    static Result<Bdev> lookup(const std::string &name) {
        spdk_bdev *b = spdk_bdev_get_by_name(name.c_str());
        if (b == nullptr) {
            return fail(Error(ErrorKind::BdevNotFound, ENODEV, "no bdev named '" + name + "'"));
        }
        return Bdev(b);
    }

    // Iterates over every registered bdev: `for (Bdev b : Bdev::all())`.
    class Iterator {
      public:
        using value_type = Bdev;
        using difference_type = std::ptrdiff_t;
        Iterator() noexcept = default;
        explicit Iterator(spdk_bdev *b) noexcept : b_(b) {}
        Bdev operator*() const noexcept { return Bdev(b_); }
        Iterator &operator++() noexcept {
            b_ = spdk_bdev_next(b_);
            return *this;
        }
        Iterator operator++(int) noexcept {
            Iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(Iterator a, Iterator b) noexcept = default;

      private:
        spdk_bdev *b_ = nullptr;
    };
    struct All {
        [[nodiscard]] Iterator begin() const noexcept { return Iterator(spdk_bdev_first()); }
        [[nodiscard]] Iterator end() const noexcept { return Iterator(); }
    };
    static All all() noexcept { return {}; }

    [[nodiscard]] explicit operator bool() const noexcept { return bdev_ != nullptr; }
    [[nodiscard]] spdk_bdev *raw() const noexcept { return bdev_; }

    [[nodiscard]] std::string_view name() const noexcept { return spdk_bdev_get_name(bdev_); }
    [[nodiscard]] std::string_view product_name() const noexcept {
        return spdk_bdev_get_product_name(bdev_);
    }
    [[nodiscard]] uint32_t block_size() const noexcept { return spdk_bdev_get_block_size(bdev_); }
    [[nodiscard]] uint64_t num_blocks() const noexcept { return spdk_bdev_get_num_blocks(bdev_); }
    [[nodiscard]] uint64_t size_bytes() const noexcept {
        return num_blocks() * static_cast<uint64_t>(block_size());
    }
    // Alignment a data buffer must have (bytes, a power of two).
    [[nodiscard]] std::size_t buf_align() const noexcept { return spdk_bdev_get_buf_align(bdev_); }
    // Blocks a write must be a multiple of.
    [[nodiscard]] uint32_t write_unit_size() const noexcept {
        return spdk_bdev_get_write_unit_size(bdev_);
    }
    [[nodiscard]] bool has_write_cache() const noexcept { return spdk_bdev_has_write_cache(bdev_); }
    [[nodiscard]] bool is_zoned() const noexcept { return spdk_bdev_is_zoned(bdev_); }
    [[nodiscard]] bool supports(IoType type) const noexcept {
        return spdk_bdev_io_type_supported(bdev_, static_cast<spdk_bdev_io_type>(type));
    }
    // Lower-case text form, "" for a bdev without a UUID.
    [[nodiscard]] std::string uuid() const {
        char text[SPDK_UUID_STRING_LEN] = {};
        const spdk_uuid *u = spdk_bdev_get_uuid(bdev_);
        if (u == nullptr || spdk_uuid_fmt_lower(text, sizeof(text), u) != 0) {
            return {};
        }
        return text;
    }

    // co_await bdev.device_stats(): the statistics summed over every channel,
    // gathered on each channel's thread; continues on the calling thread.
    [[nodiscard]] auto device_stats() const {
        struct Awaiter {
            spdk_bdev *bdev;
            spdk_bdev_io_stat stat{};
            std::coroutine_handle<> handle;
            int rc = 0;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> h) {
                handle = h;
                spdk_bdev_get_device_stat(bdev, &stat, SPDK_BDEV_RESET_STAT_NONE, &done, this);
            }
            static void done(spdk_bdev *, spdk_bdev_io_stat *, void *arg, int rc) {
                auto *self = static_cast<Awaiter *>(arg);
                self->rc = rc;
                self->handle.resume();
            }
            Result<IoStats> await_resume() const {
                if (rc != 0) {
                    return fail(Error::from_errno(rc, "spdk_bdev_get_device_stat"));
                }
                return IoStats::from(stat);
            }
        };
        return Awaiter{bdev_, {}, {}, 0};
    }

    friend bool operator==(Bdev a, Bdev b) noexcept = default;

  private:
    spdk_bdev *bdev_ = nullptr;
};

}  // namespace spdkcpp
