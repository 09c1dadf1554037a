// JSON-RPC methods with typed, validated parameters, registered with SPDK's RPC
// layer (spdk_rpc_register_method) under SPDK's names, so that SPDK JSON configs
// and RPC clients reach them on either provider.
//
//   struct CreateParams {
//       std::string name;
//       uint64_t num_blocks = 0;
//       std::optional<std::string> uuid;
//       static constexpr auto fields = std::tuple{
//           spdkcpp::rpc::required("name", &CreateParams::name),
//           spdkcpp::rpc::required("num_blocks", &CreateParams::num_blocks),
//           spdkcpp::rpc::optional("uuid", &CreateParams::uuid)};
//   };
//   void create(CreateParams p, spdkcpp::RpcRequest req) { std::move(req).result(true); }
//   const spdkcpp::RpcMethod<CreateParams, &create> create_method{"my_create", SPDK_RPC_RUNTIME};
//
// Params are decoded before the handler runs: an unknown member, a missing
// required one, or a value of the wrong type or out of range is answered with
// SPDK's -32602 "Invalid parameters" error naming the member, and the handler
// does not run. Member types: std::string, bool, the integer types SPDK decodes
// (uint8/16/32/64, int32), and std::optional of those. The handler runs on the
// app thread and answers exactly once, now or later, through the RpcRequest
// (dropping it unanswered answers with an internal error).
//
// Define RpcMethod objects at namespace scope of code that is linked in whole: they
// register when constructed, before main, as SPDK_RPC_REGISTER does.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdkcpp/error.hpp"
#include "spdkcpp/json_writer.hpp"

namespace spdkcpp {

// The answer to one JSON-RPC request; move-only, answered once.
class RpcRequest {
  public:
    explicit RpcRequest(spdk_jsonrpc_request *request) noexcept : request_(request) {}
    RpcRequest(const RpcRequest &) = delete;
    RpcRequest &operator=(const RpcRequest &) = delete;
    RpcRequest(RpcRequest &&other) noexcept : request_(std::exchange(other.request_, nullptr)) {}
    RpcRequest &operator=(RpcRequest &&) = delete;
    ~RpcRequest() {
        if (request_ != nullptr) {
            spdk_jsonrpc_send_error_response(request_, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                             "the method did not answer");
        }
    }

    // A result that fn(JsonWriter &) writes (one JSON value).
    template <std::invocable<JsonWriter &> F>
    void result(F &&fn) && {
        spdk_jsonrpc_request *r = std::exchange(request_, nullptr);
        spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(r);
        if (w == nullptr) {
            return;  // the client is gone; SPDK dropped the request
        }
        JsonWriter writer(w);
        std::forward<F>(fn)(writer);
        spdk_jsonrpc_end_result(r, w);
    }
    void result(bool value) && {
        spdk_jsonrpc_send_bool_response(std::exchange(request_, nullptr), value);
    }
    void result(std::string_view text) && {
        std::move(*this).result([text](JsonWriter &w) { w.value(text); });
    }
    // A JSON-RPC error: one of SPDK_JSONRPC_ERROR_*, or (as SPDK's modules do) a
    // negative errno.
    void error(int code, const std::string &message) && {
        spdk_jsonrpc_send_error_response(std::exchange(request_, nullptr), code, message.c_str());
    }
    // An Error as SPDK's modules answer one: the negative errno and its message.
    void error(const Error &e) && { std::move(*this).error(-e.code(), e.message()); }
    // true, or the error.
    void reply(const Result<void> &r) && {
        if (r) {
            std::move(*this).result(true);
        } else {
            std::move(*this).error(r.error());
        }
    }

    [[nodiscard]] spdk_jsonrpc_request *raw() const noexcept { return request_; }

  private:
    spdk_jsonrpc_request *request_;
};

namespace rpc {

template <typename P, typename T>
struct Field {
    const char *name;
    T P::*member;
    bool required;
};

template <typename P, typename T>
constexpr Field<P, T> required(const char *name, T P::*member) {
    return {name, member, true};
}
template <typename P, typename T>
constexpr Field<P, T> optional(const char *name, T P::*member) {
    return {name, member, false};
}

namespace detail {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Decodes one value into out; false when it has the wrong type or range.
template <typename T>
bool decode(const spdk_json_val *val, T &out) {
    if constexpr (IsOptional<T>::value) {
        typename T::value_type v{};
        if (!decode(val, v)) {
            return false;
        }
        out = std::move(v);
        return true;
    } else if constexpr (std::is_same_v<T, std::string>) {
        char *text = nullptr;
        if (spdk_json_decode_string(val, &text) != 0) {
            return false;
        }
        out.assign(text);
        std::free(text);
        return true;
    } else if constexpr (std::is_same_v<T, bool>) {
        return spdk_json_decode_bool(val, &out) == 0;
    } else if constexpr (std::is_same_v<T, uint8_t>) {
        return spdk_json_decode_uint8(val, &out) == 0;
    } else if constexpr (std::is_same_v<T, uint16_t>) {
        return spdk_json_decode_uint16(val, &out) == 0;
    } else if constexpr (std::is_same_v<T, uint32_t>) {
        return spdk_json_decode_uint32(val, &out) == 0;
    } else if constexpr (std::is_same_v<T, uint64_t>) {
        return spdk_json_decode_uint64(val, &out) == 0;
    } else if constexpr (std::is_same_v<T, int32_t>) {
        return spdk_json_decode_int32(val, &out) == 0;
    } else {
        static_assert(sizeof(T) == 0, "rpc::Field: unsupported member type");
    }
}

// Decodes an object of params into p by its fields. Returns the empty string, or
// what is wrong.
template <typename P>
std::string decode_params(const spdk_json_val *params, P &p) {
    constexpr auto &fields = P::fields;
    constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(fields)>>;
    bool seen[n > 0 ? n : 1] = {};
    if (params != nullptr && params->type != SPDK_JSON_VAL_NULL) {
        if (params->type != SPDK_JSON_VAL_OBJECT_BEGIN) {
            return "params must be an object";
        }
        // An object's values follow its begin: name, value, name, value, ...
        const spdk_json_val *end = params + 1 + params->len;
        for (const spdk_json_val *key = params + 1; key < end;) {
            const spdk_json_val *value = key + 1;
            std::string problem;
            bool known = false;
            std::size_t index = 0;
            std::apply(
                [&](const auto &...f) {
                    (
                        [&] {
                            if (!known && spdk_json_strequal(key, f.name)) {
                                known = true;
                                seen[index] = true;
                                if (!decode(value, p.*(f.member))) {
                                    problem = std::string("'") + f.name +
                                              "' has the wrong type or is out of range";
                                }
                            }
                            ++index;
                        }(),
                        ...);
                },
                fields);
            if (!known) {
                return "unknown member '" +
                       std::string(static_cast<const char *>(key->start), key->len) + "'";
            }
            if (!problem.empty()) {
                return problem;
            }
            key = value + spdk_json_val_len(value);
        }
    }
    std::string missing;
    std::size_t index = 0;
    std::apply(
        [&](const auto &...f) {
            (
                [&] {
                    if (f.required && !seen[index] && missing.empty()) {
                        missing = std::string("'") + f.name + "' is required";
                    }
                    ++index;
                }(),
                ...);
        },
        fields);
    return missing;
}

}  // namespace detail
}  // namespace rpc

// Registers Handler (void(Params, RpcRequest)) as the JSON-RPC method `name`,
// allowed in the SPDK_RPC_* states of state_mask.
template <typename Params, auto Handler>
requires std::is_invocable_v<decltype(Handler), Params, RpcRequest>
class RpcMethod {
  public:
    RpcMethod(const char *name, uint32_t state_mask) noexcept {
        spdk_rpc_register_method(name, &call, state_mask);
    }
    RpcMethod(const RpcMethod &) = delete;
    RpcMethod &operator=(const RpcMethod &) = delete;

  private:
    static void call(spdk_jsonrpc_request *request, const spdk_json_val *params) {
        Params p{};
        if (std::string problem = rpc::detail::decode_params(params, p); !problem.empty()) {
            RpcRequest(request).error(SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                      "Invalid parameters: " + problem);
            return;
        }
        Handler(std::move(p), RpcRequest(request));
    }
};

}  // namespace spdkcpp
