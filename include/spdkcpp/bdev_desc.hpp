// BdevDesc: the RAII owner of an open bdev descriptor, and the I/O you do with it.
//
//   auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
//   auto ch = desc->io_channel();                    // on this spdk_thread
//   auto buf = DmaBuf::alloc(4096, desc->bdev().buf_align());
//   Result<void> r = co_await desc->write(*ch, *buf, 0);
//
// Thread rules: a descriptor is closed on the thread that opened it; dropping the
// owner elsewhere sends the close there. It closes only once the channels got
// from it are put, which happens after their I/O in flight has completed; I/O
// uses a channel of the same descriptor. When the bdev is hot-removed the
// descriptor is closed for you (after your event handler ran, once its channels
// are gone), and new I/O gives Closed.
#pragma once

#include <fmt/format.h>
#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_channel.hpp"
#include "spdkcpp/bdev_operation.hpp"
#include "spdkcpp/detail/desc_state.hpp"
#include "spdkcpp/detail/io_timeout.hpp"
#include "spdkcpp/detail/thread_checks.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/io_vec.hpp"

namespace spdkcpp {

enum class OpenMode { ReadOnly, ReadWrite };

// SPDK's claim types (spdk_bdev_claim_type); see BdevDesc::claim.
enum class ClaimType {
    ExclusiveWrite = SPDK_BDEV_CLAIM_EXCL_WRITE,
    ReadManyWriteOne = SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE,
    ReadManyWriteNone = SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE,
    ReadManyWriteShared = SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED,
};

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

    // Claims the bdev for a module (BdevModule::raw()) through this descriptor, with
    // one of SPDK's claim types (spdk_bdev_module_claim_bdev_desc); on the thread
    // that opened the descriptor, one claim per descriptor. While a bdev is
    // claimed, nobody opens it for writing (ReadWrite opens fail).
    // - ExclusiveWrite (SPDK's EXCL_WRITE, the "v1" claim): one claim on the bdev;
    //   this descriptor becomes its writer, others may still read.
    // - ReadManyWriteOne: as ExclusiveWrite, and refused while another descriptor
    //   has the bdev open for writing.
    // - ReadManyWriteNone: through a read-only descriptor, which stays read-only;
    //   any number of descriptors (of any modules) may hold it at once.
    // - ReadManyWriteShared: every claimant gives the same non-zero shared_key and
    //   becomes a writer; open the next writer ReadOnly and claim through it.
    // A conflict (claimed otherwise, another key, another writer) is Busy; a bad
    // combination (a key without ReadManyWriteShared or none with it,
    // ReadManyWriteNone through a writable descriptor) is InvalidParameter.
    // The claim lasts until the descriptor closes (a hot-removed base releases its
    // claim as it closes); an ExclusiveWrite claim also ends with release_claim().
    Result<void> claim(spdk_bdev_module *claimant, ClaimType type = ClaimType::ExclusiveWrite,
                       uint64_t shared_key = 0) {
        if (!is_open()) {
            return fail(ErrorKind::Closed, "a claim is taken through an open descriptor");
        }
        if (spdk_get_thread() != state_->thread) {
            return fail(ErrorKind::WrongThread, "a claim is taken on the descriptor's thread");
        }
        if (state_->claim != SPDK_BDEV_CLAIM_NONE) {
            return fail(ErrorKind::Busy, "this descriptor already holds a claim");
        }
        if ((type == ClaimType::ReadManyWriteShared) != (shared_key != 0)) {
            return fail(ErrorKind::InvalidParameter,
                        shared_key == 0 ? "a ReadManyWriteShared claim needs a non-zero shared key"
                                        : "only a ReadManyWriteShared claim takes a shared key");
        }
        if (type == ClaimType::ReadManyWriteNone && state_->writable) {
            return fail(ErrorKind::InvalidParameter,
                        "a ReadManyWriteNone claim is taken through a read-only descriptor");
        }
        const auto raw_type = static_cast<spdk_bdev_claim_type>(type);
        spdk_bdev_claim_opts opts;
        spdk_bdev_claim_opts_init(&opts, sizeof(opts));
        opts.shared_claim_key = shared_key;
        const int rc = spdk_bdev_module_claim_bdev_desc(state_->desc, raw_type, &opts, claimant);
        if (rc != 0) {
            return fail(claim_refusal(type, rc));
        }
        state_->claim = raw_type;
        if (type != ClaimType::ReadManyWriteNone) {
            state_->writable = true;  // SPDK made the descriptor a writer
        }
        return {};
    }
    [[nodiscard]] bool claimed() const noexcept {
        return state_ != nullptr && state_->claim != SPDK_BDEV_CLAIM_NONE;
    }
    // The claim this descriptor holds, if any.
    [[nodiscard]] std::optional<ClaimType> claim_type() const noexcept {
        if (!claimed()) {
            return std::nullopt;
        }
        return static_cast<ClaimType>(state_->claim);
    }
    // Ends an ExclusiveWrite claim, the descriptor staying open. SPDK ends the
    // other claims only as their descriptor closes: for those this is NotSupported
    // (close() the descriptor instead) and the claim stays.
    Result<void> release_claim() {
        if (!claimed()) {
            return fail(ErrorKind::InvalidParameter, "this descriptor holds no claim");
        }
        if (spdk_get_thread() != state_->thread) {
            return fail(ErrorKind::WrongThread, "a claim is released on the descriptor's thread");
        }
        if (state_->claim != SPDK_BDEV_CLAIM_EXCL_WRITE) {
            return fail(ErrorKind::NotSupported,
                        fmt::format("a {} claim ends only when its descriptor closes",
                                    spdk_bdev_claim_get_name(state_->claim)));
        }
        state_->claim = SPDK_BDEV_CLAIM_NONE;
        spdk_bdev_module_release_bdev(state_->bdev);
        return {};
    }

    // Watches the I/O of this descriptor for starvation (SPDK's spdk_bdev_set_timeout):
    // once a second SPDK looks at every channel of the bdev, and on_timeout(const
    // TimedOutIo &) runs for each I/O submitted through this descriptor that has been
    // outstanding (submitted, its completion not yet delivered) for `timeout` or
    // longer, once per look for as long as it stays so, oldest first. It runs on the
    // thread of the channel the I/O went through: this thread when the descriptor's
    // channels are all here; otherwise there, maybe while this thread runs, so make
    // it safe to run there. It only looks: the I/O stays the bdev layer's.
    // On the descriptor's thread (WrongThread elsewhere), while it is open (Closed).
    // A later call replaces the setting and the callable (destroyed once no call of
    // it is under way, so on_timeout may itself replace or clear it); a timeout of 0
    // clears it, as clear_timeout(); a negative one is InvalidParameter. The
    // descriptor owns the callable until then, or until it closes: an allocation per
    // call, none per I/O, and moving the BdevDesc moves nothing SPDK points at.
    // Time is SPDK's tick clock; the embedded runtime takes the later of it and the
    // thread's clock (the `now` of its polls), so that a ThreadDriver's virtual time
    // ages I/O without sleeping, where SPDK needs the real seconds to pass.
    template <typename F>
    requires(std::is_invocable_v<std::decay_t<F> &, const TimedOutIo &>) Result<void> set_timeout(
        std::chrono::seconds timeout, F &&on_timeout) {
        if (auto settable = timeout_settable(); !settable) {
            return settable;
        }
        if (timeout.count() < 0) {
            return fail(ErrorKind::InvalidParameter, "an I/O timeout cannot be negative");
        }
        if (timeout.count() == 0) {
            return apply_timeout(0, nullptr);
        }
        auto *handler = detail::IoTimeoutSlot::make(std::forward<F>(on_timeout));
        if (handler == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot allocate the I/O timeout's callable");
        }
        return apply_timeout(static_cast<uint64_t>(timeout.count()), handler);
    }
    // Ends the watch set by set_timeout (none set: nothing to do); same thread rules.
    Result<void> clear_timeout() {
        if (auto settable = timeout_settable(); !settable) {
            return settable;
        }
        return apply_timeout(0, nullptr);
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
        return BdevChannel::adopt(ch, state_);
    }

    // Reads buf.size() bytes at byte offset.
    BdevOperation<BdevOp::Read, Units::Bytes> read(BdevChannel &ch, DmaBuf &buf, uint64_t offset) {
        return data_op<BdevOp::Read, Units::Bytes>(ch, buf.data(), buf.size(), offset, buf.size());
    }
    void read(BdevChannel &, DmaBuf &&, uint64_t) = delete;
    // Reads num_blocks blocks at offset_blocks into the start of buf.
    BdevOperation<BdevOp::Read, Units::Blocks> read_blocks(BdevChannel &ch, DmaBuf &buf,
                                                           uint64_t offset_blocks,
                                                           uint64_t num_blocks) {
        return data_op<BdevOp::Read, Units::Blocks>(ch, buf.data(), buf.size(), offset_blocks,
                                                    num_blocks);
    }
    void read_blocks(BdevChannel &, DmaBuf &&, uint64_t, uint64_t) = delete;
    // Reads into a scatter-gather list at byte offset: any contiguous range of
    // IoVec, DmaBuf or iovec (a std::vector, a std::array, a span, as_iovecs' result).
    // A temporary container does not compile (it could be gone before the I/O is);
    // a temporary span of a named one does.
    template <IoVecRange R>
    requires SafeToLend<R> BdevOperation<BdevOp::Readv, Units::Bytes> readv(BdevChannel &ch,
                                                                            R &&iovs,
                                                                            uint64_t offset) {
        return vector_op<BdevOp::Readv>(ch, iovecs_of(iovs), offset);
    }
    template <IoVecRange R>
    requires(!SafeToLend<R>) void readv(BdevChannel &, R &&, uint64_t) = delete;

    BdevOperation<BdevOp::Write, Units::Bytes> write(BdevChannel &ch, DmaBuf &buf,
                                                     uint64_t offset) {
        return data_op<BdevOp::Write, Units::Bytes>(ch, buf.data(), buf.size(), offset, buf.size());
    }
    void write(BdevChannel &, DmaBuf &&, uint64_t) = delete;
    BdevOperation<BdevOp::Write, Units::Blocks> write_blocks(BdevChannel &ch, DmaBuf &buf,
                                                             uint64_t offset_blocks,
                                                             uint64_t num_blocks) {
        return data_op<BdevOp::Write, Units::Blocks>(ch, buf.data(), buf.size(), offset_blocks,
                                                     num_blocks);
    }
    void write_blocks(BdevChannel &, DmaBuf &&, uint64_t, uint64_t) = delete;
    template <IoVecRange R>
    requires SafeToLend<R> BdevOperation<BdevOp::Writev, Units::Bytes> writev(BdevChannel &ch,
                                                                              R &&iovs,
                                                                              uint64_t offset) {
        return vector_op<BdevOp::Writev>(ch, iovecs_of(iovs), offset);
    }
    template <IoVecRange R>
    requires(!SafeToLend<R>) void writev(BdevChannel &, R &&, uint64_t) = delete;

    BdevOperation<BdevOp::WriteZeroes, Units::Bytes> write_zeroes(BdevChannel &ch, uint64_t offset,
                                                                  uint64_t length) {
        return range_op<BdevOp::WriteZeroes, Units::Bytes>(ch, offset, length);
    }
    BdevOperation<BdevOp::WriteZeroes, Units::Blocks> write_zeroes_blocks(BdevChannel &ch,
                                                                          uint64_t offset_blocks,
                                                                          uint64_t num_blocks) {
        return range_op<BdevOp::WriteZeroes, Units::Blocks>(ch, offset_blocks, num_blocks);
    }
    BdevOperation<BdevOp::Unmap, Units::Bytes> unmap(BdevChannel &ch, uint64_t offset,
                                                     uint64_t length) {
        return range_op<BdevOp::Unmap, Units::Bytes>(ch, offset, length);
    }
    BdevOperation<BdevOp::Unmap, Units::Blocks> unmap_blocks(BdevChannel &ch,
                                                             uint64_t offset_blocks,
                                                             uint64_t num_blocks) {
        return range_op<BdevOp::Unmap, Units::Blocks>(ch, offset_blocks, num_blocks);
    }
    BdevOperation<BdevOp::Flush, Units::Bytes> flush(BdevChannel &ch, uint64_t offset,
                                                     uint64_t length) {
        return range_op<BdevOp::Flush, Units::Bytes>(ch, offset, length);
    }
    BdevOperation<BdevOp::Flush, Units::Blocks> flush_blocks(BdevChannel &ch,
                                                             uint64_t offset_blocks,
                                                             uint64_t num_blocks) {
        return range_op<BdevOp::Flush, Units::Blocks>(ch, offset_blocks, num_blocks);
    }
    BdevOperation<BdevOp::Reset, Units::Blocks> reset(BdevChannel &ch) {
        if (!usable<BdevOp::Reset>(ch)) [[unlikely]] {
            return refuse<BdevOp::Reset, Units::Blocks>(ch);
        }
        return {state_, ch.state(), {}, 0, 0};
    }

  private:
    explicit BdevDesc(detail::DescState *state) noexcept : state_(state) {}

    // Why SPDK refused a claim (rc < 0).
    [[gnu::cold]] Error claim_refusal(ClaimType type, int rc) const {
        const std::string name(spdk_bdev_get_name(state_->bdev));
        if (rc != -EPERM && rc != -EBUSY) {
            return Error::from_errno(
                rc, fmt::format("cannot claim bdev '{}' ({})", name,
                                spdk_bdev_claim_get_name(static_cast<spdk_bdev_claim_type>(type))));
        }
        const char *why = "";
        switch (type) {
            case ClaimType::ExclusiveWrite:
                why = "";
                break;
            case ClaimType::ReadManyWriteOne:
                why = ", or another descriptor writes to it";
                break;
            case ClaimType::ReadManyWriteNone:
                why = " for writing, or another descriptor writes to it";
                break;
            case ClaimType::ReadManyWriteShared:
                why =
                    " otherwise or with another key, or a descriptor without the claim "
                    "writes to it";
                break;
        }
        return {ErrorKind::Busy, EBUSY, fmt::format("bdev '{}' is already claimed{}", name, why)};
    }

    [[nodiscard]] Result<void> timeout_settable() const {
        if (!is_open()) {
            return fail(ErrorKind::Closed, "an I/O timeout is set on an open descriptor");
        }
        if (spdk_get_thread() != state_->thread) {
            return fail(ErrorKind::WrongThread, "an I/O timeout is set on the descriptor's thread");
        }
        return {};
    }

    // Puts handler (null: none) in force with SPDK. The slot changes first: a look
    // under way reports to the new setting only.
    Result<void> apply_timeout(uint64_t seconds, detail::IoTimeoutSlot::Handler *handler) {
        state_->timeout.replace(handler, detail::IoTimeoutSlot::to_ticks(seconds));
        const bool on = handler != nullptr;
        const int rc = spdk_bdev_set_timeout(state_->desc, seconds,
                                             on ? &detail::DescState::io_timeout_cb : nullptr,
                                             on ? state_ : nullptr);
        if (rc != 0) {
            // SPDK keeps no poller after a failure (its -1 is a poller it could not
            // register): nothing is watched.
            state_->timeout.replace(nullptr, 0);
            if (rc == -1 || rc == -ENOMEM) {
                return fail(Error(ErrorKind::OutOfMemory, ENOMEM,
                                  "cannot register the I/O timeout poller"));
            }
            return fail(Error::from_errno(rc, "spdk_bdev_set_timeout"));
        }
        return {};
    }

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
        state->align_mask = spdk_bdev_get_buf_align(state->bdev) - 1;
        return BdevDesc(state.release());
    }

    void reset() noexcept {
        if (detail::DescState *state = std::exchange(state_, nullptr)) {
            state->request_close(true);
        }
    }

    template <BdevOp Op>
    static constexpr bool kWrites = Op == BdevOp::Write || Op == BdevOp::Writev ||
                                    Op == BdevOp::WriteZeroes || Op == BdevOp::Unmap;

    // The checks every operation passes before submission. Ranges are checked by
    // SPDK itself (a refusal becomes a precise error, see invalid_range); the
    // channel's thread is checked when thread checks are on (debug builds), as
    // with ThreadBound.
    template <BdevOp Op>
    [[nodiscard]] bool usable(const BdevChannel &ch) const noexcept {
        // A channel's descriptor is never null, so this also refuses a closed owner.
        return ch && ch.state()->desc == state_ &&
#if SPDKCPP_THREAD_CHECKS
               ch.state()->thread == spdk_get_thread() &&
#endif
               (!kWrites<Op> || state_->writable);
    }

    // Refusals are built out of line, so the awaiting coroutine inlines only the
    // checks. Why usable() said no:
    template <BdevOp Op, Units U>
    [[gnu::cold, gnu::noinline]] BdevOperation<Op, U> refuse(const BdevChannel &ch) const {
        return BdevOperation<Op, U>(refusal(ch));
    }

    [[nodiscard]] Error refusal(const BdevChannel &ch) const {
        if (state_ == nullptr || state_->closing()) {
            return {ErrorKind::Closed, "I/O on a closed descriptor"};
        }
        if (!ch) {
            return {ErrorKind::InvalidParameter, "I/O on an empty channel"};
        }
        if (ch.state()->desc != state_) {
            return {ErrorKind::InvalidParameter, "I/O on a channel of another descriptor"};
        }
        if (ch.state()->thread != spdk_get_thread()) {
            return {ErrorKind::WrongThread, "I/O on a channel of another thread"};
        }
        return {ErrorKind::PermissionDenied, EBADF, "write through a read-only descriptor"};
    }

    // Why a buffer of `size` bytes at base cannot carry `length` (in U) of data.
    template <BdevOp Op, Units U>
    [[gnu::cold, gnu::noinline]] BdevOperation<Op, U> refuse_buffer(const void *base, uint64_t size,
                                                                    uint64_t length) const {
        if (length == 0) {
            return BdevOperation<Op, U>({ErrorKind::InvalidParameter, "zero-length I/O"});
        }
        const uint64_t needed = U == Units::Blocks ? length * state_->block_size : length;
        if (needed > size) {
            return BdevOperation<Op, U>(
                {ErrorKind::InvalidParameter,
                 fmt::format("the I/O needs {} bytes, the buffer has {}", needed, size)});
        }
        return BdevOperation<Op, U>({ErrorKind::InvalidParameter,
                                     fmt::format("buffer {} is not aligned to the bdev's {} bytes",
                                                 base, state_->align_mask + 1)});
    }

    [[nodiscard]] bool misaligned(const void *base) const noexcept {
        return (reinterpret_cast<uintptr_t>(base) & state_->align_mask) != 0;
    }

    template <BdevOp Op, Units U>
    BdevOperation<Op, U> data_op(BdevChannel &ch, std::byte *base, uint64_t size, uint64_t offset,
                                 uint64_t length) {
        if (!usable<Op>(ch)) [[unlikely]] {
            return refuse<Op, U>(ch);
        }
        // The byte API takes the length from the buffer; blocks must fit in it.
        const bool too_long = U == Units::Blocks && length > size / state_->block_size;
        if (length == 0 || too_long || misaligned(base)) [[unlikely]] {
            return refuse_buffer<Op, U>(base, size, length);
        }
        return {state_, ch.state(), {base}, offset, length};
    }

    template <BdevOp Op>
    BdevOperation<Op, Units::Bytes> vector_op(BdevChannel &ch, std::span<const iovec> raw,
                                              uint64_t offset) {
        if (!usable<Op>(ch)) [[unlikely]] {
            return refuse<Op, Units::Bytes>(ch);
        }
        const uint64_t length = total_size(raw);
        if (length == 0) [[unlikely]] {
            return refuse_buffer<Op, Units::Bytes>(nullptr, 0, 0);
        }
        for (const iovec &v : raw) {
            if (misaligned(v.iov_base)) [[unlikely]] {
                return refuse_buffer<Op, Units::Bytes>(v.iov_base, v.iov_len, v.iov_len);
            }
        }
        // SPDK takes a non-const iovec array and does not write to it.
        return {state_,
                ch.state(),
                {const_cast<iovec *>(raw.data()), static_cast<int>(raw.size())},
                offset,
                length};
    }

    template <BdevOp Op, Units U>
    BdevOperation<Op, U> range_op(BdevChannel &ch, uint64_t offset, uint64_t length) {
        if (!usable<Op>(ch)) [[unlikely]] {
            return refuse<Op, U>(ch);
        }
        if (length == 0) [[unlikely]] {
            return refuse_buffer<Op, U>(nullptr, 0, 0);
        }
        return {state_, ch.state(), {}, offset, length};
    }

    detail::DescState *state_ = nullptr;
};

}  // namespace spdkcpp
