// SPDK's registry of JSON-RPC methods (spdk/rpc.h, internal/rpc.hpp), the
// application's RPC state, and the RPC server on a Unix socket path
// (spdk_rpc_server_listen) with the registry's own methods, rpc_get_methods and
// spdk_get_version.
//
// Methods register from static constructors (SPDK_RPC_REGISTER, the runtime's
// registrars), so the registry is a function-local static. A method is a C handler,
// which answers its request itself, or a native handler of the runtime's modules
// (answered for it, or through an RpcReply).
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "internal/rpc.hpp"
#include "rpc/jsonrpc_internal.hpp"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/util.h"
#include "spdk/version.h"

namespace spdk_embedded {
namespace {

struct Method {
    spdk_rpc_method_handler func = nullptr;  // a C method, or
    RpcHandler native = nullptr;             // a native one, or
    RpcReplyHandler reply = nullptr;         // a native one that answers itself
    uint32_t state_mask = 0;
    std::string alias_of;  // non-empty for a deprecated alias
    bool warned = false;   // the alias's deprecation warning was logged
};

struct Registry {
    std::mutex lock;
    std::map<std::string, Method, std::less<>> methods;
    bool correct = true;  // no registration failed (spdk_rpc_verify_methods)
    bool allowlist_set = false;
    std::vector<std::string> allowlist;

    bool allowed(std::string_view name) const {
        if (!allowlist_set) {
            return true;
        }
        for (const std::string &a : allowlist) {
            if (a == name) {
                return true;
            }
        }
        return false;
    }
};

Registry &registry() {
    static Registry r;
    return r;
}

std::atomic<uint32_t> g_rpc_state{SPDK_RPC_STARTUP};

// Adds m as name; false (and logged) when the name is taken.
bool add_method(const char *name, Method m) {
    Registry &r = registry();
    if (name == nullptr) {
        SPDK_ERRLOG("an RPC method needs a name\n");
        std::lock_guard guard(r.lock);
        r.correct = false;
        return false;
    }
    std::lock_guard guard(r.lock);
    if (!r.methods.try_emplace(name, std::move(m)).second) {
        SPDK_ERRLOG("duplicate RPC method %s: the second registration is ignored\n", name);
        r.correct = false;
        return false;
    }
    return true;
}

// The method called by name: the method itself, or the method an alias names.
// Copied out, so the handler runs without the lock. A method the allowlist leaves
// out is not found.
bool resolve(std::string_view name, Method &out) {
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    auto it = r.methods.find(name);
    if (it == r.methods.end() || !r.allowed(name)) {
        return false;
    }
    if (!it->second.alias_of.empty()) {
        if (!it->second.warned) {
            it->second.warned = true;
            SPDK_WARNLOG("RPC method %s is deprecated; use %s instead\n", it->first.c_str(),
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
// they are: both the loader and the server parse with
// SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE.
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

// Answers request with the error for rc (not 0) and message: INVALID_PARAMS for
// -EINVAL (the runtime's handlers name the bad parameter), otherwise the negative
// errno itself, as SPDK's modules answer their failures (-19 for ENODEV, ...).
void send_native_error(spdk_jsonrpc_request *request, int rc, std::string message) {
    const int errnum = rc < 0 ? -rc : rc;
    if (message.empty()) {
        message = spdk_strerror(errnum);
    }
    request->native_rc = -errnum;
    spdk_jsonrpc_send_error_response_fmt(
        request, errnum == EINVAL ? SPDK_JSONRPC_ERROR_INVALID_PARAMS : -errnum, "%s (%s)",
        message.c_str(), spdk_strerror(errnum));
}

// Runs a native handler and answers its request: true, or the error
// (send_native_error).
void call_native(const Method &m, spdk_jsonrpc_request *request, const spdk_json_val *params) {
    nlohmann::json json;
    try {
        // No params reads as an empty object, as the native handlers expect.
        json = params == nullptr ? nlohmann::json::object() : to_json(params);
    } catch (const std::exception &e) {
        send_native_error(request, -EINVAL, std::string("params: ") + e.what());
        return;
    }
    if (m.reply != nullptr) {
        m.reply(json, RpcReply(request));
        return;
    }
    std::string error;
    int rc;
    try {
        rc = m.native(json, error);
    } catch (const std::exception &e) {
        error = e.what();
        rc = -EINVAL;
    }
    if (rc == 0) {
        spdk_jsonrpc_send_bool_response(request, true);
        return;
    }
    send_native_error(request, rc, std::move(error));
}

void dispatch(spdk_jsonrpc_request *request, std::string_view method, const spdk_json_val *params) {
    Method m;
    if (!resolve(method, m)) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_METHOD_NOT_FOUND,
                                         "Method not found");
        return;
    }
    const uint32_t state = g_rpc_state.load(std::memory_order_relaxed);
    if ((m.state_mask & state) != state) {
        spdk_jsonrpc_send_error_response(
            request, SPDK_JSONRPC_ERROR_INVALID_STATE,
            state == SPDK_RPC_STARTUP
                ? "Method may only be called after the framework is initialized "
                  "(framework_start_init)"
                : "Method may only be called before the framework is initialized: start "
                  "the application with --wait-for-rpc and call it before "
                  "framework_start_init");
        return;
    }
    if (m.native != nullptr || m.reply != nullptr) {
        call_native(m, request, params);
    } else {
        m.func(request, params);
    }
}

void jsonrpc_handler(spdk_jsonrpc_request *request, const spdk_json_val *method,
                     const spdk_json_val *params) {
    dispatch_request(request, method, params);
}

}  // namespace

RpcReply::~RpcReply() {
    if (request_ != nullptr) {
        spdk_jsonrpc_send_error_response(request_, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "the method did not answer");
    }
}

void RpcReply::ok(const nlohmann::json &result) && {
    spdk_jsonrpc_request *request = std::exchange(request_, nullptr);
    std::string text;
    try {
        text = result.dump();
    } catch (const std::exception &e) {  // a string that is not UTF-8
        send_native_error(request, -EIO, e.what());
        return;
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_val_raw(w, text.data(), text.size());
    spdk_jsonrpc_end_result(request, w);
}

void RpcReply::fail(int rc, const std::string &message) && {
    send_native_error(std::exchange(request_, nullptr), rc != 0 ? rc : -EIO, message);
}

void register_rpc(const char *method, RpcHandler handler, uint32_t state_mask) {
    Method m;
    m.native = handler;
    m.state_mask = state_mask;
    add_method(method, std::move(m));
}

void register_rpc(const char *method, RpcReplyHandler handler, uint32_t state_mask) {
    Method m;
    m.reply = handler;
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
    if (!resolve(method, m)) {
        error = "unknown method '" + method + "'";
        return -ENOENT;
    }
    if (m.native != nullptr) {
        return m.native(params, error);
    }
    if (m.reply == nullptr) {
        error = "method '" + method + "' is not a native method";
        return -ENOTSUP;
    }
    // Answered before the handler returns (reported here) or later (logged then).
    struct Call {
        std::string method;
        bool returned = false;
        bool answered = false;
        RpcResponse response;
    };
    auto *call = new Call{method, false, false, {}};
    m.reply(params, RpcReply(make_rpc_request(
                        [](void *arg, const RpcResponse &response) {
                            auto *c = static_cast<Call *>(arg);
                            if (!c->returned) {
                                c->answered = true;
                                c->response = response;
                                return;
                            }
                            if (response.is_error) {
                                SPDK_ERRLOG("%s failed: %s\n", c->method.c_str(),
                                            response.message.c_str());
                            }
                            delete c;
                        },
                        call)));
    call->returned = true;
    if (!call->answered) {
        return 0;  // call now belongs to the pending answer
    }
    const RpcResponse response = std::move(call->response);
    delete call;
    error = response.message;
    return response.is_error ? response.rc : 0;
}

void dispatch_rpc(const char *method, const spdk_json_val *params, RpcDoneFn done, void *arg) {
    dispatch(make_rpc_request(done, arg), method != nullptr ? method : "", params);
}

void dispatch_request(spdk_jsonrpc_request *request, const spdk_json_val *method,
                      const spdk_json_val *params) {
    dispatch(request, std::string_view(static_cast<const char *>(method->start), method->len),
             params);
}

}  // namespace spdk_embedded

// --- the RPC server on a Unix socket ----------------------------------------------------

struct spdk_rpc_server {
    std::string path;
    std::string lock_path;
    int lock_fd = -1;
    dev_t dev = 0;  // the socket made at path, removed only if still there
    ino_t ino = 0;
    spdk_jsonrpc_server *jsonrpc = nullptr;
};

namespace {

// Makes way for a socket at path: 0 when nothing is there, or when a stale socket
// of this user (nobody listens on it) was removed; otherwise an error (logged).
int clear_socket_path(const char *path) {
    struct stat st {};
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        const int err = errno;
        SPDK_ERRLOG("RPC socket path %s: %s\n", path, spdk_strerror(err));
        return -err;
    }
    if (!S_ISSOCK(st.st_mode)) {
        SPDK_ERRLOG(
            "RPC socket path %s exists and is not a socket: not replacing it. Specify "
            "another (-r).\n",
            path);
        return -EEXIST;
    }
    if (st.st_uid != geteuid()) {
        SPDK_ERRLOG("RPC socket path %s is a socket of another user. Specify another (-r).\n",
                    path);
        return -EACCES;
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    const int rc = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
    const int err = errno;
    close(fd);
    if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
        SPDK_ERRLOG(
            "RPC Unix domain socket path %s in use: another process listens on it. Specify "
            "another (-r).\n",
            path);
        return -EADDRINUSE;
    }
    if (err != ECONNREFUSED && err != ENOENT) {
        SPDK_ERRLOG("RPC socket path %s: cannot tell whether it is in use: %s\n", path,
                    spdk_strerror(err));
        return -err;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        const int e = errno;
        SPDK_ERRLOG("cannot remove the stale RPC socket %s: %s\n", path, spdk_strerror(e));
        return -e;
    }
    return 0;
}

void release_lock(spdk_rpc_server *server) {
    if (server->lock_fd >= 0) {
        // Removed while still held, so no other process holds a lock on a file
        // that is no longer there.
        unlink(server->lock_path.c_str());
        close(server->lock_fd);
        server->lock_fd = -1;
    }
}

}  // namespace

extern "C" {

struct spdk_rpc_server *spdk_rpc_server_listen(const char *listen_addr) {
    if (listen_addr == nullptr || listen_addr[0] == '\0') {
        SPDK_ERRLOG("the RPC server needs a Unix socket path\n");
        return nullptr;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (std::strlen(listen_addr) >= sizeof(addr.sun_path)) {
        SPDK_ERRLOG("RPC Unix socket path %s is too long (at most %zu bytes)\n", listen_addr,
                    sizeof(addr.sun_path) - 1);
        return nullptr;
    }
    std::memcpy(addr.sun_path, listen_addr, std::strlen(listen_addr));
    auto server = std::make_unique<spdk_rpc_server>();
    server->path = listen_addr;
    server->lock_path = server->path + ".lock";
    server->lock_fd =
        open(server->lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (server->lock_fd < 0) {
        SPDK_ERRLOG("cannot open the RPC lock file %s: %s\n", server->lock_path.c_str(),
                    spdk_strerror(errno));
        return nullptr;
    }
    if (flock(server->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        SPDK_ERRLOG(
            "RPC Unix domain socket path %s in use: its lock %s is held by another "
            "server. Specify another (-r).\n",
            listen_addr, server->lock_path.c_str());
        close(server->lock_fd);
        return nullptr;
    }
    if (clear_socket_path(listen_addr) != 0) {
        release_lock(server.get());
        return nullptr;
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        SPDK_ERRLOG("RPC server: socket() failed: %s\n", spdk_strerror(errno));
        release_lock(server.get());
        return nullptr;
    }
    // Owner-only before anyone can connect: nothing is accepted until listen().
    struct stat st {};
    if (bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0 ||
        chmod(listen_addr, 0600) != 0 || lstat(listen_addr, &st) != 0) {
        SPDK_ERRLOG("RPC server: cannot create the socket %s: %s\n", listen_addr,
                    spdk_strerror(errno));
        close(fd);
        release_lock(server.get());
        return nullptr;
    }
    server->dev = st.st_dev;
    server->ino = st.st_ino;
    server->jsonrpc = spdk_embedded::jsonrpc::listen_on(fd, spdk_embedded::jsonrpc_handler);
    if (server->jsonrpc == nullptr) {
        unlink(listen_addr);
        release_lock(server.get());
        return nullptr;
    }
    return server.release();
}

void spdk_rpc_server_accept(struct spdk_rpc_server *server) {
    if (server != nullptr && server->jsonrpc != nullptr) {
        spdk_jsonrpc_server_poll(server->jsonrpc);
    }
}

void spdk_rpc_server_close(struct spdk_rpc_server *server) {
    if (server == nullptr) {
        return;
    }
    struct stat st {};
    if (lstat(server->path.c_str(), &st) == 0 && st.st_dev == server->dev &&
        st.st_ino == server->ino) {
        unlink(server->path.c_str());
    }
    spdk_jsonrpc_server_shutdown(server->jsonrpc);
    release_lock(server);
    delete server;
}

bool spdk_rpc_verify_methods(void) {
    auto &r = spdk_embedded::registry();
    std::lock_guard guard(r.lock);
    return r.correct;
}

void spdk_rpc_set_allowlist(const char **rpc_allowlist) {
    auto &r = spdk_embedded::registry();
    std::lock_guard guard(r.lock);
    r.allowlist.clear();
    r.allowlist_set = rpc_allowlist != nullptr;
    for (const char **name = rpc_allowlist; name != nullptr && *name != nullptr; ++name) {
        r.allowlist.emplace_back(*name);
    }
}

void spdk_rpc_register_method(const char *method, spdk_rpc_method_handler func,
                              uint32_t state_mask) {
    if (func == nullptr) {
        SPDK_ERRLOG("RPC method %s has no handler\n", method != nullptr ? method : "(null)");
        auto &r = spdk_embedded::registry();
        std::lock_guard guard(r.lock);
        r.correct = false;
        return;
    }
    spdk_embedded::Method m;
    m.func = func;
    m.state_mask = state_mask;
    spdk_embedded::add_method(method, std::move(m));
}

void spdk_rpc_register_alias_deprecated(const char *method, const char *alias) {
    using spdk_embedded::registry;
    auto &r = registry();
    if (method == nullptr || alias == nullptr) {
        SPDK_ERRLOG("an RPC alias needs a method and a name\n");
        std::lock_guard guard(r.lock);
        r.correct = false;
        return;
    }
    spdk_embedded::Method m;
    {
        std::lock_guard guard(r.lock);
        auto it = r.methods.find(method);
        if (it == r.methods.end()) {
            SPDK_ERRLOG("cannot register alias %s: there is no RPC method %s\n", alias, method);
            r.correct = false;
            return;
        }
        if (!it->second.alias_of.empty()) {
            SPDK_ERRLOG("cannot register alias %s of %s, which is itself an alias\n", alias,
                        method);
            r.correct = false;
            return;
        }
        m.state_mask = it->second.state_mask;
    }
    m.alias_of = method;
    spdk_embedded::add_method(alias, std::move(m));
}

int spdk_rpc_is_method_allowed(const char *method, uint32_t state_mask) {
    if (method == nullptr) {
        return -ENOENT;
    }
    auto &r = spdk_embedded::registry();
    std::lock_guard guard(r.lock);
    auto it = r.methods.find(method);
    if (it == r.methods.end() || !r.allowed(method)) {
        return -ENOENT;
    }
    return (it->second.state_mask & state_mask) == state_mask ? 0 : -EPERM;
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

// --- the registry's own methods ----------------------------------------------------------

namespace {

struct GetMethodsParams {
    bool current;
    bool include_aliases;
};

const spdk_json_object_decoder kGetMethodsDecoders[] = {
    {"current", offsetof(GetMethodsParams, current), spdk_json_decode_bool, true},
    {"include_aliases", offsetof(GetMethodsParams, include_aliases), spdk_json_decode_bool, true},
};

// The names of the methods served: with include_aliases the deprecated aliases too,
// with current only those allowed in the current state.
void rpc_get_methods(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    GetMethodsParams p{};
    if (params != nullptr && spdk_json_decode_object(params, kGetMethodsDecoders,
                                                     SPDK_COUNTOF(kGetMethodsDecoders), &p) != 0) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
        return;
    }
    std::vector<std::string> names;
    {
        auto &r = spdk_embedded::registry();
        std::lock_guard guard(r.lock);
        const uint32_t state = spdk_rpc_get_state();
        for (const auto &[name, m] : r.methods) {
            if (!r.allowed(name) || (!m.alias_of.empty() && !p.include_aliases) ||
                (p.current && (m.state_mask & state) != state)) {
                continue;
            }
            names.push_back(name);
        }
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_array_begin(w);
    for (const std::string &name : names) {
        spdk_json_write_string(w, name.c_str());
    }
    spdk_json_write_array_end(w);
    spdk_jsonrpc_end_result(request, w);
}

// The version of SPDK's API the runtime provides (spdk/version.h), and that it is
// the embedded runtime.
void rpc_spdk_get_version(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "spdk_get_version method requires no parameters");
        return;
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "version", SPDK_VERSION_STRING " (spdkcpp embedded runtime)");
    spdk_json_write_named_object_begin(w, "fields");
    spdk_json_write_named_uint32(w, "major", SPDK_VERSION_MAJOR);
    spdk_json_write_named_uint32(w, "minor", SPDK_VERSION_MINOR);
    spdk_json_write_named_uint32(w, "patch", SPDK_VERSION_PATCH);
    spdk_json_write_named_string(w, "suffix", SPDK_VERSION_SUFFIX);
    spdk_json_write_object_end(w);
    spdk_json_write_object_end(w);
    spdk_jsonrpc_end_result(request, w);
}

}  // namespace

SPDK_RPC_REGISTER("rpc_get_methods", rpc_get_methods, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("spdk_get_version", rpc_spdk_get_version, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
