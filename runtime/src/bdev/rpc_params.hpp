// Internal: reading the "params" object of the bdev modules' JSON-RPC methods.
//
// SPDK decodes params strictly: an unknown member, a member of the wrong type or a
// missing required one fails the call. These helpers do the same and write an error
// text that names the method and the parameter, e.g.
//   bdev_malloc_create: missing required parameter 'num_blocks'
#pragma once

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/uuid.h"

namespace spdk_embedded::bdev::rpc {

class Params {
  public:
    Params(const char *method, const nlohmann::json &params, std::string &error)
        : method_(method), params_(params), error_(error) {}

    // params must be an object (or absent: null) holding only the given names.
    int check_members(std::initializer_list<std::string_view> known) {
        if (params_.is_null()) {
            return 0;
        }
        if (!params_.is_object()) {
            return fail(-EINVAL, "params must be an object");
        }
        for (const auto &item : params_.items()) {
            bool found = false;
            for (std::string_view name : known) {
                found = found || item.key() == name;
            }
            if (!found) {
                return fail(-EINVAL, "unknown parameter '" + item.key() + "'");
            }
        }
        return 0;
    }

    bool has(const char *name) const {
        return params_.is_object() && params_.contains(name) && !params_.at(name).is_null();
    }

    int missing(const char *name) {
        return fail(-EINVAL, std::string("missing required parameter '") + name + "'");
    }

    // Reads an unsigned integer no larger than max; required or else left as is.
    int get_uint(const char *name, bool required, uint64_t max, uint64_t &out) {
        if (!has(name)) {
            return required ? missing(name) : 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_number_unsigned() && !(value.is_number_integer() && value >= 0)) {
            return fail(-EINVAL,
                        std::string("parameter '") + name + "' must be a non-negative integer");
        }
        const uint64_t v = value.get<uint64_t>();
        if (v > max) {
            return fail(-EINVAL, std::string("parameter '") + name + "' is too large (" +
                                     std::to_string(v) + ")");
        }
        out = v;
        return 0;
    }

    int get_u32(const char *name, bool required, uint32_t &out) {
        uint64_t v = out;
        const int rc = get_uint(name, required, std::numeric_limits<uint32_t>::max(), v);
        out = static_cast<uint32_t>(v);
        return rc;
    }

    int get_int(const char *name, int64_t &out) {
        if (!has(name)) {
            return 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_number_integer()) {
            return fail(-EINVAL, std::string("parameter '") + name + "' must be an integer");
        }
        out = value.get<int64_t>();
        return 0;
    }

    int get_bool(const char *name, bool &out) {
        if (!has(name)) {
            return 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_boolean()) {
            return fail(-EINVAL, std::string("parameter '") + name + "' must be true or false");
        }
        out = value.get<bool>();
        return 0;
    }

    int get_string(const char *name, bool required, std::string &out) {
        if (!has(name)) {
            return required ? missing(name) : 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_string() || value.get_ref<const std::string &>().empty()) {
            return fail(-EINVAL,
                        std::string("parameter '") + name + "' must be a non-empty string");
        }
        out = value.get<std::string>();
        return 0;
    }

    int get_uuid(const char *name, spdk_uuid &out) {
        std::string text;
        if (const int rc = get_string(name, false, text); rc != 0 || text.empty()) {
            return rc;
        }
        if (spdk_uuid_parse(&out, text.c_str()) != 0) {
            return fail(-EINVAL,
                        std::string("parameter '") + name + "' is not a UUID: '" + text + "'");
        }
        return 0;
    }

    int fail(int rc, const std::string &what) {
        error_ = std::string(method_) + ": " + what;
        return rc;
    }

  private:
    const char *method_;
    const nlohmann::json &params_;
    std::string &error_;
};

// Runs an operation that reports through a callback (cb_arg, rc), immediately on
// some errors and later otherwise, and returns what it reported before returning:
// 0 when the operation goes on. A later report is only logged.
template <typename Start>
int start_async(const char *what, Start start) {
    struct Ctx {
        const char *what;
        bool returned = false;
        bool reported = false;
        int rc = 0;
    };
    auto *ctx = new Ctx{what};
    start(
        [](void *arg, int rc) {
            auto *c = static_cast<Ctx *>(arg);
            if (!c->returned) {
                c->reported = true;
                c->rc = rc;
                return;
            }
            if (rc != 0) {
                SPDK_ERRLOG("%s failed: %s\n", c->what, spdk_strerror(-rc));
            }
            delete c;
        },
        ctx);
    ctx->returned = true;
    if (!ctx->reported) {
        return 0;  // ctx now belongs to the pending callback
    }
    const int rc = ctx->rc;
    delete ctx;
    return rc;
}

}  // namespace spdk_embedded::bdev::rpc
