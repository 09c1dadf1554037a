// DmaBuf: the one owner of a block of DMA memory from spdk_dma_malloc.
#pragma once

#include <sys/uio.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

#include "spdk/env.h"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

// A move-only owner of DMA memory, freed with spdk_dma_free when dropped. Its only
// member is a struct iovec, so an array of DmaBufs reads as an array of iovecs
// (see as_iovecs in io_vec.hpp) without a copy.
//
// Byte views are available on lvalues only: a view of a temporary DmaBuf would
// dangle, so it does not compile.
class DmaBuf {
  public:
    DmaBuf() noexcept = default;
    DmaBuf(const DmaBuf &) = delete;
    DmaBuf &operator=(const DmaBuf &) = delete;
    DmaBuf(DmaBuf &&other) noexcept : iov_(std::exchange(other.iov_, {})) {}
    DmaBuf &operator=(DmaBuf &&other) noexcept {
        if (this != &other) {
            reset();
            iov_ = std::exchange(other.iov_, {});
        }
        return *this;
    }
    ~DmaBuf() { reset(); }

    // alignment: 0 for SPDK's default (a cache line), else a power of two.
    static Result<DmaBuf> alloc(std::size_t size, std::size_t alignment = 0) {
        return allocate(size, alignment, false);
    }
    static Result<DmaBuf> alloc_zeroed(std::size_t size, std::size_t alignment = 0) {
        return allocate(size, alignment, true);
    }

    [[nodiscard]] std::size_t size() const noexcept { return iov_.iov_len; }
    [[nodiscard]] bool empty() const noexcept { return iov_.iov_base == nullptr; }
    [[nodiscard]] explicit operator bool() const noexcept { return !empty(); }

    // The largest power of two that divides data(): at least what alloc was asked
    // for (and at least a cache line); 0 for an empty DmaBuf.
    [[nodiscard]] std::size_t alignment() const noexcept {
        const auto addr = reinterpret_cast<std::uintptr_t>(iov_.iov_base);
        return addr == 0 ? 0 : std::size_t{1} << std::countr_zero(addr);
    }

    [[nodiscard]] std::byte *data() &noexcept { return static_cast<std::byte *>(iov_.iov_base); }
    [[nodiscard]] const std::byte *data() const &noexcept {
        return static_cast<const std::byte *>(iov_.iov_base);
    }
    std::byte *data() && = delete;

    [[nodiscard]] std::span<std::byte> bytes() &noexcept { return {data(), size()}; }
    [[nodiscard]] std::span<const std::byte> bytes() const &noexcept { return {data(), size()}; }
    std::span<std::byte> bytes() && = delete;

    // [offset, offset + length) of the buffer, or InvalidParameter past the end.
    [[nodiscard]] Result<std::span<std::byte>> subspan(std::size_t offset, std::size_t length) & {
        if (offset > size() || length > size() - offset) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("range [{}, +{}) is past the end of a {}-byte buffer", offset,
                                    length, size()));
        }
        return bytes().subspan(offset, length);
    }
    Result<std::span<std::byte>> subspan(std::size_t, std::size_t) && = delete;

    void fill(std::byte value) noexcept {
        if (!empty()) {
            std::memset(iov_.iov_base, std::to_integer<int>(value), size());
        }
    }

    // Copies src into the buffer at offset; InvalidParameter if it does not fit.
    Result<void> copy_from(std::span<const std::byte> src, std::size_t offset = 0) {
        auto dst = subspan(offset, src.size());
        if (!dst) {
            return fail(std::move(dst.error()));
        }
        if (!src.empty()) {
            std::memcpy(dst->data(), src.data(), src.size());
        }
        return {};
    }

    // Equal when both hold the same bytes.
    friend bool operator==(const DmaBuf &a, const DmaBuf &b) noexcept {
        return std::ranges::equal(a.bytes(), b.bytes());
    }

    // Hands the memory over to the caller, who frees it with spdk_dma_free.
    [[nodiscard]] void *release() noexcept { return std::exchange(iov_, {}).iov_base; }

  private:
    DmaBuf(void *base, std::size_t size) noexcept : iov_{base, size} {}

    static Result<DmaBuf> allocate(std::size_t size, std::size_t alignment, bool zeroed) {
        if (size == 0) {
            return fail(ErrorKind::InvalidParameter, "a DMA buffer cannot be empty");
        }
        if (alignment != 0 && !std::has_single_bit(alignment)) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("alignment {} is not a power of two", alignment));
        }
        void *base = zeroed ? spdk_dma_zmalloc(size, alignment, nullptr)
                            : spdk_dma_malloc(size, alignment, nullptr);
        if (base == nullptr) {
            return fail(ErrorKind::OutOfMemory,
                        fmt::format("cannot allocate {} bytes of DMA memory aligned to {} (out "
                                    "of DMA memory, or no SPDK environment: see env.hpp)",
                                    size, alignment));
        }
        return DmaBuf(base, size);
    }

    void reset() noexcept {
        if (iov_.iov_base != nullptr) {
            spdk_dma_free(std::exchange(iov_, {}).iov_base);
        }
    }

    iovec iov_{};
};

static_assert(sizeof(DmaBuf) == sizeof(iovec));

}  // namespace spdkcpp
