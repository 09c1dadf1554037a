// spdk_subsystem_load_config: applies SPDK's JSON configuration by calling, for
// each entry of each subsystem's "config" array, the RPC method it names with its
// "params" (dispatch_rpc, internal/rpc.hpp), one entry at a time: the next entry
// starts, from a message on the loading thread, once the method has answered, so a
// method may answer later (asynchronously) and what it started can progress.
//
// As SPDK's loader: a method not allowed in the current RPC state is skipped, and
// so is a method allowed in both STARTUP and RUNTIME when the state is RUNTIME (it
// ran in the STARTUP pass). The app framework loads the configuration twice, in
// STARTUP state before the subsystems are initialized and in RUNTIME state after.
// A method that is not registered is skipped when errors are ignored, or when its
// subsystem is not part of this program; otherwise it fails the load (-ENOENT). An
// error response is logged and fails the load (-EINVAL) unless errors are ignored.
//
// Differences from SPDK's loader: the methods are called directly, not through an
// RPC socket; the text is parsed once, with its strings decoded in place (SPDK's RPC
// server decodes them when it parses the request); a "config" element that is an
// array is taken as a batch of entries (SPDK refuses it); the load must start on
// the app thread.
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "internal/internal_send.hpp"
#include "internal/rpc.hpp"
#include "spdk/init.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"
#include "spdk/util.h"

namespace {

struct ConfigLoad {
    std::vector<char> text;              // a copy of the document; values point into it
    std::vector<spdk_json_val> values;   // ends with an INVALID value, as a bound
    spdk_json_val *subsystem = nullptr;  // the current entry of "subsystems", or NULL
    std::string subsystem_name;
    std::vector<spdk_json_val *> entries;  // the current subsystem's entries
    size_t next_entry = 0;
    std::string method;     // the method called last
    bool answered = false;  // its answer is in response, not yet checked
    spdk_embedded::RpcResponse response;
    spdk_thread *thread = nullptr;
    spdk_subsystem_init_fn cb = nullptr;
    void *cb_arg = nullptr;
    bool stop_on_error = true;
};

void load_done(ConfigLoad *load, int rc) {
    spdk_subsystem_init_fn cb = load->cb;
    void *cb_arg = load->cb_arg;
    delete load;
    cb(rc, cb_arg);
}

void load_step(void *arg);

// Continues the load from a message (no recursion through answers given at once).
void schedule_step(ConfigLoad *load) {
    if (!spdk_embedded::internal_send(load->thread, load_step, load)) {
        SPDK_ERRLOG("JSON config: the loading thread has exited\n");
        load_done(load, -ENOMEM);
    }
}

// Decoders that keep a pointer to the value itself.
int take_string(const spdk_json_val *val, void *out) {
    if (val->type != SPDK_JSON_VAL_STRING) {
        return -EINVAL;
    }
    *static_cast<const spdk_json_val **>(out) = val;
    return 0;
}

int take_object(const spdk_json_val *val, void *out) {
    if (val->type != SPDK_JSON_VAL_OBJECT_BEGIN) {
        return -EINVAL;
    }
    *static_cast<const spdk_json_val **>(out) = val;
    return 0;
}

int take_array_or_null(const spdk_json_val *val, void *out) {
    if (val->type != SPDK_JSON_VAL_ARRAY_BEGIN && val->type != SPDK_JSON_VAL_NULL) {
        return -EINVAL;
    }
    *static_cast<const spdk_json_val **>(out) = val;
    return 0;
}

struct SubsystemEntry {
    const spdk_json_val *name;
    const spdk_json_val *config;
};

const spdk_json_object_decoder kSubsystemDecoders[] = {
    {"subsystem", offsetof(SubsystemEntry, name), take_string, false},
    {"config", offsetof(SubsystemEntry, config), take_array_or_null, false},
};

struct ConfigEntry {
    char *method;
    const spdk_json_val *params;
};

const spdk_json_object_decoder kEntryDecoders[] = {
    {"method", offsetof(ConfigEntry, method), spdk_json_decode_string, false},
    {"params", offsetof(ConfigEntry, params), take_object, true},
};

std::string text_of(const spdk_json_val *val) {
    return std::string(static_cast<const char *>(val->start), val->len);
}

// Reads the subsystem at load->subsystem: its name and entries (a batch's elements
// in its place). Returns 0, or -EINVAL.
int enter_subsystem(ConfigLoad *load) {
    SubsystemEntry sub{};
    if (spdk_json_decode_object(load->subsystem, kSubsystemDecoders,
                                SPDK_COUNTOF(kSubsystemDecoders), &sub) != 0) {
        SPDK_ERRLOG(
            "JSON config: a \"subsystems\" entry is not an object with a \"subsystem\" "
            "name and a \"config\" array (or null), and nothing else\n");
        return -EINVAL;
    }
    load->subsystem_name = text_of(sub.name);
    load->entries.clear();
    load->next_entry = 0;
    auto *config = const_cast<spdk_json_val *>(sub.config);
    for (spdk_json_val *it = spdk_json_array_first(config); it != nullptr;
         it = spdk_json_next(it)) {
        if (it->type == SPDK_JSON_VAL_ARRAY_BEGIN) {
            for (spdk_json_val *e = spdk_json_array_first(it); e != nullptr;
                 e = spdk_json_next(e)) {
                load->entries.push_back(e);
            }
        } else {
            load->entries.push_back(it);
        }
    }
    return 0;
}

void method_answered(void *arg, const spdk_embedded::RpcResponse &response) {
    auto *load = static_cast<ConfigLoad *>(arg);
    load->response = response;
    load->answered = true;
    // The answer may come at once or later, from any thread: the load goes on from
    // a message on its own thread.
    schedule_step(load);
}

// Checks the answer to the method just called; returns 0 to go on.
int check_answer(ConfigLoad *load) {
    load->answered = false;
    const std::string &method = load->method;
    const spdk_embedded::RpcResponse &r = load->response;
    if (!r.is_error) {
        return 0;
    }
    SPDK_ERRLOG("JSON config: subsystem '%s', method '%s' failed: JSON-RPC error %d: %s\n",
                load->subsystem_name.c_str(), method.c_str(), r.code, r.message.c_str());
    return load->stop_on_error ? -EINVAL : 0;
}

// Starts the entry at it. Returns 1 when a method was called (its answer continues
// the load), 0 when the entry was skipped, or the rc that ends the load.
int start_entry(ConfigLoad *load, spdk_json_val *it) {
    ConfigEntry entry{};
    if (spdk_json_decode_object(it, kEntryDecoders, SPDK_COUNTOF(kEntryDecoders), &entry) != 0) {
        SPDK_ERRLOG(
            "JSON config: subsystem '%s': a config entry is not an object with a "
            "\"method\" string and optional \"params\" object\n",
            load->subsystem_name.c_str());
        spdk_json_free_object(kEntryDecoders, SPDK_COUNTOF(kEntryDecoders), &entry);
        return -EINVAL;
    }
    std::string method = entry.method;
    std::free(entry.method);

    uint32_t mask = 0;
    if (spdk_rpc_get_method_state_mask(method.c_str(), &mask) == -ENOENT) {
        if (!load->stop_on_error) {
            return 0;
        }
        if (!spdk_subsystem_exists(load->subsystem_name.c_str())) {
            // A config written by one application, used by another that lacks the
            // subsystem: not an error.
            SPDK_NOTICELOG(
                "JSON config: skipping method '%s' of subsystem '%s', which this "
                "application does not have\n",
                method.c_str(), load->subsystem_name.c_str());
            return 0;
        }
        SPDK_ERRLOG("JSON config: subsystem '%s': unknown method '%s'\n",
                    load->subsystem_name.c_str(), method.c_str());
        return -ENOENT;
    }
    const uint32_t state = spdk_rpc_get_state();
    if ((mask & state) != state) {
        return 0;  // for the other pass
    }
    const uint32_t both = SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME;
    if ((mask & both) == both && state == SPDK_RPC_RUNTIME) {
        return 0;  // it ran in the STARTUP pass
    }
    load->method = method;
    spdk_embedded::dispatch_rpc(method.c_str(), entry.params, method_answered, load);
    return 1;
}

void load_step(void *arg) {
    auto *load = static_cast<ConfigLoad *>(arg);
    if (load->answered) {
        if (const int rc = check_answer(load); rc != 0) {
            load_done(load, rc);
            return;
        }
    }
    while (load->subsystem != nullptr) {
        if (load->next_entry < load->entries.size()) {
            const int rc = start_entry(load, load->entries[load->next_entry++]);
            if (rc < 0) {
                load_done(load, rc);
            }
            if (rc != 0) {
                return;  // ended, or the answer goes on
            }
            continue;
        }
        load->subsystem = spdk_json_next(load->subsystem);
        if (load->subsystem != nullptr) {
            if (const int rc = enter_subsystem(load); rc != 0) {
                load_done(load, rc);
                return;
            }
        }
    }
    load_done(load, 0);
}

// Logs where parsing stopped, as a line and column.
void log_parse_error(const ConfigLoad *load, ssize_t rc, const void *end) {
    const char *text = load->text.data();
    const char *stop = end != nullptr ? static_cast<const char *>(end) : text;
    size_t line = 1;
    size_t column = 1;
    for (const char *p = text; p < stop; ++p) {
        if (*p == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    const char *what = rc == SPDK_JSON_PARSE_INCOMPLETE           ? "the text ends inside a value"
                       : rc == SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED ? "nested deeper than 64"
                                                                  : "unexpected character";
    SPDK_ERRLOG("JSON config: not valid JSON: %s at line %zu, column %zu\n", what, line, column);
}

}  // namespace

extern "C" void spdk_subsystem_load_config(void *json_data, ssize_t json_size,
                                           spdk_subsystem_init_fn cb_fn, void *cb_arg,
                                           bool stop_on_error) {
    if (cb_fn == nullptr) {
        SPDK_ERRLOG("spdk_subsystem_load_config needs a completion callback\n");
        return;
    }
    if (!spdk_thread_is_app_thread(nullptr)) {
        SPDK_ERRLOG("spdk_subsystem_load_config must run on the app thread\n");
        cb_fn(-EINVAL, cb_arg);
        return;
    }
    if (json_data == nullptr || json_size <= 0) {
        SPDK_ERRLOG("JSON config: no data\n");
        cb_fn(-EINVAL, cb_arg);
        return;
    }
    auto *load = new ConfigLoad;
    load->cb = cb_fn;
    load->cb_arg = cb_arg;
    load->stop_on_error = stop_on_error;
    load->thread = spdk_get_thread();
    const char *data = static_cast<const char *>(json_data);
    load->text.assign(data, data + json_size);

    const uint32_t flags = SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS;
    void *end = nullptr;
    ssize_t count = spdk_json_parse(load->text.data(), load->text.size(), nullptr, 0, &end, flags);
    if (count < 0) {
        log_parse_error(load, count, end);
        load_done(load, -EINVAL);
        return;
    }
    load->values.resize(static_cast<size_t>(count) + 1);  // + the INVALID bound
    count = spdk_json_parse(load->text.data(), load->text.size(), load->values.data(),
                            static_cast<size_t>(count), &end,
                            flags | SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE);
    if (count < 0 || static_cast<size_t>(count) + 1 != load->values.size()) {
        SPDK_ERRLOG("JSON config: not valid JSON on the second pass (%zd)\n", count);
        load_done(load, -EINVAL);
        return;
    }

    spdk_json_val *subsystems = nullptr;
    switch (spdk_json_find_array(load->values.data(), "subsystems", nullptr, &subsystems)) {
        case 0:
            load->subsystem = spdk_json_array_first(subsystems);
            break;
        case -ENOENT:
            SPDK_WARNLOG("JSON config: no \"subsystems\" key; nothing to configure\n");
            break;
        case -EDOM:
            SPDK_ERRLOG("JSON config: \"subsystems\" is not an array\n");
            load_done(load, -EINVAL);
            return;
        default:
            SPDK_ERRLOG(
                "JSON config: the document is not an object ({...}) with one \"subsystems\"\n");
            load_done(load, -EINVAL);
            return;
    }
    if (load->subsystem != nullptr) {
        if (const int rc = enter_subsystem(load); rc != 0) {
            load_done(load, rc);
            return;
        }
    }
    schedule_step(load);
}
