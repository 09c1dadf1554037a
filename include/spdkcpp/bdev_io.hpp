// The I/O operations of a BdevDesc as awaitables: `co_await desc.read(ch, buf, 0)`.
//
// An operation lives in the awaiting coroutine's frame and passes its own address
// to SPDK as the callback argument: nothing is allocated per I/O. A submit that
// finds the thread's spdk_bdev_io pool empty (-ENOMEM) waits in place through
// spdk_bdev_queue_io_wait and submits again when an spdk_bdev_io is freed.
//
// Lifetimes: the coroutine frame is never destroyed while an operation is in
// flight (see task.hpp), the descriptor closes and the channel is put only after
// their last I/O completed (see desc_state.hpp and bdev_channel.hpp). The data
// buffers must outlive the await, as any reference must; buffers in the frame do.
#pragma once

#include <sys/uio.h>

#include <coroutine>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "spdk/bdev.h"
#include "spdkcpp/bdev_channel.hpp"
#include "spdkcpp/detail/desc_state.hpp"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

enum class BdevOp { Read, Write, Readv, Writev, WriteZeroes, Unmap, Flush, Reset };

constexpr const char *to_string(BdevOp op) noexcept {
    switch (op) {
        case BdevOp::Read:
            return "read";
        case BdevOp::Write:
            return "write";
        case BdevOp::Readv:
            return "readv";
        case BdevOp::Writev:
            return "writev";
        case BdevOp::WriteZeroes:
            return "write_zeroes";
        case BdevOp::Unmap:
            return "unmap";
        case BdevOp::Flush:
            return "flush";
        case BdevOp::Reset:
            return "reset";
    }
    return "io";
}

// How an operation addresses the bdev: in bytes (SPDK's byte API, which checks the
// range) or in blocks.
enum class Units { Bytes, Blocks };

// What an operation submits: a buffer or a scatter-gather list, and a range in
// the operation's units.
struct BdevIoRequest {
    void *buf = nullptr;
    iovec *iovs = nullptr;
    int iovcnt = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
};

namespace detail {

// The error for a request SPDK refused with -EINVAL: says which rule it broke.
[[gnu::cold]] inline Error invalid_range(const DescState &desc, Units units, uint64_t offset,
                                         uint64_t length) {
    const uint64_t bs = desc.block_size;
    if (units == Units::Bytes && (offset % bs != 0 || length % bs != 0)) {
        return {ErrorKind::InvalidParameter,
                fmt::format("offset {} and length {} must be multiples of the block size {}",
                            offset, length, bs)};
    }
    const uint64_t first = units == Units::Bytes ? offset / bs : offset;
    const uint64_t count = units == Units::Bytes ? length / bs : length;
    if (first > desc.num_blocks || count > desc.num_blocks - first) {
        return {ErrorKind::InvalidParameter,
                fmt::format("blocks [{}, +{}) are past the end of the bdev ({} blocks)", first,
                            count, desc.num_blocks)};
    }
    return {ErrorKind::InvalidParameter, EINVAL, "the bdev refused the request"};
}

}  // namespace detail

template <BdevOp Op, Units U>
class [[nodiscard]] BdevIo {
  public:
    // A request that passed BdevDesc's checks.
    BdevIo(detail::DescState *desc, detail::ChannelState *ch, BdevIoRequest req) noexcept
        : desc_(desc), ch_(ch), req_(req) {}
    // A request refused before submission.
    explicit BdevIo(Error error) noexcept : error_(std::move(error)) {}

    BdevIo(const BdevIo &) = delete;
    BdevIo &operator=(const BdevIo &) = delete;
    BdevIo(BdevIo &&) = delete;
    BdevIo &operator=(BdevIo &&) = delete;
    ~BdevIo() = default;

    bool await_ready() const noexcept { return desc_ == nullptr; }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        handle_ = h;
        if (!desc_->accepting()) [[unlikely]] {
            status_ = kClosed;
            return false;
        }
        ++ch_->inflight;
        return submit_or_wait();
    }

    Result<void> await_resume() {
        if (status_ == 0) [[likely]] {
            return {};
        }
        return fail(error());
    }

  private:
    // Outcomes besides 0 (done) and a negative errno from the submit call.
    static constexpr int kFailed = 1;   // completed with a failure status
    static constexpr int kClosed = 2;   // the descriptor closed before submission
    static constexpr int kRefused = 3;  // error_ holds why

    [[gnu::noinline]] Error error() {
        switch (status_) {
            case kRefused:
                return std::move(*error_);
            case kFailed:
                return {ErrorKind::IoFailed, std::string(to_string(Op)) + " failed at " +
                                                 (U == Units::Bytes ? "byte " : "block ") +
                                                 std::to_string(req_.offset)};
            case kClosed:
                return {ErrorKind::Closed, "descriptor closed before the I/O started"};
            default:
                return Error::from_errno(status_, std::string(to_string(Op)) + " submit failed");
        }
    }

    // True when the operation is now in flight (or waiting for an spdk_bdev_io);
    // false when it failed and the coroutine continues at once.
    bool submit_or_wait() noexcept {
        const int rc = submit();
        if (rc == 0) [[likely]] {
            return true;
        }
        if (rc == -ENOMEM) {
            wait_.bdev = desc_->bdev;
            wait_.cb_fn = &BdevIo::retry;
            wait_.cb_arg = this;
            wait_.dep_unblock = false;
            if (spdk_bdev_queue_io_wait(desc_->bdev, ch_->ch, &wait_) == 0) {
                return true;
            }
            // An spdk_bdev_io came free in between: try again right away.
            return submit_or_wait();
        }
        if (rc == -EINVAL) {
            error_.emplace(detail::invalid_range(*desc_, U, req_.offset, req_.length));
            status_ = kRefused;
        } else {
            status_ = rc;
        }
        ch_->io_done();
        return false;
    }

    int submit() noexcept {
        spdk_bdev_desc *d = desc_->desc;
        spdk_io_channel *c = ch_->ch;
        const uint64_t off = req_.offset;
        const uint64_t len = req_.length;
        constexpr bool kBytes = U == Units::Bytes;
        if constexpr (Op == BdevOp::Read) {
            return kBytes ? spdk_bdev_read(d, c, req_.buf, off, len, &done, this)
                          : spdk_bdev_read_blocks(d, c, req_.buf, off, len, &done, this);
        } else if constexpr (Op == BdevOp::Write) {
            return kBytes ? spdk_bdev_write(d, c, req_.buf, off, len, &done, this)
                          : spdk_bdev_write_blocks(d, c, req_.buf, off, len, &done, this);
        } else if constexpr (Op == BdevOp::Readv) {
            return kBytes ? spdk_bdev_readv(d, c, req_.iovs, req_.iovcnt, off, len, &done, this)
                          : spdk_bdev_readv_blocks(d, c, req_.iovs, req_.iovcnt, off, len, &done,
                                                   this);
        } else if constexpr (Op == BdevOp::Writev) {
            return kBytes ? spdk_bdev_writev(d, c, req_.iovs, req_.iovcnt, off, len, &done, this)
                          : spdk_bdev_writev_blocks(d, c, req_.iovs, req_.iovcnt, off, len, &done,
                                                    this);
        } else if constexpr (Op == BdevOp::WriteZeroes) {
            return kBytes ? spdk_bdev_write_zeroes(d, c, off, len, &done, this)
                          : spdk_bdev_write_zeroes_blocks(d, c, off, len, &done, this);
        } else if constexpr (Op == BdevOp::Unmap) {
            return kBytes ? spdk_bdev_unmap(d, c, off, len, &done, this)
                          : spdk_bdev_unmap_blocks(d, c, off, len, &done, this);
        } else if constexpr (Op == BdevOp::Flush) {
            return kBytes ? spdk_bdev_flush(d, c, off, len, &done, this)
                          : spdk_bdev_flush_blocks(d, c, off, len, &done, this);
        } else {
            return spdk_bdev_reset(d, c, &done, this);
        }
    }

    static void retry(void *arg) {
        auto *self = static_cast<BdevIo *>(arg);
        if (!self->submit_or_wait()) {
            self->handle_.resume();
        }
    }

    static void done(spdk_bdev_io *bdev_io, bool success, void *arg) {
        auto *self = static_cast<BdevIo *>(arg);
        self->status_ = success ? 0 : kFailed;
        // Give the spdk_bdev_io back before the channel can be put.
        spdk_bdev_free_io(bdev_io);
        self->ch_->io_done();
        self->handle_.resume();
    }

    detail::DescState *desc_ = nullptr;
    detail::ChannelState *ch_ = nullptr;
    BdevIoRequest req_{};
    std::coroutine_handle<> handle_;
    int status_ = kRefused;
    std::optional<Error> error_;
    // Used only when the pool is dry; filled in then.
    spdk_bdev_io_wait_entry wait_;  // NOLINT(cppcoreguidelines-pro-type-member-init)
};

}  // namespace spdkcpp
