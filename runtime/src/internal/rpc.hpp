// Internal: the JSON-RPC methods of the embedded runtime, by SPDK's method names.
//
// Methods are called by the app's RPC server (spdk_rpc_initialize, spdk/init.h)
// and by the JSON config loader (spdk_subsystem_load_config), which calls the
// methods a configuration names through dispatch_rpc. Methods run on the app
// thread.
//
// There is one registry, SPDK's (spdk_rpc_register_method, spdk/rpc.h). The
// runtime's own modules register native methods into it with register_rpc: a
// handler that reads its params as nlohmann::json and either returns 0 or a
// negative errno with a message (RpcHandler: the registry answers true or the
// error), or answers through an RpcReply, now or later, with any result.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>

#include "spdk/json.h"
#include "spdk/rpc.h"

namespace spdk_embedded {

// Handles one call. Returns 0, or a negative errno with error set to a message
// that names the bad parameter ("num_blocks: must be greater than 0").
using RpcHandler = int (*)(const nlohmann::json &params, std::string &error);

// The answer to one call of a native method, given exactly once: before the
// handler returns or later, on any thread. Dropping it unanswered answers with an
// internal error.
class RpcReply {
  public:
    explicit RpcReply(spdk_jsonrpc_request *request) noexcept : request_(request) {}
    RpcReply(RpcReply &&other) noexcept : request_(std::exchange(other.request_, nullptr)) {}
    RpcReply(const RpcReply &) = delete;
    RpcReply &operator=(const RpcReply &) = delete;
    RpcReply &operator=(RpcReply &&) = delete;
    ~RpcReply();

    // Answers with result.
    void ok(const nlohmann::json &result = true) &&;
    // Answers with an error for rc (a negative errno): INVALID_PARAMS for -EINVAL,
    // rc itself otherwise (as SPDK's modules answer), with "<message> (<strerror>)".
    void fail(int rc, const std::string &message) &&;

  private:
    spdk_jsonrpc_request *request_;
};

// Handles one call: answers through reply, now or later.
using RpcReplyHandler = void (*)(const nlohmann::json &params, RpcReply reply);

// Registers a native method in SPDK's registry, allowed in the states of
// state_mask (SPDK_RPC_*): a duplicate name is refused as spdk_rpc_register_method
// refuses it. Meant for static registrars (see RpcRegistrar).
void register_rpc(const char *method, RpcHandler handler, uint32_t state_mask);
void register_rpc(const char *method, RpcReplyHandler handler, uint32_t state_mask);

// Whether a method (or alias) of that name is registered.
bool rpc_exists(const std::string &method);

// Calls a registered native method directly, whatever the state: its rc and
// message. -ENOENT when there is no such method, -ENOTSUP for a method registered
// through the C API (it answers through a request: use dispatch_rpc). A method
// that answers later returns 0 here; what it answers then is logged if it fails.
int call_rpc(const std::string &method, const nlohmann::json &params, std::string &error);

// How a request was answered.
struct RpcResponse {
    bool is_error = false;
    int code = 0;             // the JSON-RPC error code when is_error
    std::string message;      // the error message when is_error
    std::string result_json;  // the result's JSON text otherwise
    int rc = 0;               // 0, or the failure as a negative errno
};

// Receives the one response of a request made by dispatch_rpc.
using RpcDoneFn = void (*)(void *arg, const RpcResponse &response);

// Calls method as SPDK's RPC server does: an unknown method is answered with
// METHOD_NOT_FOUND, one not allowed in the current state (spdk_rpc_get_state) with
// INVALID_STATE; a deprecated alias logs a warning once and calls its method.
// params (NULL: none) must stay valid until the handler returns. done is called
// exactly once, on the thread that answers: before dispatch_rpc returns or later.
void dispatch_rpc(const char *method, const spdk_json_val *params, RpcDoneFn done, void *arg);

// Calls the method a server's request names, as dispatch_rpc does, answering
// request (its handle_request function, spdk/jsonrpc.h).
void dispatch_request(spdk_jsonrpc_request *request, const spdk_json_val *method,
                      const spdk_json_val *params);

// A request for done/arg (see spdk/jsonrpc.h); the response releases it.
spdk_jsonrpc_request *make_rpc_request(RpcDoneFn done, void *arg);

struct RpcRegistrar {
    RpcRegistrar(const char *method, RpcHandler handler, uint32_t state_mask) {
        register_rpc(method, handler, state_mask);
    }
    RpcRegistrar(const char *method, RpcReplyHandler handler, uint32_t state_mask) {
        register_rpc(method, handler, state_mask);
    }
};

}  // namespace spdk_embedded

// Registers a native method with the states it is allowed in (SPDK's mask for a
// method SPDK also has).
#define SPDK_EMBEDDED_RPC_REGISTER(method, handler, state_mask)                             \
    static const ::spdk_embedded::RpcRegistrar spdk_embedded_rpc_##handler(method, handler, \
                                                                           state_mask)
