// The log's JSON-RPC methods, with SPDK's names, parameters and results:
// log_set_level/log_get_level (what is logged through a log callback),
// log_set_print_level/log_get_print_level (what is printed), log_set_flag,
// log_clear_flag, log_get_flags, log_enable_timestamps.
#include <strings.h>

#include <cstdlib>

#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/util.h"

namespace {

struct LevelParams {
    char *level;
};

const spdk_json_object_decoder kLevelDecoders[] = {
    {"level", offsetof(LevelParams, level), spdk_json_decode_string, false},
};

struct FlagParams {
    char *flag;
};

const spdk_json_object_decoder kFlagDecoders[] = {
    {"flag", offsetof(FlagParams, flag), spdk_json_decode_string, false},
};

struct Level {
    const char *name;
    spdk_log_level level;
};

constexpr Level kLevels[] = {
    {"ERROR", SPDK_LOG_ERROR}, {"WARNING", SPDK_LOG_WARN}, {"NOTICE", SPDK_LOG_NOTICE},
    {"INFO", SPDK_LOG_INFO},   {"DEBUG", SPDK_LOG_DEBUG},
};

// The level a name gives, case-insensitive; false for another name.
bool parse_level(const char *name, spdk_log_level &out) {
    for (const Level &l : kLevels) {
        if (strcasecmp(name, l.name) == 0) {
            out = l.level;
            return true;
        }
    }
    return false;
}

const char *level_name(spdk_log_level level) {
    for (const Level &l : kLevels) {
        if (l.level == level) {
            return l.name;
        }
    }
    return nullptr;
}

// Decodes {"level": NAME}: as SPDK, a missing or mistyped level is an internal
// error and an unknown name invalid params.
void set_level(spdk_jsonrpc_request *request, const spdk_json_val *params,
               void (*set)(spdk_log_level)) {
    LevelParams p{};
    if (spdk_json_decode_object(params, kLevelDecoders, SPDK_COUNTOF(kLevelDecoders), &p) != 0) {
        std::free(p.level);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "spdk_json_decode_object failed");
        return;
    }
    spdk_log_level level = SPDK_LOG_NOTICE;
    const bool known = parse_level(p.level, level);
    std::free(p.level);
    if (!known) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "invalid log level");
        return;
    }
    set(level);
    spdk_jsonrpc_send_bool_response(request, true);
}

void get_level(spdk_jsonrpc_request *request, const spdk_json_val *params, const char *method,
               spdk_log_level level) {
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response_fmt(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                             "%s requires no parameters", method);
        return;
    }
    const char *name = level_name(level);
    if (name == nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "invalid log level");
        return;
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_string(w, name);
    spdk_jsonrpc_end_result(request, w);
}

void rpc_log_set_print_level(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    set_level(request, params, spdk_log_set_print_level);
}

void rpc_log_get_print_level(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    get_level(request, params, "log_get_print_level", spdk_log_get_print_level());
}

void rpc_log_set_level(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    set_level(request, params, spdk_log_set_level);
}

void rpc_log_get_level(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    get_level(request, params, "log_get_level", spdk_log_get_level());
}

void change_flag(spdk_jsonrpc_request *request, const spdk_json_val *params,
                 int (*change)(const char *)) {
    FlagParams p{};
    if (spdk_json_decode_object(params, kFlagDecoders, SPDK_COUNTOF(kFlagDecoders), &p) != 0) {
        std::free(p.flag);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "spdk_json_decode_object failed");
        return;
    }
    const int rc = change(p.flag);
    std::free(p.flag);
    if (rc != 0) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "invalid log flag");
        return;
    }
    spdk_jsonrpc_send_bool_response(request, true);
}

void rpc_log_set_flag(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    change_flag(request, params, spdk_log_set_flag);
}

void rpc_log_clear_flag(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    change_flag(request, params, spdk_log_clear_flag);
}

// {"<flag>": enabled, ...} for every registered log flag.
void rpc_log_get_flags(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "log_get_flags requires no parameters");
        return;
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_object_begin(w);
    for (spdk_log_flag *flag = spdk_log_get_first_flag(); flag != nullptr;
         flag = spdk_log_get_next_flag(flag)) {
        spdk_json_write_named_bool(w, flag->name, flag->enabled);
    }
    spdk_json_write_object_end(w);
    spdk_jsonrpc_end_result(request, w);
}

struct TimestampParams {
    bool enabled;
};

const spdk_json_object_decoder kTimestampDecoders[] = {
    {"enabled", offsetof(TimestampParams, enabled), spdk_json_decode_bool, false},
};

void rpc_log_enable_timestamps(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    TimestampParams p{};
    if (spdk_json_decode_object(params, kTimestampDecoders, SPDK_COUNTOF(kTimestampDecoders), &p) !=
        0) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "spdk_json_decode_object failed");
        return;
    }
    spdk_log_enable_timestamps(p.enabled);
    spdk_jsonrpc_send_bool_response(request, true);
}

}  // namespace

SPDK_RPC_REGISTER("log_set_print_level", rpc_log_set_print_level,
                  SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("log_get_print_level", rpc_log_get_print_level,
                  SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("log_set_level", rpc_log_set_level, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("log_get_level", rpc_log_get_level, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("log_set_flag", rpc_log_set_flag, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("log_clear_flag", rpc_log_clear_flag, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("log_get_flags", rpc_log_get_flags, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("log_enable_timestamps", rpc_log_enable_timestamps, SPDK_RPC_RUNTIME)
