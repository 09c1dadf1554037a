// IoVec: a non-owning view of one contiguous run of memory, laid out as a
// struct iovec, so spans of IoVecs (and of DmaBufs) pass to SPDK's vectored calls
// without a copy.
#pragma once

#include <sys/uio.h>

#include <concepts>
#include <cstddef>
#include <ranges>
#include <span>
#include <type_traits>

#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

class IoVec {
  public:
    constexpr IoVec() noexcept = default;

    // A view of the whole buffer. Taking one of a temporary does not compile: the
    // view would outlive its memory.
    explicit IoVec(DmaBuf &buf) noexcept : iov_{buf.data(), buf.size()} {}
    explicit IoVec(const DmaBuf &&) = delete;

    explicit IoVec(std::span<std::byte> bytes) noexcept : iov_{bytes.data(), bytes.size()} {}

    // For memory that comes from C: a null base with a non-zero length is refused.
    static Result<IoVec> from_raw(void *base, std::size_t length) {
        if (base == nullptr && length != 0) {
            return fail(ErrorKind::InvalidParameter,
                        "an iovec with a null base must have length 0");
        }
        return IoVec(std::span<std::byte>(static_cast<std::byte *>(base), length));
    }

    [[nodiscard]] std::byte *data() const noexcept {
        return static_cast<std::byte *>(iov_.iov_base);
    }
    [[nodiscard]] std::size_t size() const noexcept { return iov_.iov_len; }
    [[nodiscard]] bool empty() const noexcept { return iov_.iov_len == 0; }
    [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data(), size()}; }

    // [offset, offset + length) of this view, or InvalidParameter past its end.
    [[nodiscard]] Result<IoVec> subview(std::size_t offset, std::size_t length) const {
        if (offset > size() || length > size() - offset) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("range [{}, +{}) is past the end of a {}-byte iovec", offset,
                                    length, size()));
        }
        return IoVec(bytes().subspan(offset, length));
    }

    [[nodiscard]] const iovec &as_iovec() const noexcept { return iov_; }

  private:
    iovec iov_{};
};

static_assert(std::is_standard_layout_v<IoVec> && sizeof(IoVec) == sizeof(iovec) &&
              alignof(IoVec) == alignof(iovec));
static_assert(std::is_standard_layout_v<DmaBuf> && alignof(DmaBuf) == alignof(iovec));

// Both IoVec and DmaBuf hold exactly one iovec (pointer-interconvertible with it),
// so a contiguous run of either is a run of iovecs. The span views the same
// memory: it is valid while the IoVecs or DmaBufs are.
inline std::span<const iovec> as_iovecs(std::span<const IoVec> vecs) noexcept {
    return {reinterpret_cast<const iovec *>(vecs.data()), vecs.size()};
}
inline std::span<const iovec> as_iovecs(std::span<const DmaBuf> bufs) noexcept {
    return {reinterpret_cast<const iovec *>(bufs.data()), bufs.size()};
}

// What a vectored I/O takes: a contiguous range of IoVec, DmaBuf or iovec.
template <typename R>
concept IoVecRange = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
    (std::same_as<std::ranges::range_value_t<R>, IoVec> ||
     std::same_as<std::ranges::range_value_t<R>, DmaBuf> ||
     std::same_as<std::ranges::range_value_t<R>, iovec>);

// A range that may be lent to an I/O: a named one, or a view (a span) that does not
// own what it shows. A temporary container would be destroyed under the I/O.
template <typename R>
concept SafeToLend = std::is_lvalue_reference_v<R> || std::ranges::borrowed_range<R>;

// The iovecs of such a range, without a copy.
template <IoVecRange R>
std::span<const iovec> iovecs_of(R &range) noexcept {
    using V = std::ranges::range_value_t<R>;
    if constexpr (std::same_as<V, iovec>) {
        return {std::ranges::data(range), std::ranges::size(range)};
    } else {
        return as_iovecs(std::span<const V>(std::ranges::data(range), std::ranges::size(range)));
    }
}

// Total bytes of a scatter-gather list.
inline std::size_t total_size(std::span<const iovec> iovs) noexcept {
    std::size_t total = 0;
    for (const iovec &v : iovs) {
        total += v.iov_len;
    }
    return total;
}

}  // namespace spdkcpp
