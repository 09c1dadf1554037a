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
#include <memory>
#include <new>
#include <string>
#include <type_traits>
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

// What an operation carries besides its range: a buffer, a scatter-gather list, or
// nothing. Each operation stores only its own, as the fields are written per I/O.
struct DataPayload {
    void *buf;
};
struct VectorPayload {
    iovec *iovs;
    int iovcnt;
};
struct NoPayload {};

template <BdevOp Op>
using PayloadOf = std::conditional_t<
    Op == BdevOp::Read || Op == BdevOp::Write, DataPayload,
    std::conditional_t<Op == BdevOp::Readv || Op == BdevOp::Writev, VectorPayload, NoPayload>>;

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
class [[nodiscard]] BdevOperation {
  public:
    using Payload = PayloadOf<Op>;

    // A request that passed BdevDesc's checks.
    BdevOperation(detail::DescState *desc, detail::ChannelState *ch, Payload payload,
                  uint64_t offset, uint64_t length) noexcept
        : desc_(desc), ch_(ch), offset_(offset), payload_(payload), length_(length) {}
    // A request refused before submission.
    explicit BdevOperation(Error error) noexcept : status_(kRefused) {
        new (&refusal_) Error(std::move(error));
    }

    BdevOperation(const BdevOperation &) = delete;
    BdevOperation &operator=(const BdevOperation &) = delete;
    BdevOperation(BdevOperation &&) = delete;
    BdevOperation &operator=(BdevOperation &&) = delete;
    ~BdevOperation() {
        if (status_ == kRefused) [[unlikely]] {
            std::destroy_at(&refusal_);
        }
    }

    bool await_ready() const noexcept { return desc_ == nullptr; }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        handle_ = h;
        if (!desc_->accepting()) [[unlikely]] {
            status_ = kClosed;
            return false;
        }
        ++ch_->inflight;
        const int rc = submit();
        if (rc == 0) [[likely]] {
            return true;
        }
        return not_submitted(rc);
    }

    Result<void> await_resume() {
        if (status_ == kOk) [[likely]] {
            return {};
        }
        return failure();
    }

  private:
    // How the operation ended: done() stores `success` (kOk or kFailed), the submit
    // path a negative errno from SPDK, or:
    static constexpr int kFailed = 0;
    static constexpr int kOk = 1;
    static constexpr int kClosed = 2;   // the descriptor closed before submission
    static constexpr int kRefused = 3;  // refusal_ holds why

    // Everything but success is out of line, so the awaiting coroutine inlines
    // only the I/O path.
    [[gnu::cold, gnu::noinline]] Result<void> failure() {
        switch (status_) {
            case kRefused:
                return fail(std::move(refusal_));
            case kFailed:
                return fail(ErrorKind::IoFailed, std::string(to_string(Op)) + " failed at " +
                                                     (U == Units::Bytes ? "byte " : "block ") +
                                                     std::to_string(offset_));
            case kClosed:
                return fail(ErrorKind::Closed, "descriptor closed before the I/O started");
            case -EINVAL:
                // The submit checked the range and refused it: say which rule broke.
                return fail(detail::invalid_range(*desc_, U, offset_, length_));
            default:
                return fail(
                    Error::from_errno(status_, std::string(to_string(Op)) + " submit failed"));
        }
    }

    // The submit returned rc != 0. True when the operation now waits for an
    // spdk_bdev_io (-ENOMEM); false when it failed and the coroutine continues.
    [[gnu::cold, gnu::noinline]] bool not_submitted(int rc) noexcept {
        while (rc == -ENOMEM) {
            wait_.bdev = desc_->bdev;
            wait_.cb_fn = &BdevOperation::retry;
            wait_.cb_arg = this;
            wait_.dep_unblock = false;
            if (spdk_bdev_queue_io_wait(desc_->bdev, ch_->ch, &wait_) == 0) {
                return true;
            }
            // An spdk_bdev_io came free in between: try again right away.
            rc = submit();
        }
        if (rc == 0) {
            return true;
        }
        status_ = rc;
        ch_->io_done();
        return false;
    }

    int submit() noexcept {
        spdk_bdev_desc *d = desc_->desc;
        spdk_io_channel *c = ch_->ch;
        const uint64_t off = offset_;
        const uint64_t len = length_;
        constexpr bool kBytes = U == Units::Bytes;
        if constexpr (Op == BdevOp::Read) {
            return kBytes ? spdk_bdev_read(d, c, payload_.buf, off, len, &done, this)
                          : spdk_bdev_read_blocks(d, c, payload_.buf, off, len, &done, this);
        } else if constexpr (Op == BdevOp::Write) {
            return kBytes ? spdk_bdev_write(d, c, payload_.buf, off, len, &done, this)
                          : spdk_bdev_write_blocks(d, c, payload_.buf, off, len, &done, this);
        } else if constexpr (Op == BdevOp::Readv) {
            return kBytes ? spdk_bdev_readv(d, c, payload_.iovs, payload_.iovcnt, off, len, &done,
                                            this)
                          : spdk_bdev_readv_blocks(d, c, payload_.iovs, payload_.iovcnt, off, len,
                                                   &done, this);
        } else if constexpr (Op == BdevOp::Writev) {
            return kBytes ? spdk_bdev_writev(d, c, payload_.iovs, payload_.iovcnt, off, len, &done,
                                             this)
                          : spdk_bdev_writev_blocks(d, c, payload_.iovs, payload_.iovcnt, off, len,
                                                    &done, this);
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
        auto *self = static_cast<BdevOperation *>(arg);
        const int rc = self->submit();
        if (rc != 0 && !self->not_submitted(rc)) {
            self->handle_.resume();
        }
    }

    static void done(spdk_bdev_io *bdev_io, bool success, void *arg) {
        auto *self = static_cast<BdevOperation *>(arg);
        self->status_ = success;
        // Give the spdk_bdev_io back before the channel can be put.
        spdk_bdev_free_io(bdev_io);
        self->ch_->io_done();
        self->handle_.resume();
    }

    // The order keeps the fields the constructor writes apart, so that g++ stores
    // them one by one instead of pairing them through SSE registers (3 instructions
    // per I/O, measured by bench/zero_overhead.sh).
    detail::DescState *desc_ = nullptr;
    std::coroutine_handle<> handle_;
    detail::ChannelState *ch_ = nullptr;
    int status_ = kFailed;
    uint64_t offset_ = 0;
    [[no_unique_address]] Payload payload_{};
    uint64_t length_ = 0;
    // Never both in use: the wait entry only while the pool is dry (filled in
    // then), the refusal only for a refused request (status_ == kRefused).
    union {
        spdk_bdev_io_wait_entry wait_;
        Error refusal_;
    };
};

}  // namespace spdkcpp
