// ThreadBound<T> and ThreadBoundRef<T>: data that belongs to one spdk_thread.
//
// The C++ counterpart of spdk-rs UnsafeData (owned) and UnsafeRef (borrowed). Each
// remembers the spdk_thread it was made on. With thread checks on (debug builds,
// or SPDKCPP_THREAD_CHECKS=1) access from any other thread is a WrongThread error
// from with(), and an assertion from get(); with them off (release builds) neither
// stores nor checks anything, so access costs what a plain reference costs.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>

#include "spdk/thread.h"
#include "spdkcpp/detail/thread_checks.hpp"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

namespace detail {

// The thread a value belongs to, stored only when checks are on.
class ThreadAffinity {
  public:
    ThreadAffinity() noexcept
#if SPDKCPP_THREAD_CHECKS
        : thread_(spdk_get_thread())
#endif
    {
    }

    [[nodiscard]] bool on_owner() const noexcept {
#if SPDKCPP_THREAD_CHECKS
        return spdk_get_thread() == thread_;
#else
        return true;
#endif
    }

    // The owner's thread; null when checks are off.
    [[nodiscard]] spdk_thread *owner() const noexcept {
#if SPDKCPP_THREAD_CHECKS
        return thread_;
#else
        return nullptr;
#endif
    }

  private:
#if SPDKCPP_THREAD_CHECKS
    spdk_thread *thread_;
#endif
};

inline Error wrong_thread() {
    return Error(ErrorKind::WrongThread, "thread-bound data used off its spdk_thread");
}

template <typename T, typename F>
auto with_checked(const ThreadAffinity &affinity, T &value, F &&fn)
    -> Result<std::invoke_result_t<F, T &>> {
    if (!affinity.on_owner()) {
        return std::unexpected(wrong_thread());
    }
    if constexpr (std::is_void_v<std::invoke_result_t<F, T &>>) {
        std::forward<F>(fn)(value);
        return {};
    } else {
        return std::forward<F>(fn)(value);
    }
}

}  // namespace detail

template <typename T>
class ThreadBound {
  public:
    // Made on (and bound to) the calling spdk_thread.
    template <typename... Args>
    requires std::is_constructible_v<T, Args &&...>
    explicit ThreadBound(Args &&...args) : value_(std::forward<Args>(args)...) {}

    // Runs fn(value) and gives its result, or WrongThread off the owning thread.
    template <typename F>
    auto with(F &&fn) -> Result<std::invoke_result_t<F, T &>> {
        return detail::with_checked(affinity_, value_, std::forward<F>(fn));
    }
    template <typename F>
    auto with(F &&fn) const -> Result<std::invoke_result_t<F, const T &>> {
        return detail::with_checked(affinity_, value_, std::forward<F>(fn));
    }

    // Direct access; asserts the thread when checks are on.
    T &get() noexcept {
        assert(affinity_.on_owner() && "ThreadBound used off its spdk_thread");
        return value_;
    }
    const T &get() const noexcept {
        assert(affinity_.on_owner() && "ThreadBound used off its spdk_thread");
        return value_;
    }

    [[nodiscard]] bool on_owner_thread() const noexcept { return affinity_.on_owner(); }
    [[nodiscard]] spdk_thread *owner() const noexcept { return affinity_.owner(); }

  private:
    [[no_unique_address]] detail::ThreadAffinity affinity_;
    T value_;
};

// A borrowed reference bound to the spdk_thread it was made on. The referent must
// outlive it, as with any reference.
template <typename T>
class ThreadBoundRef {
  public:
    explicit ThreadBoundRef(T &ref) noexcept : ref_(&ref) {}
    ThreadBoundRef(T &&) = delete;

    template <typename F>
    auto with(F &&fn) const -> Result<std::invoke_result_t<F, T &>> {
        return detail::with_checked(affinity_, *ref_, std::forward<F>(fn));
    }

    T &get() const noexcept {
        assert(affinity_.on_owner() && "ThreadBoundRef used off its spdk_thread");
        return *ref_;
    }

    [[nodiscard]] bool on_owner_thread() const noexcept { return affinity_.on_owner(); }

  private:
    [[no_unique_address]] detail::ThreadAffinity affinity_;
    T *ref_;
};

}  // namespace spdkcpp
