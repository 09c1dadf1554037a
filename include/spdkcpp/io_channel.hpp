// IoChannel<Ctx>: the RAII owner of one reference to an spdk_io_channel.
//
// A channel belongs to the spdk_thread that got it. Dropping the owner puts the
// channel on that thread: directly when dropped there, otherwise through a message
// (SPDK refuses a put from another thread, and the channel would leak).
#pragma once

#include <cassert>
#include <new>
#include <type_traits>
#include <utility>

#include "spdk/thread.h"
#include "spdkcpp/detail/thread_checks.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

// Ctx: the C++ type of the channel's context (IoDevice<Ctx>), or void for a
// channel whose context is not ours (a bdev's).
template <typename Ctx = void>
class IoChannel {
  public:
    IoChannel() noexcept = default;
    // Takes over one reference to ch (as returned by spdk_get_io_channel).
    explicit IoChannel(spdk_io_channel *ch) noexcept : ch_(ch) {}
    IoChannel(const IoChannel &) = delete;
    IoChannel &operator=(const IoChannel &) = delete;
    IoChannel(IoChannel &&other) noexcept : ch_(std::exchange(other.ch_, nullptr)) {}
    IoChannel &operator=(IoChannel &&other) noexcept {
        if (this != &other) {
            reset();
            ch_ = std::exchange(other.ch_, nullptr);
        }
        return *this;
    }
    ~IoChannel() { reset(); }

    [[nodiscard]] explicit operator bool() const noexcept { return ch_ != nullptr; }
    [[nodiscard]] spdk_io_channel *raw() const noexcept { return ch_; }
    [[nodiscard]] ThreadRef thread() const noexcept {
        return ThreadRef(ch_ != nullptr ? spdk_io_channel_get_thread(ch_) : nullptr);
    }

    // The channel's context, on the channel's thread only: checked (an assertion)
    // when thread checks are on, as ThreadBound::get is; free when they are off.
    template <typename C = Ctx>
    requires(!std::is_void_v<C>) [[nodiscard]] C &ctx() const noexcept {
#if SPDKCPP_THREAD_CHECKS
        assert(spdk_io_channel_get_thread(ch_) == spdk_get_thread() &&
               "IoChannel::ctx() used off the channel's thread");
#endif
        return *std::launder(static_cast<C *>(spdk_io_channel_get_ctx(ch_)));
    }

    // Puts the channel now (on its own thread) and leaves the owner empty.
    Result<void> put() {
        if (ch_ == nullptr) {
            return fail(ErrorKind::Closed, "channel already put");
        }
        if (spdk_get_thread() != spdk_io_channel_get_thread(ch_)) {
            return fail(ErrorKind::WrongThread, "a channel is put on the thread that got it");
        }
        spdk_put_io_channel(std::exchange(ch_, nullptr));
        return {};
    }

    // Gives up ownership without putting.
    [[nodiscard]] spdk_io_channel *release() noexcept {
        return std::exchange(ch_, nullptr);
    }

  private:
    void reset() noexcept {
        spdk_io_channel *ch = std::exchange(ch_, nullptr);
        if (ch == nullptr) {
            return;
        }
        detail::release_on(
            spdk_io_channel_get_thread(ch),
            [](void *arg) { spdk_put_io_channel(static_cast<spdk_io_channel *>(arg)); }, ch,
            "io_channel");
    }

    spdk_io_channel *ch_ = nullptr;
};

}  // namespace spdkcpp
