// Passing a C++ callable through SPDK's (fn, void *ctx) callback pairs.
//
// A callable that fits in a pointer and is trivially copyable travels inside the
// ctx pointer itself: sending it allocates nothing. Anything larger is moved to
// the heap and freed after it ran (or when the send failed).
#pragma once

#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace spdkcpp::detail {

template <typename F>
inline constexpr bool fits_in_pointer =
    sizeof(F) <= sizeof(void *) && alignof(F) <= alignof(void *) &&
    std::is_trivially_copyable_v<F> &&std::is_trivially_destructible_v<F>;

// Returns ctx for F, or null when the heap allocation failed.
template <typename F>
void *pack(F &&fn) {
    using Fn = std::decay_t<F>;
    if constexpr (fits_in_pointer<Fn>) {
        void *ctx = nullptr;
        std::memcpy(static_cast<void *>(&ctx), static_cast<const void *>(&fn), sizeof(Fn));
        return ctx;
    } else {
        return new (std::nothrow) Fn(std::forward<F>(fn));
    }
}

template <typename Fn>
bool packed_ok(void *ctx) {
    return fits_in_pointer<Fn> || ctx != nullptr;
}

// Runs the callable packed in ctx, once, and releases it.
template <typename Fn>
void run_packed(void *ctx) {
    if constexpr (fits_in_pointer<Fn>) {
        alignas(Fn) unsigned char storage[sizeof(Fn)];
        std::memcpy(storage, static_cast<const void *>(&ctx), sizeof(Fn));
        (*std::launder(reinterpret_cast<Fn *>(storage)))();
    } else {
        std::unique_ptr<Fn> fn(static_cast<Fn *>(ctx));
        (*fn)();
    }
}

// Releases a packed callable that will never run.
template <typename Fn>
void drop_packed(void *ctx) noexcept {
    if constexpr (!fits_in_pointer<Fn>) {
        delete static_cast<Fn *>(ctx);
    }
}

}  // namespace spdkcpp::detail
