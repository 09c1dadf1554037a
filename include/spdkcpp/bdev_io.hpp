// BdevIo<Ops>: one I/O that the bdev layer handed to a bdev written in C++ (the
// module side of spdk_bdev_io; spdk-rs `BdevIo<T>`).
//
// A BdevIo is move-only and ends with exactly one completion, which consumes it:
//
//   void submit(Channel &ch, spdkcpp::BdevIo<MyOps> io) {
//       if (io.type() != spdkcpp::IoType::Read) return std::move(io).complete(IoStatus::Failed);
//       std::move(io).forward(ch.base);  // to the base bdev; its status becomes ours
//   }
//
// A BdevIo dropped without a completion completes as failed (and asserts in debug
// builds): the bdev layer never waits for an I/O nobody owns. Completion runs on
// the submitting thread; the bdev layer defers a completion made inside submit, so
// the submitter's callback never runs inside its own submit call.
//
// Memory: the framework's bookkeeping and the module's IoContext live in SPDK's
// per-I/O driver context (sized through the module's get_ctx_size); nothing is
// allocated per I/O.
#pragma once

#include <sys/uio.h>

#include <cassert>
#include <coroutine>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/log.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_channel.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/detail/thread_checks.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

enum class IoStatus : int {
    Success = SPDK_BDEV_IO_STATUS_SUCCESS,
    Failed = SPDK_BDEV_IO_STATUS_FAILED,
    // The module lacks resources now: the bdev layer submits the I/O again later.
    NoMemory = SPDK_BDEV_IO_STATUS_NOMEM,
    Aborted = SPDK_BDEV_IO_STATUS_ABORTED,
    Miscompare = SPDK_BDEV_IO_STATUS_MISCOMPARE,
};

// An NVMe completion status: command specific dword 0, status code type and code.
struct NvmeStatus {
    uint32_t cdw0 = 0;
    int sct = 0;
    int sc = 0;
};

// A base bdev's I/O that has completed, seen by a forwarding module before it
// completes its own I/O. Valid only during the callback that receives it.
class BaseIo {
  public:
    BaseIo(const spdk_bdev_io *io, bool success) noexcept : io_(io), success_(success) {}
    [[nodiscard]] bool success() const noexcept { return success_; }
    [[nodiscard]] NvmeStatus nvme_status() const noexcept {
        NvmeStatus s;
        spdk_bdev_io_get_nvme_status(io_, &s.cdw0, &s.sct, &s.sc);
        return s;
    }
    // The errno-style result an AIO-based base reported (0 when it reported none).
    [[nodiscard]] int aio_status() const noexcept {
        int rc = 0;
        spdk_bdev_io_get_aio_status(io_, &rc);
        return rc;
    }
    [[nodiscard]] const spdk_bdev_io *raw() const noexcept { return io_; }

  private:
    const spdk_bdev_io *io_;
    bool success_;
};

// Whether a dropped BdevIo also asserts (it always completes as failed).
#ifndef SPDKCPP_IO_CHECKS
#define SPDKCPP_IO_CHECKS SPDKCPP_THREAD_CHECKS
#endif

namespace detail {

struct NoIoContext {};

template <typename Ops>
struct IoContextOf {
    using type = NoIoContext;
};
template <typename Ops>
requires requires {
    typename Ops::IoContext;
}
struct IoContextOf<Ops> {
    using type = typename Ops::IoContext;
};

// The framework's part of an I/O's driver context, ahead of the module's IoContext.
struct IoHeader {
    spdk_bdev_io_wait_entry wait;  // a forward that found the base's pool empty
    spdk_bdev_desc *base_desc;
    spdk_io_channel *base_ch;
    void (*user_done)();  // a forward's callback, cast back to its type by its caller
    void *awaiter;        // a get_buf() waiting for its buffer
};

template <typename Ops>
struct IoFrame {
    IoHeader header;
    typename IoContextOf<Ops>::type ctx;
};

inline IoHeader &header_of(spdk_bdev_io *io) noexcept {
    return *std::launder(reinterpret_cast<IoHeader *>(io->driver_ctx));
}

// The completion of a plain forward: the base's status becomes ours.
inline void complete_like_base(spdk_bdev_io *base, bool, void *arg) {
    spdk_bdev_io_complete_base_io_status(static_cast<spdk_bdev_io *>(arg), base);
    spdk_bdev_free_io(base);
}

// Submits io, as it is, to the base descriptor and channel in its header; Done
// gets the base's completion with io as its argument.
template <spdk_bdev_io_completion_cb Done>
int submit_to_base(spdk_bdev_io *io) noexcept {
    IoHeader &h = header_of(io);
    spdk_bdev_desc *d = h.base_desc;
    spdk_io_channel *c = h.base_ch;
    const auto &b = io->u.bdev;
    switch (io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
            return spdk_bdev_readv_blocks(d, c, b.iovs, b.iovcnt, b.offset_blocks, b.num_blocks,
                                          Done, io);
        case SPDK_BDEV_IO_TYPE_WRITE:
            return spdk_bdev_writev_blocks(d, c, b.iovs, b.iovcnt, b.offset_blocks, b.num_blocks,
                                           Done, io);
        case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
            return spdk_bdev_write_zeroes_blocks(d, c, b.offset_blocks, b.num_blocks, Done, io);
        case SPDK_BDEV_IO_TYPE_UNMAP:
            return spdk_bdev_unmap_blocks(d, c, b.offset_blocks, b.num_blocks, Done, io);
        case SPDK_BDEV_IO_TYPE_FLUSH:
            return spdk_bdev_flush_blocks(d, c, b.offset_blocks, b.num_blocks, Done, io);
        case SPDK_BDEV_IO_TYPE_RESET:
            return spdk_bdev_reset(d, c, Done, io);
        case SPDK_BDEV_IO_TYPE_COMPARE:
            return spdk_bdev_comparev_blocks(d, c, b.iovs, b.iovcnt, b.offset_blocks, b.num_blocks,
                                             Done, io);
        case SPDK_BDEV_IO_TYPE_COPY:
            return spdk_bdev_copy_blocks(d, c, b.offset_blocks, b.copy.src_offset_blocks,
                                         b.num_blocks, Done, io);
        default:
            return -ENOTSUP;
    }
}

template <spdk_bdev_io_completion_cb Done>
void forward_now(spdk_bdev_io *io) noexcept;

template <spdk_bdev_io_completion_cb Done>
void forward_when_free(void *arg) {
    forward_now<Done>(static_cast<spdk_bdev_io *>(arg));
}

template <spdk_bdev_io_completion_cb Done>
void forward_with_buf(spdk_io_channel *, spdk_bdev_io *io, bool success) {
    if (!success) {
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
        return;
    }
    forward_now<Done>(io);
}

// As SPDK's passthru: a full base pool waits for a free spdk_bdev_io; any other
// refusal fails the I/O.
template <spdk_bdev_io_completion_cb Done>
void forward_now(spdk_bdev_io *io) noexcept {
    const int rc = submit_to_base<Done>(io);
    if (rc == 0) [[likely]] {
        return;
    }
    if (rc == -ENOMEM) {
        IoHeader &h = header_of(io);
        h.wait.bdev = spdk_bdev_desc_get_bdev(h.base_desc);
        h.wait.cb_fn = &forward_when_free<Done>;
        h.wait.cb_arg = io;
        h.wait.dep_unblock = false;
        if (spdk_bdev_queue_io_wait(h.wait.bdev, h.base_ch, &h.wait) == 0) {
            return;
        }
        // A bdev_io came free in between: try again at once.
        return forward_now<Done>(io);
    }
    spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
}

template <spdk_bdev_io_completion_cb Done>
void start_forward(spdk_bdev_io *io) noexcept {
    // A read without a buffer gets one first, so that the data comes back to us.
    if (io->type == SPDK_BDEV_IO_TYPE_READ && io->u.bdev.iovs[0].iov_base == nullptr) [[unlikely]] {
        spdk_bdev_io_get_buf(io, &forward_with_buf<Done>,
                             io->u.bdev.num_blocks * static_cast<uint64_t>(io->bdev->blocklen));
        return;
    }
    forward_now<Done>(io);
}

template <typename Ops>
struct BdevGlue;

}  // namespace detail

template <typename Ops>
class [[nodiscard]] BdevIo {
  public:
    using IoContext = typename detail::IoContextOf<Ops>::type;
    using OnBaseDone = void (*)(BdevIo, BaseIo);

    BdevIo(const BdevIo &) = delete;
    BdevIo &operator=(const BdevIo &) = delete;
    BdevIo(BdevIo &&other) noexcept : io_(std::exchange(other.io_, nullptr)) {}
    BdevIo &operator=(BdevIo &&other) noexcept {
        if (this != &other) {
            if (io_ != nullptr) {
                dropped();
            }
            io_ = std::exchange(other.io_, nullptr);
        }
        return *this;
    }
    ~BdevIo() {
        if (io_ != nullptr) [[unlikely]] {
            dropped();
        }
    }

    // Whether this object still owns an I/O (not completed, forwarded or moved).
    [[nodiscard]] explicit operator bool() const noexcept { return io_ != nullptr; }

    [[nodiscard]] IoType type() const noexcept { return static_cast<IoType>(io_->type); }
    [[nodiscard]] uint64_t offset_blocks() const noexcept { return io_->u.bdev.offset_blocks; }
    [[nodiscard]] uint64_t num_blocks() const noexcept { return io_->u.bdev.num_blocks; }
    // The source of a Copy.
    [[nodiscard]] uint64_t src_offset_blocks() const noexcept {
        return io_->u.bdev.copy.src_offset_blocks;
    }
    [[nodiscard]] uint32_t block_size() const noexcept { return io_->bdev->blocklen; }
    [[nodiscard]] uint64_t length_bytes() const noexcept {
        return num_blocks() * static_cast<uint64_t>(block_size());
    }
    // The data buffers (read, write, compare). A read may come without one: see
    // has_buf() and get_buf().
    [[nodiscard]] std::span<iovec> iovs() const noexcept {
        return {io_->u.bdev.iovs, static_cast<std::size_t>(io_->u.bdev.iovcnt)};
    }
    [[nodiscard]] bool has_buf() const noexcept {
        return io_->u.bdev.iovcnt > 0 && io_->u.bdev.iovs[0].iov_base != nullptr;
    }
    // The module's per-I/O context (Ops::IoContext), in SPDK's per-I/O memory.
    [[nodiscard]] IoContext &ctx() const noexcept {
        return reinterpret_cast<detail::IoFrame<Ops> *>(io_->driver_ctx)->ctx;
    }
    [[nodiscard]] Bdev bdev() const noexcept { return Bdev(io_->bdev); }
    // The thread that submitted the I/O: its completion runs there.
    [[nodiscard]] ThreadRef thread() const noexcept {
        return ThreadRef(spdk_bdev_io_get_thread(io_));
    }
    [[nodiscard]] spdk_bdev_io *raw() const noexcept { return io_; }

    // Completions. Each consumes the I/O: std::move(io).complete().
    void complete(IoStatus status = IoStatus::Success) && {
        spdk_bdev_io_complete(take(), static_cast<spdk_bdev_io_status>(status));
    }
    // Fails with an errno value (either sign), which the submitter can read back.
    void fail(int errno_code) && {
        spdk_bdev_io_complete_aio_status(take(), errno_code < 0 ? errno_code : -errno_code);
    }
    void complete_nvme(NvmeStatus status) && {
        spdk_bdev_io_complete_nvme_status(take(), status.cdw0, status.sct, status.sc);
    }
    // Completes with a base bdev's status and its details (a forwarding module).
    void complete_like(const BaseIo &base) && {
        spdk_bdev_io_complete_base_io_status(take(), base.raw());
    }

    // Submits this I/O as it is (type, range, buffers) to a base bdev, through
    // this thread's channel of a descriptor of it (the channel names both). When
    // the base completes, this I/O completes with the base's status, or
    // on_done(io, base) decides. A read without a buffer gets one first; a full
    // base pool waits for a free spdk_bdev_io. An empty channel fails the I/O.
    void forward(const BdevChannel &ch) && {
        if (spdk_bdev_io *io = prepare_forward(ch)) [[likely]] {
            detail::start_forward<&detail::complete_like_base>(io);
        }
    }
    void forward(const BdevChannel &ch, OnBaseDone on_done) && {
        if (spdk_bdev_io *io = prepare_forward(ch)) [[likely]] {
            detail::header_of(io).user_done = reinterpret_cast<void (*)()>(on_done);
            detail::start_forward<&call_user_done>(io);
        }
    }

    // co_await io.get_buf(): gives a read without a buffer one of length_bytes()
    // (at once when it has one). OutOfMemory when the request is too large.
    [[nodiscard]] auto get_buf() & {
        struct Awaiter {
            spdk_bdev_io *io;
            std::coroutine_handle<> handle;
            int state = 0;  // 0 waiting, 1 got it, 2 refused
            bool in_call = false;

            bool await_ready() const noexcept {
                return io->u.bdev.iovcnt > 0 && io->u.bdev.iovs[0].iov_base != nullptr;
            }
            bool await_suspend(std::coroutine_handle<> h) noexcept {
                handle = h;
                detail::header_of(io).awaiter = this;
                in_call = true;
                spdk_bdev_io_get_buf(
                    io, &got, io->u.bdev.num_blocks * static_cast<uint64_t>(io->bdev->blocklen));
                in_call = false;
                return state == 0;  // the callback ran inside the call: go on at once
            }
            static void got(spdk_io_channel *, spdk_bdev_io *bdev_io, bool success) {
                auto *self = static_cast<Awaiter *>(detail::header_of(bdev_io).awaiter);
                self->state = success ? 1 : 2;
                if (!self->in_call) {
                    self->handle.resume();
                }
            }
            Result<void> await_resume() const {
                if (state == 2) {
                    return spdkcpp::fail(ErrorKind::OutOfMemory, "no data buffer for the read");
                }
                return {};
            }
        };
        return Awaiter{io_, {}};
    }

  private:
    friend struct detail::BdevGlue<Ops>;
    explicit BdevIo(spdk_bdev_io *io) noexcept : io_(io) {}

    spdk_bdev_io *take() noexcept {
        spdk_bdev_io *io = std::exchange(io_, nullptr);
#if SPDKCPP_IO_CHECKS
        assert(io != nullptr && "BdevIo completed twice");
#endif
        return io;
    }

    // The I/O, taken from this object, with the base's descriptor and channel in
    // its header; null (the I/O failed) for an empty channel.
    spdk_bdev_io *prepare_forward(const BdevChannel &ch) noexcept {
        spdk_bdev_io *io = take();
        if (!ch) [[unlikely]] {
            spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
            return nullptr;
        }
        detail::IoHeader &h = detail::header_of(io);
        h.base_desc = ch.state()->desc->desc;
        h.base_ch = ch.state()->ch;
        return io;
    }

    static void call_user_done(spdk_bdev_io *base, bool success, void *arg) {
        auto *io = static_cast<spdk_bdev_io *>(arg);
        auto fn = reinterpret_cast<OnBaseDone>(detail::header_of(io).user_done);
        fn(BdevIo(io), BaseIo(base, success));
        spdk_bdev_free_io(base);
    }

    [[gnu::cold, gnu::noinline]] void dropped() noexcept {
        SPDK_ERRLOG("a bdev I/O was dropped without a completion: completed as failed\n");
#if SPDKCPP_IO_CHECKS
        assert(false && "BdevIo dropped without a completion");
#endif
        spdk_bdev_io_complete(std::exchange(io_, nullptr), SPDK_BDEV_IO_STATUS_FAILED);
    }

    spdk_bdev_io *io_;
};

}  // namespace spdkcpp
