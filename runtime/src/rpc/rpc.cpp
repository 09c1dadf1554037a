// The registry of JSON-RPC methods (see internal/rpc.hpp).
#include <atomic>
#include <map>
#include <mutex>

#include "internal/rpc.hpp"
#include "spdk/rpc.h"

namespace spdk_embedded {
namespace {

struct Registry {
    std::mutex lock;
    std::map<std::string, RpcHandler, std::less<>> methods;
};

Registry &registry() {
    static Registry r;
    return r;
}

}  // namespace

void register_rpc(const char *method, RpcHandler handler) {
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    r.methods.insert_or_assign(method, handler);
}

bool rpc_exists(const std::string &method) {
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    return r.methods.contains(method);
}

int call_rpc(const std::string &method, const nlohmann::json &params, std::string &error) {
    RpcHandler handler = nullptr;
    {
        Registry &r = registry();
        std::lock_guard guard(r.lock);
        auto it = r.methods.find(method);
        if (it == r.methods.end()) {
            error = "unknown method '" + method + "'";
            return -ENOENT;
        }
        handler = it->second;
    }
    return handler(params, error);
}

}  // namespace spdk_embedded

namespace {
std::atomic<uint32_t> g_rpc_state{SPDK_RPC_STARTUP};
}  // namespace

extern "C" {

void spdk_rpc_set_state(uint32_t state_mask) {
    g_rpc_state.store(state_mask, std::memory_order_relaxed);
}

uint32_t spdk_rpc_get_state(void) {
    return g_rpc_state.load(std::memory_order_relaxed);
}

}  // extern "C"
