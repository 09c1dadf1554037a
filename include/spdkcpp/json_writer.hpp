// JsonWriter: a non-owning, typed view of SPDK's JSON writer (spdk_json_write_ctx),
// as SPDK hands it to a module's config_json, dump_info_json and write_config_json
// and to an RPC method's result.
//
//   w.object([&] {
//       w.named("method", "bdev_passthru_create");
//       w.named_object("params", [&] { w.named("name", name); });
//   });
//
// SPDK's writer fails for good at the first misplaced value (a value without a name
// inside an object, a name outside one, an unbalanced end) or output error; every
// later call is then ignored. The view keeps the first failure, which ok() and
// status() report, so a long run of writes is checked once at its end.
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "spdk/json.h"
#include "spdk/uuid.h"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

class JsonWriter {
  public:
    // w: a live writer SPDK handed out (never null).
    explicit JsonWriter(spdk_json_write_ctx *w) noexcept : w_(w) {}

    [[nodiscard]] spdk_json_write_ctx *raw() const noexcept { return w_; }
    [[nodiscard]] bool ok() const noexcept { return !failed_; }
    [[nodiscard]] Result<void> status() const {
        if (failed_) {
            return fail(ErrorKind::InvalidParameter,
                        "JSON writer failed: a value out of place, or the output failed");
        }
        return {};
    }

    // Values (inside an array, or after name()).
    JsonWriter &value(std::nullptr_t) { return track(spdk_json_write_null(w_)); }
    JsonWriter &value(bool v) { return track(spdk_json_write_bool(w_, v)); }
    template <std::integral T>
    requires(!std::same_as<T, bool>) JsonWriter &value(T v) {
        if constexpr (std::is_signed_v<T>) {
            return track(spdk_json_write_int64(w_, static_cast<int64_t>(v)));
        } else {
            return track(spdk_json_write_uint64(w_, static_cast<uint64_t>(v)));
        }
    }
    // Non-finite values fail the writer: JSON cannot spell them.
    JsonWriter &value(double v) { return track(spdk_json_write_double(w_, v)); }
    // Escaped as JSON requires; the text need not be NUL-terminated.
    JsonWriter &value(std::string_view s) {
        return track(spdk_json_write_string_raw(w_, s.data(), s.size()));
    }
    JsonWriter &value(const char *s) { return value(std::string_view(s)); }
    JsonWriter &value(const std::string &s) { return value(std::string_view(s)); }
    JsonWriter &value(const spdk_uuid &u) { return track(spdk_json_write_uuid(w_, &u)); }
    // Bytes as lower-case hex.
    JsonWriter &bytes(std::span<const std::byte> b) {
        return track(spdk_json_write_bytearray(w_, b.data(), b.size()));
    }

    // The name of the next member of the current object.
    JsonWriter &name(std::string_view n) {
        return track(spdk_json_write_name_raw(w_, n.data(), n.size()));
    }
    template <typename T>
    JsonWriter &named(std::string_view n, T &&v) {
        name(n);
        return value(std::forward<T>(v));
    }

    // An object or array whose members fn writes.
    template <std::invocable F>
    JsonWriter &object(F &&fn) {
        track(spdk_json_write_object_begin(w_));
        std::forward<F>(fn)();
        return track(spdk_json_write_object_end(w_));
    }
    template <std::invocable F>
    JsonWriter &array(F &&fn) {
        track(spdk_json_write_array_begin(w_));
        std::forward<F>(fn)();
        return track(spdk_json_write_array_end(w_));
    }
    template <std::invocable F>
    JsonWriter &named_object(std::string_view n, F &&fn) {
        name(n);
        return object(std::forward<F>(fn));
    }
    template <std::invocable F>
    JsonWriter &named_array(std::string_view n, F &&fn) {
        name(n);
        return array(std::forward<F>(fn));
    }

  private:
    JsonWriter &track(int rc) noexcept {
        failed_ = failed_ || rc != 0;
        return *this;
    }

    spdk_json_write_ctx *w_;
    bool failed_ = false;
};

}  // namespace spdkcpp
