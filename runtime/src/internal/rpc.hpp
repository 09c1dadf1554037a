// Internal: the JSON-RPC methods of the embedded runtime, by SPDK's method names.
//
// SPDK applies a JSON config by calling, for each entry of each subsystem's
// "config" array, the RPC method it names with its "params". The embedded runtime
// has no RPC server; modules register their methods here and the config loader
// (spdk_subsystem_load_config) calls them directly. Methods run on the app thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace spdk_embedded {

// Handles one call. Returns 0, or a negative errno with error set to a message
// that names the bad parameter ("num_blocks: must be greater than 0").
using RpcHandler = int (*)(const nlohmann::json &params, std::string &error);

// Registers method; meant for static registrars (see RpcRegistrar).
void register_rpc(const char *method, RpcHandler handler);

// Whether a method of that name is registered.
bool rpc_exists(const std::string &method);

// Calls a registered method: -ENOENT with error set when there is no such method.
int call_rpc(const std::string &method, const nlohmann::json &params, std::string &error);

struct RpcRegistrar {
    RpcRegistrar(const char *method, RpcHandler handler) { register_rpc(method, handler); }
};

}  // namespace spdk_embedded

#define SPDK_EMBEDDED_RPC_REGISTER(method, handler) \
    static const ::spdk_embedded::RpcRegistrar spdk_embedded_rpc_##handler(method, handler)
