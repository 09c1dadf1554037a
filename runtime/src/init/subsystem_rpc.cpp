// The subsystems' JSON-RPC methods, with SPDK's names, parameters and results:
// framework_get_subsystems and framework_get_config. SPDK's rpc.py save_config is
// made of these two: it asks for the subsystems, then for each one's config, and
// writes {"subsystems": [{"subsystem": name, "config": [...]}, ...]}, a JSON config
// that spdk_app_start loads back.
#include <cstdlib>
#include <cstring>

#include "internal/subsystem.hpp"
#include "spdk/init.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdk/util.h"

namespace {

// [{"subsystem": name, "depends_on": [names]}, ...] in initialization order.
void rpc_framework_get_subsystems(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    using namespace spdk_embedded;
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "'framework_get_subsystems' requires no arguments");
        return;
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_array_begin(w);
    for (spdk_subsystem *s = subsystem_first(); s != nullptr; s = subsystem_next(s)) {
        spdk_json_write_object_begin(w);
        spdk_json_write_named_string(w, "subsystem", s->name);
        spdk_json_write_named_array_begin(w, "depends_on");
        for (spdk_subsystem_depend *d = subsystem_depend_first(); d != nullptr;
             d = subsystem_depend_next(d)) {
            if (std::strcmp(s->name, d->name) == 0) {
                spdk_json_write_string(w, d->depends_on);
            }
        }
        spdk_json_write_array_end(w);
        spdk_json_write_object_end(w);
    }
    spdk_json_write_array_end(w);
    spdk_jsonrpc_end_result(request, w);
}

struct GetConfigParams {
    char *name;
};

const spdk_json_object_decoder kGetConfigDecoders[] = {
    {"name", offsetof(GetConfigParams, name), spdk_json_decode_string, false},
};

// The config entries of one subsystem as it writes them (null when it writes none).
void rpc_framework_get_config(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    GetConfigParams p{};
    if (spdk_json_decode_object(params, kGetConfigDecoders, SPDK_COUNTOF(kGetConfigDecoders), &p) !=
        0) {
        std::free(p.name);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid arguments");
        return;
    }
    spdk_subsystem *subsystem = spdk_embedded::subsystem_find(p.name);
    if (subsystem == nullptr) {
        spdk_jsonrpc_send_error_response_fmt(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                             "Subsystem '%s' not found", p.name);
        std::free(p.name);
        return;
    }
    std::free(p.name);
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    if (subsystem->write_config_json != nullptr) {
        subsystem->write_config_json(w);
    } else {
        spdk_json_write_null(w);
    }
    spdk_jsonrpc_end_result(request, w);
}

}  // namespace

SPDK_RPC_REGISTER("framework_get_subsystems", rpc_framework_get_subsystems, SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("framework_get_config", rpc_framework_get_config, SPDK_RPC_RUNTIME)
