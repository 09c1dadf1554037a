// BdevDesc: the RAII owner of an open bdev descriptor, and the I/O you do with it.
//
//   auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
//   auto ch = desc->io_channel();                    // on this spdk_thread
//   auto buf = DmaBuf::alloc(4096, desc->bdev().buf_align());
//   Result<void> r = co_await desc->write(*ch, *buf, 0);
//
// Thread rules: a descriptor is closed on the thread that opened it; dropping the
// owner elsewhere sends the close there. It closes only once its I/O in flight
// has completed. When the bdev is hot-removed the descriptor is closed for you
// (after your event handler ran), and later I/O gives Closed.
#pragma once

#include <fmt/format.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "spdk/bdev.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_channel.hpp"
#include "spdkcpp/bdev_io.hpp"
#include "spdkcpp/detail/desc_state.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/io_vec.hpp"

namespace spdkcpp {

enum class OpenMode { ReadOnly, ReadWrite };

enum class BdevEvent {
    Remove = SPDK_BDEV_EVENT_REMOVE,
    Resize = SPDK_BDEV_EVENT_RESIZE,
    MediaManagement = SPDK_BDEV_EVENT_MEDIA_MANAGEMENT,
};

class BdevDesc {
  public:
    BdevDesc() noexcept = default;
    BdevDesc(const BdevDesc &) = delete;
    BdevDesc &operator=(const BdevDesc &) = delete;
    BdevDesc(BdevDesc &&other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    BdevDesc &operator=(BdevDesc &&other) noexcept {
        if (this != &other) {
            reset();
            state_ = std::exchange(other.state_, nullptr);
        }
        return *this;
    }
    ~BdevDesc() { reset(); }

    // Opens on the calling spdk_thread. on_event(BdevEvent, Bdev), if given, runs
    // on this thread for hot remove, resize and media events.
    static Result<BdevDesc> open(const std::string &name, OpenMode mode) {
        return open_with(name, mode, nullptr, nullptr, nullptr);
    }
    template <typename F>
    requires std::is_invocable_v<F &, BdevEvent, Bdev>
    static Result<BdevDesc> open(const std::string &name, OpenMode mode, F on_event) {
        auto *handler = new (std::nothrow) F(std::move(on_event));
        if (handler == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot allocate an event handler");
        }
        return open_with(
            name, mode, handler,
            [](void *h, spdk_bdev_event_type type, spdk_bdev *bdev) {
                (*static_cast<F *>(h))(static_cast<BdevEvent>(type), Bdev(bdev));
            },
            [](void *h) noexcept { delete static_cast<F *>(h); });
    }

    // Open: not closed, not moved from, and the bdev not removed.
    [[nodiscard]] bool is_open() const noexcept { return state_ != nullptr && !state_->closing(); }
    [[nodiscard]] explicit operator bool() const noexcept { return is_open(); }
    [[nodiscard]] Bdev bdev() const noexcept {
        return Bdev(state_ != nullptr ? state_->bdev : nullptr);
    }
    [[nodiscard]] bool writable() const noexcept { return state_ != nullptr && state_->writable; }
    [[nodiscard]] spdk_bdev_desc *raw() const noexcept {
        return state_ != nullptr ? state_->desc : nullptr;
    }

    // Closes (once the I/O in flight is done); the owner becomes empty.
    Result<void> close() {
        if (state_ == nullptr) {
            return fail(ErrorKind::Closed, "descriptor already closed");
        }
        reset();
        return {};
    }

    // An I/O channel for the calling spdk_thread.
    Result<BdevChannel> io_channel() const {
        if (!is_open()) {
            return fail(ErrorKind::Closed, "descriptor is closed");
        }
        if (spdk_get_thread() == nullptr) {
            return fail(ErrorKind::WrongThread, "a channel is got on an spdk_thread");
        }
        spdk_io_channel *ch = spdk_bdev_get_io_channel(state_->desc);
        if (ch == nullptr) {
            return fail(ErrorKind::OutOfMemory, "spdk_bdev_get_io_channel failed");
        }
        return BdevChannel::adopt(ch, state_->bdev);
    }

    // Reads buf.size() bytes at byte offset.
    BdevIo<BdevOp::Read> read(BdevChannel &ch, DmaBuf &buf, uint64_t offset) {
        return data_op<BdevOp::Read>(ch, buf, offset, buf.size());
    }
    BdevIo<BdevOp::Read> read(BdevChannel &, DmaBuf &&, uint64_t) = delete;
    // Reads num_blocks blocks at offset_blocks into the start of buf.
    BdevIo<BdevOp::Read> read_blocks(BdevChannel &ch, DmaBuf &buf, uint64_t offset_blocks,
                                     uint64_t num_blocks) {
        return data_blocks_op<BdevOp::Read>(ch, buf, offset_blocks, num_blocks);
    }
    BdevIo<BdevOp::Read> read_blocks(BdevChannel &, DmaBuf &&, uint64_t, uint64_t) = delete;
    BdevIo<BdevOp::Readv> readv(BdevChannel &ch, std::span<const IoVec> iovs, uint64_t offset) {
        return vector_op<BdevOp::Readv>(ch, iovs, offset);
    }

    BdevIo<BdevOp::Write> write(BdevChannel &ch, DmaBuf &buf, uint64_t offset) {
        return data_op<BdevOp::Write>(ch, buf, offset, buf.size());
    }
    BdevIo<BdevOp::Write> write(BdevChannel &, DmaBuf &&, uint64_t) = delete;
    BdevIo<BdevOp::Write> write_blocks(BdevChannel &ch, DmaBuf &buf, uint64_t offset_blocks,
                                       uint64_t num_blocks) {
        return data_blocks_op<BdevOp::Write>(ch, buf, offset_blocks, num_blocks);
    }
    BdevIo<BdevOp::Write> write_blocks(BdevChannel &, DmaBuf &&, uint64_t, uint64_t) = delete;
    BdevIo<BdevOp::Writev> writev(BdevChannel &ch, std::span<const IoVec> iovs, uint64_t offset) {
        return vector_op<BdevOp::Writev>(ch, iovs, offset);
    }

    BdevIo<BdevOp::WriteZeroes> write_zeroes(BdevChannel &ch, uint64_t offset, uint64_t length) {
        return range_op<BdevOp::WriteZeroes>(ch, offset, length);
    }
    BdevIo<BdevOp::WriteZeroes> write_zeroes_blocks(BdevChannel &ch, uint64_t offset_blocks,
                                                    uint64_t num_blocks) {
        return range_blocks_op<BdevOp::WriteZeroes>(ch, offset_blocks, num_blocks);
    }
    BdevIo<BdevOp::Unmap> unmap(BdevChannel &ch, uint64_t offset, uint64_t length) {
        return range_op<BdevOp::Unmap>(ch, offset, length);
    }
    BdevIo<BdevOp::Unmap> unmap_blocks(BdevChannel &ch, uint64_t offset_blocks,
                                       uint64_t num_blocks) {
        return range_blocks_op<BdevOp::Unmap>(ch, offset_blocks, num_blocks);
    }
    BdevIo<BdevOp::Flush> flush(BdevChannel &ch, uint64_t offset, uint64_t length) {
        return range_op<BdevOp::Flush>(ch, offset, length);
    }
    BdevIo<BdevOp::Flush> flush_blocks(BdevChannel &ch, uint64_t offset_blocks,
                                       uint64_t num_blocks) {
        return range_blocks_op<BdevOp::Flush>(ch, offset_blocks, num_blocks);
    }
    BdevIo<BdevOp::Reset> reset(BdevChannel &ch) {
        if (auto e = check_common(ch, false)) {
            return BdevIo<BdevOp::Reset>(std::move(*e));
        }
        return {state_, ch.state(), BdevIoRequest{}};
    }

  private:
    explicit BdevDesc(detail::DescState *state) noexcept : state_(state) {}

    static Result<BdevDesc> open_with(const std::string &name, OpenMode mode, void *handler,
                                      void (*on_event)(void *, spdk_bdev_event_type, spdk_bdev *),
                                      void (*drop_handler)(void *) noexcept) {
        auto state = std::unique_ptr<detail::DescState>(new (std::nothrow) detail::DescState);
        if (!state) {
            if (drop_handler != nullptr) {
                drop_handler(handler);
            }
            return fail(ErrorKind::OutOfMemory, "cannot allocate a descriptor");
        }
        state->handler = handler;
        state->on_event = on_event;
        state->drop_handler = drop_handler;
        if (spdk_get_thread() == nullptr) {
            return fail(ErrorKind::WrongThread, "a bdev is opened on an spdk_thread");
        }
        const bool write = mode == OpenMode::ReadWrite;
        const int rc = spdk_bdev_open_ext(name.c_str(), write, &detail::DescState::event_cb,
                                          state.get(), &state->desc);
        if (rc != 0) {
            if (rc == -ENODEV) {
                return fail(Error(ErrorKind::BdevNotFound, ENODEV, "no bdev named '" + name + "'"));
            }
            return fail(Error::from_errno(rc, "cannot open bdev '" + name + "'"));
        }
        state->bdev = spdk_bdev_desc_get_bdev(state->desc);
        state->thread = spdk_get_thread();
        state->writable = write;
        state->block_size = spdk_bdev_get_block_size(state->bdev);
        state->num_blocks = spdk_bdev_get_num_blocks(state->bdev);
        state->buf_align = spdk_bdev_get_buf_align(state->bdev);
        return BdevDesc(state.release());
    }

    void reset() noexcept {
        if (detail::DescState *state = std::exchange(state_, nullptr)) {
            state->request_close(true);
        }
    }

    // Checks shared by every operation; an error, or nothing when all is well.
    std::optional<Error> check_common(const BdevChannel &ch, bool writes) const {
        if (state_ == nullptr || state_->closing()) {
            return Error(ErrorKind::Closed, "I/O on a closed descriptor");
        }
        if (!ch) {
            return Error(ErrorKind::InvalidParameter, "I/O on an empty channel");
        }
        if (ch.state()->thread != spdk_get_thread()) {
            return Error(ErrorKind::WrongThread, "I/O on a channel of another thread");
        }
        if (writes && !state_->writable) {
            return Error(ErrorKind::PermissionDenied, EBADF,
                         "write through a read-only descriptor");
        }
        return std::nullopt;
    }

    std::optional<Error> check_blocks(uint64_t offset_blocks, uint64_t num_blocks) const {
        if (num_blocks == 0) {
            return Error(ErrorKind::InvalidParameter, "zero-length I/O");
        }
        if (offset_blocks > state_->num_blocks || num_blocks > state_->num_blocks - offset_blocks) {
            return Error(ErrorKind::InvalidParameter,
                         fmt::format("blocks [{}, +{}) are past the end of the bdev ({} blocks)",
                                     offset_blocks, num_blocks, state_->num_blocks));
        }
        return std::nullopt;
    }

    // Byte offset and length to blocks, or an error.
    std::optional<Error> to_blocks(uint64_t offset, uint64_t length, BdevIoRequest &req) const {
        const uint64_t bs = state_->block_size;
        if (offset % bs != 0 || length % bs != 0) {
            return Error(ErrorKind::InvalidParameter,
                         fmt::format("offset {} and length {} must be multiples of the block "
                                     "size {}",
                                     offset, length, bs));
        }
        req.offset_blocks = offset / bs;
        req.num_blocks = length / bs;
        return check_blocks(req.offset_blocks, req.num_blocks);
    }

    std::optional<Error> check_buffer(const void *base, uint64_t needed, uint64_t have) const {
        if (needed > have) {
            return Error(ErrorKind::InvalidParameter,
                         fmt::format("the I/O needs {} bytes, the buffer has {}", needed, have));
        }
        if (reinterpret_cast<uintptr_t>(base) % state_->buf_align != 0) {
            return Error(ErrorKind::InvalidParameter,
                         fmt::format("buffer {} is not aligned to the bdev's {} bytes", base,
                                     state_->buf_align));
        }
        return std::nullopt;
    }

    template <BdevOp Op>
    static constexpr bool kWrites = Op == BdevOp::Write || Op == BdevOp::Writev ||
                                    Op == BdevOp::WriteZeroes || Op == BdevOp::Unmap;

    template <BdevOp Op>
    BdevIo<Op> data_op(BdevChannel &ch, DmaBuf &buf, uint64_t offset, uint64_t length) {
        BdevIoRequest req;
        std::optional<Error> e = check_common(ch, kWrites<Op>);
        if (!e) {
            e = to_blocks(offset, length, req);
        }
        if (!e) {
            e = check_buffer(buf.data(), length, buf.size());
        }
        if (e) {
            return BdevIo<Op>(std::move(*e));
        }
        req.buf = buf.data();
        return {state_, ch.state(), req};
    }

    template <BdevOp Op>
    BdevIo<Op> data_blocks_op(BdevChannel &ch, DmaBuf &buf, uint64_t offset_blocks,
                              uint64_t num_blocks) {
        std::optional<Error> e = check_common(ch, kWrites<Op>);
        if (!e) {
            e = check_blocks(offset_blocks, num_blocks);
        }
        if (!e) {
            e = check_buffer(buf.data(), num_blocks * state_->block_size, buf.size());
        }
        if (e) {
            return BdevIo<Op>(std::move(*e));
        }
        return {state_, ch.state(),
                BdevIoRequest{buf.data(), nullptr, 0, offset_blocks, num_blocks}};
    }

    template <BdevOp Op>
    BdevIo<Op> vector_op(BdevChannel &ch, std::span<const IoVec> iovs, uint64_t offset) {
        const std::span<const iovec> raw = as_iovecs(iovs);
        BdevIoRequest req;
        std::optional<Error> e = check_common(ch, kWrites<Op>);
        if (!e && iovs.empty()) {
            e = Error(ErrorKind::InvalidParameter, "empty scatter-gather list");
        }
        if (!e) {
            e = to_blocks(offset, total_size(raw), req);
        }
        for (std::size_t i = 0; !e && i < raw.size(); ++i) {
            e = check_buffer(raw[i].iov_base, raw[i].iov_len, raw[i].iov_len);
        }
        if (e) {
            return BdevIo<Op>(std::move(*e));
        }
        // SPDK takes a non-const iovec array and does not write to it.
        req.iovs = const_cast<iovec *>(raw.data());
        req.iovcnt = static_cast<int>(raw.size());
        return {state_, ch.state(), req};
    }

    template <BdevOp Op>
    BdevIo<Op> range_op(BdevChannel &ch, uint64_t offset, uint64_t length) {
        BdevIoRequest req;
        std::optional<Error> e = check_common(ch, kWrites<Op>);
        if (!e) {
            e = to_blocks(offset, length, req);
        }
        if (e) {
            return BdevIo<Op>(std::move(*e));
        }
        return {state_, ch.state(), req};
    }

    template <BdevOp Op>
    BdevIo<Op> range_blocks_op(BdevChannel &ch, uint64_t offset_blocks, uint64_t num_blocks) {
        std::optional<Error> e = check_common(ch, kWrites<Op>);
        if (!e) {
            e = check_blocks(offset_blocks, num_blocks);
        }
        if (e) {
            return BdevIo<Op>(std::move(*e));
        }
        return {state_, ch.state(), BdevIoRequest{nullptr, nullptr, 0, offset_blocks, num_blocks}};
    }

    detail::DescState *state_ = nullptr;
};

}  // namespace spdkcpp
