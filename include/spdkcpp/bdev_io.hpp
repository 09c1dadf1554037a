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

// What an operation submits: a buffer or a scatter-gather list, and a block range.
struct BdevIoRequest {
    void *buf = nullptr;
    iovec *iovs = nullptr;
    int iovcnt = 0;
    uint64_t offset_blocks = 0;
    uint64_t num_blocks = 0;
};

template <BdevOp Op>
class [[nodiscard]] BdevIo {
  public:
    // A request already checked by BdevDesc.
    BdevIo(detail::DescState *desc, detail::ChannelState *ch, BdevIoRequest req) noexcept
        : desc_(desc), ch_(ch), req_(req) {}
    // A request refused before submission.
    explicit BdevIo(Error error) noexcept : error_(std::move(error)) {}

    BdevIo(const BdevIo &) = delete;
    BdevIo &operator=(const BdevIo &) = delete;
    BdevIo(BdevIo &&) = delete;
    BdevIo &operator=(BdevIo &&) = delete;
    ~BdevIo() = default;

    bool await_ready() const noexcept { return error_.has_value(); }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        handle_ = h;
        if (!desc_->io_begin()) {
            rc_ = -EBADF;
            closed_ = true;
            return false;
        }
        ++ch_->inflight;
        return submit_or_wait();
    }

    Result<void> await_resume() {
        if (error_) {
            return fail(std::move(*error_));
        }
        if (closed_) {
            return fail(ErrorKind::Closed, "descriptor closed before the I/O started");
        }
        if (rc_ != 0) {
            return fail(Error::from_errno(rc_, std::string(to_string(Op)) + " submit failed"));
        }
        if (!success_) {
            return fail(ErrorKind::IoFailed, std::string(to_string(Op)) + " failed at block " +
                                                 std::to_string(req_.offset_blocks));
        }
        return {};
    }

  private:
    // True when the operation is now in flight (or waiting for an spdk_bdev_io);
    // false when it failed and the coroutine continues at once.
    bool submit_or_wait() noexcept {
        rc_ = submit();
        if (rc_ == 0) {
            return true;
        }
        if (rc_ == -ENOMEM) {
            wait_.bdev = desc_->bdev;
            wait_.cb_fn = &BdevIo::retry;
            wait_.cb_arg = this;
            if (spdk_bdev_queue_io_wait(desc_->bdev, ch_->ch, &wait_) == 0) {
                return true;
            }
            // An spdk_bdev_io came free in between: try again right away.
            return submit_or_wait();
        }
        --ch_->inflight;
        desc_->io_end();
        return false;
    }

    int submit() noexcept {
        spdk_bdev_desc *d = desc_->desc;
        spdk_io_channel *c = ch_->ch;
        if constexpr (Op == BdevOp::Read) {
            return spdk_bdev_read_blocks(d, c, req_.buf, req_.offset_blocks, req_.num_blocks,
                                         &BdevIo::done, this);
        } else if constexpr (Op == BdevOp::Write) {
            return spdk_bdev_write_blocks(d, c, req_.buf, req_.offset_blocks, req_.num_blocks,
                                          &BdevIo::done, this);
        } else if constexpr (Op == BdevOp::Readv) {
            return spdk_bdev_readv_blocks(d, c, req_.iovs, req_.iovcnt, req_.offset_blocks,
                                          req_.num_blocks, &BdevIo::done, this);
        } else if constexpr (Op == BdevOp::Writev) {
            return spdk_bdev_writev_blocks(d, c, req_.iovs, req_.iovcnt, req_.offset_blocks,
                                           req_.num_blocks, &BdevIo::done, this);
        } else if constexpr (Op == BdevOp::WriteZeroes) {
            return spdk_bdev_write_zeroes_blocks(d, c, req_.offset_blocks, req_.num_blocks,
                                                 &BdevIo::done, this);
        } else if constexpr (Op == BdevOp::Unmap) {
            return spdk_bdev_unmap_blocks(d, c, req_.offset_blocks, req_.num_blocks, &BdevIo::done,
                                          this);
        } else if constexpr (Op == BdevOp::Flush) {
            return spdk_bdev_flush_blocks(d, c, req_.offset_blocks, req_.num_blocks, &BdevIo::done,
                                          this);
        } else {
            return spdk_bdev_reset(d, c, &BdevIo::done, this);
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
        self->success_ = success;
        // Give the spdk_bdev_io back before the channel can be put.
        spdk_bdev_free_io(bdev_io);
        self->ch_->io_done();
        self->desc_->io_end();
        self->handle_.resume();
    }

    detail::DescState *desc_ = nullptr;
    detail::ChannelState *ch_ = nullptr;
    BdevIoRequest req_{};
    std::coroutine_handle<> handle_;
    spdk_bdev_io_wait_entry wait_{};
    int rc_ = 0;
    bool success_ = false;
    bool closed_ = false;
    std::optional<Error> error_;
};

}  // namespace spdkcpp
