// SPDK's registry of JSON-RPC methods (spdk/rpc.h, internal/rpc.hpp), and the
// application's RPC state.
//
// Methods register from static constructors (SPDK_RPC_REGISTER, the runtime's
// registrars), so the registry is a function-local static. A method is either a C
// handler, which answers its request itself, or a native handler of the runtime's
// modules, which the registry answers for.
#include <atomic>
#include <cerrno>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "internal/rpc.hpp"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/string.h"

namespace spdk_embedded {
namespace {

struct Method {
    spdk_rpc_method_handler func = nullptr;  // a C method, or
    RpcHandler native = nullptr;             // a native one
    uint32_t state_mask = 0;
    std::string alias_of;  // non-empty for a deprecated alias
    bool warned = false;   // the alias's deprecation warning was logged
};

struct Registry {
    std::mutex lock;
    std::map<std::string, Method, std::less<>> methods;
};

Registry &registry() {
    static Registry r;
    return r;
}

std::atomic<uint32_t> g_rpc_state{SPDK_RPC_STARTUP};

// Adds m as name; false (and logged) when the name is taken.
bool add_method(const char *name, Method m) {
    if (name == nullptr) {
        SPDK_ERRLOG("an RPC method needs a name\n");
        return false;
    }
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    if (!r.methods.try_emplace(name, std::move(m)).second) {
        SPDK_ERRLOG("duplicate RPC method %s: the second registration is ignored\n", name);
        return false;
    }
    return true;
}

// The method called by name: the method itself, or the method an alias names.
// Copied out, so the handler runs without the lock.
bool resolve(const char *name, Method &out) {
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    auto it = r.methods.find(name);
    if (it == r.methods.end()) {
        return false;
    }
    if (!it->second.alias_of.empty()) {
        if (!it->second.warned) {
            it->second.warned = true;
            SPDK_WARNLOG("RPC method %s is deprecated; use %s instead\n", name,
                         it->second.alias_of.c_str());
        }
        auto target = r.methods.find(it->second.alias_of);
        if (target == r.methods.end()) {
            return false;
        }
        it = target;
    }
    out = it->second;
    return true;
}

// A parsed value as nlohmann::json, for native handlers. Strings are taken as
// they are: the loader parses with SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE.
nlohmann::json to_json(const spdk_json_val *val) {
    switch (val->type) {
        case SPDK_JSON_VAL_NULL:
            return nullptr;
        case SPDK_JSON_VAL_TRUE:
            return true;
        case SPDK_JSON_VAL_FALSE:
            return false;
        case SPDK_JSON_VAL_NUMBER: {
            const char *text = static_cast<const char *>(val->start);
            return nlohmann::json::parse(text, text + val->len);
        }
        case SPDK_JSON_VAL_STRING:
            return std::string(static_cast<const char *>(val->start), val->len);
        case SPDK_JSON_VAL_ARRAY_BEGIN: {
            nlohmann::json array = nlohmann::json::array();
            for (uint32_t i = 1; i <= val->len;
                 i += static_cast<uint32_t>(spdk_json_val_len(&val[i]))) {
                array.push_back(to_json(&val[i]));
            }
            return array;
        }
        case SPDK_JSON_VAL_OBJECT_BEGIN: {
            nlohmann::json object = nlohmann::json::object();
            for (uint32_t i = 1; i <= val->len;) {
                const spdk_json_val *name = &val[i];
                const spdk_json_val *value = &val[i + 1];
                object[std::string(static_cast<const char *>(name->start), name->len)] =
                    to_json(value);
                i += 1 + static_cast<uint32_t>(spdk_json_val_len(value));
            }
            return object;
        }
        default:
            return nullptr;
    }
}

// Runs a native handler and answers its request: true, or the error as
// INVALID_PARAMS (-EINVAL) or INTERNAL_ERROR (anything else) with its message.
void call_native(RpcHandler handler, spdk_jsonrpc_request *request, const spdk_json_val *params) {
    std::string error;
    int rc;
    try {
        // No params reads as an empty object, as the native handlers expect.
        rc = handler(params == nullptr ? nlohmann::json::object() : to_json(params), error);
    } catch (const std::exception &e) {
        error = e.what();
        rc = -EINVAL;
    }
    if (rc == 0) {
        spdk_jsonrpc_send_bool_response(request, true);
        return;
    }
    const int errnum = rc < 0 ? -rc : rc;
    if (error.empty()) {
        error = spdk_strerror(errnum);
    }
    spdk_jsonrpc_send_error_response_fmt(
        request,
        errnum == EINVAL ? SPDK_JSONRPC_ERROR_INVALID_PARAMS : SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
        "%s (%s)", error.c_str(), spdk_strerror(errnum));
}

}  // namespace

void register_rpc(const char *method, RpcHandler handler, uint32_t state_mask) {
    Method m;
    m.native = handler;
    m.state_mask = state_mask;
    add_method(method, std::move(m));
}

bool rpc_exists(const std::string &method) {
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    return r.methods.contains(method);
}

int call_rpc(const std::string &method, const nlohmann::json &params, std::string &error) {
    Method m;
    if (!resolve(method.c_str(), m)) {
        error = "unknown method '" + method + "'";
        return -ENOENT;
    }
    if (m.native == nullptr) {
        error = "method '" + method + "' is not a native method";
        return -ENOTSUP;
    }
    return m.native(params, error);
}

void dispatch_rpc(const char *method, const spdk_json_val *params, RpcDoneFn done, void *arg) {
    spdk_jsonrpc_request *request = make_rpc_request(done, arg);
    Method m;
    if (!resolve(method, m)) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_METHOD_NOT_FOUND,
                                         "Method not found");
        return;
    }
    const uint32_t state = g_rpc_state.load(std::memory_order_relaxed);
    if ((m.state_mask & state) != state) {
        spdk_jsonrpc_send_error_response_fmt(
            request, SPDK_JSONRPC_ERROR_INVALID_STATE, "Method %s may only be called %s", method,
            state == SPDK_RPC_STARTUP ? "after the subsystems are initialized"
                                      : "before the subsystems are initialized");
        return;
    }
    if (m.native != nullptr) {
        call_native(m.native, request, params);
    } else {
        m.func(request, params);
    }
}

}  // namespace spdk_embedded

extern "C" {

void spdk_rpc_register_method(const char *method, spdk_rpc_method_handler func,
                              uint32_t state_mask) {
    if (func == nullptr) {
        SPDK_ERRLOG("RPC method %s has no handler\n", method != nullptr ? method : "(null)");
        return;
    }
    spdk_embedded::Method m;
    m.func = func;
    m.state_mask = state_mask;
    spdk_embedded::add_method(method, std::move(m));
}

void spdk_rpc_register_alias_deprecated(const char *method, const char *alias) {
    using spdk_embedded::registry;
    if (method == nullptr || alias == nullptr) {
        SPDK_ERRLOG("an RPC alias needs a method and a name\n");
        return;
    }
    spdk_embedded::Method m;
    {
        auto &r = registry();
        std::lock_guard guard(r.lock);
        auto it = r.methods.find(method);
        if (it == r.methods.end()) {
            SPDK_ERRLOG("cannot register alias %s: there is no RPC method %s\n", alias, method);
            return;
        }
        if (!it->second.alias_of.empty()) {
            SPDK_ERRLOG("cannot register alias %s of %s, which is itself an alias\n", alias,
                        method);
            return;
        }
        m.state_mask = it->second.state_mask;
    }
    m.alias_of = method;
    spdk_embedded::add_method(alias, std::move(m));
}

int spdk_rpc_is_method_allowed(const char *method, uint32_t state_mask) {
    uint32_t mask = 0;
    if (spdk_rpc_get_method_state_mask(method, &mask) != 0) {
        return -ENOENT;
    }
    return (mask & state_mask) == state_mask ? 0 : -EPERM;
}

int spdk_rpc_get_method_state_mask(const char *method, uint32_t *state_mask) {
    if (method == nullptr) {
        return -ENOENT;
    }
    auto &r = spdk_embedded::registry();
    std::lock_guard guard(r.lock);
    auto it = r.methods.find(method);
    if (it == r.methods.end()) {
        return -ENOENT;
    }
    *state_mask = it->second.state_mask;
    return 0;
}

void spdk_rpc_set_state(uint32_t state_mask) {
    spdk_embedded::g_rpc_state.store(state_mask, std::memory_order_relaxed);
}

uint32_t spdk_rpc_get_state(void) {
    return spdk_embedded::g_rpc_state.load(std::memory_order_relaxed);
}

}  // extern "C"
