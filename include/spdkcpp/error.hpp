// One error model: SPDK's errno-style return codes become a typed Error carried in
// std::expected. Nothing here throws.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <expected>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace spdkcpp {

enum class ErrorKind : std::uint8_t {
    InvalidParameter,
    OutOfMemory,
    BdevNotFound,
    BdevUnregisterFailed,
    NotSupported,
    WrongThread,
    Closed,
    IoFailed,
    Cancelled,
    AlreadyExists,
    Busy,
    PermissionDenied,
    // A task that waits on nothing that can still happen: every thread went idle
    // (ThreadDriver::run) before it finished.
    Stalled,
    Other,
};

constexpr std::string_view to_string(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::InvalidParameter:
            return "invalid parameter";
        case ErrorKind::OutOfMemory:
            return "out of memory";
        case ErrorKind::BdevNotFound:
            return "bdev not found";
        case ErrorKind::BdevUnregisterFailed:
            return "bdev unregister failed";
        case ErrorKind::NotSupported:
            return "not supported";
        case ErrorKind::WrongThread:
            return "wrong thread";
        case ErrorKind::Closed:
            return "closed";
        case ErrorKind::IoFailed:
            return "I/O failed";
        case ErrorKind::Cancelled:
            return "cancelled";
        case ErrorKind::AlreadyExists:
            return "already exists";
        case ErrorKind::Busy:
            return "busy";
        case ErrorKind::PermissionDenied:
            return "permission denied";
        case ErrorKind::Stalled:
            return "stalled";
        case ErrorKind::Other:
            break;
    }
    return "error";
}

// The kind an errno value stands for when nothing more specific is known.
constexpr ErrorKind kind_of_errno(int code) noexcept {
    switch (code < 0 ? -code : code) {
        case EINVAL:
        case ERANGE:
        case EFAULT:
            return ErrorKind::InvalidParameter;
        case ENOMEM:
        case ENOSPC:
            return ErrorKind::OutOfMemory;
        case ENODEV:
        case ENOENT:
            return ErrorKind::BdevNotFound;
        case ENOTSUP:
        case ENOSYS:
            return ErrorKind::NotSupported;
        case EIO:
            return ErrorKind::IoFailed;
        case ECANCELED:
            return ErrorKind::Cancelled;
        case EEXIST:
            return ErrorKind::AlreadyExists;
        case EBUSY:
        case EAGAIN:
            return ErrorKind::Busy;
        case EPERM:
        case EACCES:
        case EBADF:
            return ErrorKind::PermissionDenied;
        case EPIPE:
            return ErrorKind::Closed;
        default:
            return ErrorKind::Other;
    }
}

// The errno value that stands for a kind, for errors made without one.
constexpr int errno_of_kind(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::InvalidParameter:
            return EINVAL;
        case ErrorKind::OutOfMemory:
            return ENOMEM;
        case ErrorKind::BdevNotFound:
            return ENODEV;
        case ErrorKind::BdevUnregisterFailed:
            return EBUSY;
        case ErrorKind::NotSupported:
            return ENOTSUP;
        case ErrorKind::WrongThread:
            return EXDEV;
        case ErrorKind::Closed:
            return EBADF;
        case ErrorKind::IoFailed:
            return EIO;
        case ErrorKind::Cancelled:
            return ECANCELED;
        case ErrorKind::AlreadyExists:
            return EEXIST;
        case ErrorKind::Busy:
            return EBUSY;
        case ErrorKind::PermissionDenied:
            return EPERM;
        case ErrorKind::Stalled:
            return EDEADLK;
        case ErrorKind::Other:
            break;
    }
    return EIO;
}

class Error {
  public:
    // code: a positive errno value.
    Error(ErrorKind kind, int code, std::string context = {}) noexcept
        : code_(code < 0 ? -code : code), kind_(kind), context_(std::move(context)) {}

    explicit Error(ErrorKind kind) noexcept : Error(kind, errno_of_kind(kind)) {}
    Error(ErrorKind kind, std::string context) noexcept
        : Error(kind, errno_of_kind(kind), std::move(context)) {}

    // From an SPDK return code, -E or E alike.
    static Error from_errno(int code, std::string context = {}) noexcept {
        return {kind_of_errno(code), code, std::move(context)};
    }

    [[nodiscard]] int code() const noexcept { return code_; }
    [[nodiscard]] ErrorKind kind() const noexcept { return kind_; }
    [[nodiscard]] const std::string &context() const noexcept { return context_; }

    [[nodiscard]] std::error_code error_code() const noexcept {
        return {code_, std::generic_category()};
    }
    operator std::error_code() const noexcept { return error_code(); }  // NOLINT: by design

    // "bdev not found: no bdev named 'x' (No such device)"
    [[nodiscard]] std::string message() const {
        std::string out(to_string(kind_));
        if (!context_.empty()) {
            out += ": ";
            out += context_;
        }
        // WrongThread has no errno of its own: EXDEV's text ("Invalid cross-device
        // link") would mislead, so the code is shown as a number.
        if (kind_ == ErrorKind::WrongThread && code_ == EXDEV) {
            out += " (EXDEV)";
            return out;
        }
        out += " (";
        out += std::generic_category().message(code_);
        out += ')';
        return out;
    }

    friend bool operator==(const Error &a, const Error &b) noexcept {
        return a.code_ == b.code_ && a.kind_ == b.kind_;
    }
    friend bool operator==(const Error &e, ErrorKind kind) noexcept { return e.kind_ == kind; }

  private:
    int code_;
    ErrorKind kind_;
    std::string context_;
};

// std::expected<T, Error>, except that `->` on a temporary holding an owner does not
// compile: a view taken through it (`DmaBuf::alloc(n)->bytes()`) would outlive the
// value it views. Name the value first (`auto buf = DmaBuf::alloc(n); buf->bytes()`).
// Handles that own nothing (trivially copyable: Bdev, ThreadRef) stay usable so.
// Result<void> (no value, nothing to view) is std::expected<void, Error> itself, so
// that a success costs what it always did on the I/O path.
namespace detail {
template <typename T>
class OwningResult : public std::expected<T, Error> {
    using Base = std::expected<T, Error>;

  public:
    using Base::Base;
    OwningResult() = default;
    OwningResult(const Base &b) : Base(b) {}        // NOLINT: from std::expected, as it converts
    OwningResult(Base &&b) : Base(std::move(b)) {}  // NOLINT

    T *operator->() &noexcept { return Base::operator->(); }
    const T *operator->() const &noexcept { return Base::operator->(); }
    template <typename U = T>
    requires(std::is_trivially_copyable_v<U>) U *operator->() &&noexcept {
        return Base::operator->();
    }
    template <typename U = T>
    requires(!std::is_trivially_copyable_v<U>) U *operator->() && = delete;
    template <typename U = T>
    requires(!std::is_trivially_copyable_v<U>) const U *operator->() const && = delete;
};

template <typename T>
struct ResultOf {
    using type = OwningResult<T>;
};
template <>
struct ResultOf<void> {
    using type = std::expected<void, Error>;
};
}  // namespace detail

template <typename T>
using Result = typename detail::ResultOf<T>::type;

// Whether T is a Result (of any value type).
template <typename T>
inline constexpr bool is_result_v = false;
template <typename T>
inline constexpr bool is_result_v<detail::OwningResult<T>> = true;
template <typename T>
inline constexpr bool is_result_v<std::expected<T, Error>> = true;

// `return fail(ErrorKind::InvalidParameter, "...")` from a function returning Result.
inline std::unexpected<Error> fail(ErrorKind kind, std::string context = {}) {
    return std::unexpected<Error>(std::in_place, kind, std::move(context));
}

inline std::unexpected<Error> fail(Error error) {
    return std::unexpected<Error>(std::move(error));
}

// An SPDK return code (0 for success, -E or E for failure) as a Result.
inline Result<void> check(int rc, std::string context = {}) {
    if (rc == 0) {
        return {};
    }
    return std::unexpected<Error>(Error::from_errno(rc, std::move(context)));
}

}  // namespace spdkcpp

template <>
struct fmt::formatter<spdkcpp::ErrorKind> : fmt::formatter<std::string_view> {
    auto format(spdkcpp::ErrorKind kind, format_context &ctx) const {
        return fmt::formatter<std::string_view>::format(spdkcpp::to_string(kind), ctx);
    }
};

template <>
struct fmt::formatter<spdkcpp::Error> : fmt::formatter<std::string_view> {
    auto format(const spdkcpp::Error &error, format_context &ctx) const {
        return fmt::formatter<std::string_view>::format(error.message(), ctx);
    }
};
