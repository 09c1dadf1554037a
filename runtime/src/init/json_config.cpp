// spdk_subsystem_load_config: applies SPDK's JSON configuration by calling, for
// each entry of each subsystem's "config" array, the registered RPC method it names
// (see internal/rpc.hpp). One call per message on the app thread, so that what a
// method started (messages, examine) can progress before the next one.
#include <nlohmann/json.hpp>

#include <exception>
#include <string>

#include "internal/rpc.hpp"
#include "spdk/init.h"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/thread.h"

namespace {

using nlohmann::json;

struct ConfigLoad {
    json doc;
    size_t subsystem = 0;  // index in "subsystems"
    size_t entry = 0;      // index in that subsystem's "config"
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

// Applies one config entry of subsystem `name`. Returns 0 to go on, or the rc that
// ends the load.
int apply_entry(const ConfigLoad &load, const std::string &name, size_t index, const json &entry) {
    if (!entry.is_object()) {
        SPDK_ERRLOG("JSON config: subsystem '%s', config entry %zu is not an object\n",
                    name.c_str(), index);
        return -EINVAL;
    }
    auto method_it = entry.find("method");
    if (method_it == entry.end() || !method_it->is_string()) {
        SPDK_ERRLOG("JSON config: subsystem '%s', config entry %zu has no \"method\" string\n",
                    name.c_str(), index);
        return -EINVAL;
    }
    const std::string method = method_it->get<std::string>();
    json params = json::object();
    if (auto params_it = entry.find("params"); params_it != entry.end()) {
        if (!params_it->is_object()) {
            SPDK_ERRLOG("JSON config: subsystem '%s', method '%s': \"params\" is not an object\n",
                        name.c_str(), method.c_str());
            return -EINVAL;
        }
        params = *params_it;
    }
    if (!spdk_embedded::rpc_exists(method)) {
        if (!load.stop_on_error) {
            return 0;
        }
        if (!spdk_subsystem_exists(name.c_str())) {
            // As SPDK: configuration of a subsystem this program does not have is
            // not an error (a config written by one application, used by another).
            SPDK_NOTICELOG(
                "JSON config: skipping method '%s' of subsystem '%s', which this "
                "application does not have\n",
                method.c_str(), name.c_str());
            return 0;
        }
        SPDK_ERRLOG("JSON config: subsystem '%s': unknown method '%s'\n", name.c_str(),
                    method.c_str());
        return -ENOENT;
    }
    std::string error;
    int rc;
    try {
        rc = spdk_embedded::call_rpc(method, params, error);
    } catch (const std::exception &e) {
        error = e.what();
        rc = -EINVAL;
    }
    if (rc == 0) {
        return 0;
    }
    SPDK_ERRLOG("JSON config: subsystem '%s', method '%s' failed: %s (%s)\n", name.c_str(),
                method.c_str(), error.empty() ? "no reason given" : error.c_str(),
                spdk_strerror(rc < 0 ? -rc : rc));
    return load.stop_on_error ? -EINVAL : 0;
}

void load_step(void *arg) {
    auto *load = static_cast<ConfigLoad *>(arg);
    const json &subsystems = load->doc["subsystems"];
    for (;;) {
        if (load->subsystem >= subsystems.size()) {
            load_done(load, 0);
            return;
        }
        const json &sub = subsystems[load->subsystem];
        if (!sub.is_object() || !sub.contains("subsystem") || !sub["subsystem"].is_string()) {
            SPDK_ERRLOG("JSON config: subsystems[%zu] has no \"subsystem\" name\n",
                        load->subsystem);
            load_done(load, -EINVAL);
            return;
        }
        const std::string name = sub["subsystem"].get<std::string>();
        const json *config = nullptr;
        if (auto it = sub.find("config"); it != sub.end()) {
            if (!it->is_array() && !it->is_null()) {
                SPDK_ERRLOG("JSON config: subsystem '%s': \"config\" is not an array\n",
                            name.c_str());
                load_done(load, -EINVAL);
                return;
            }
            config = &*it;
        } else {
            SPDK_ERRLOG("JSON config: subsystem '%s' has no \"config\"\n", name.c_str());
            load_done(load, -EINVAL);
            return;
        }
        if (config->is_null() || load->entry >= config->size()) {
            ++load->subsystem;
            load->entry = 0;
            continue;
        }
        const size_t index = load->entry++;
        const json &item = (*config)[index];
        int rc = 0;
        if (item.is_array()) {
            // An explicit batch: its calls in order.
            for (const json &element : item) {
                rc = apply_entry(*load, name, index, element);
                if (rc != 0) {
                    break;
                }
            }
        } else {
            rc = apply_entry(*load, name, index, item);
        }
        if (rc != 0) {
            load_done(load, rc);
            return;
        }
        break;
    }
    if (spdk_thread_send_msg(spdk_get_thread(), load_step, load) != 0) {
        load_done(load, -ENOMEM);
    }
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
    const char *text = static_cast<const char *>(json_data);
    try {
        load->doc = json::parse(text, text + json_size, nullptr, true, true);
    } catch (const json::parse_error &e) {
        SPDK_ERRLOG("JSON config: not valid JSON: %s\n", e.what());
        load_done(load, -EINVAL);
        return;
    }
    if (!load->doc.is_object()) {
        SPDK_ERRLOG("JSON config: the document is not an object ({...})\n");
        load_done(load, -EINVAL);
        return;
    }
    auto it = load->doc.find("subsystems");
    if (it == load->doc.end()) {
        SPDK_WARNLOG("JSON config: no \"subsystems\" key; nothing to configure\n");
        load->doc["subsystems"] = json::array();
    } else if (!it->is_array()) {
        SPDK_ERRLOG("JSON config: \"subsystems\" is not an array\n");
        load_done(load, -EINVAL);
        return;
    }
    if (spdk_thread_send_msg(spdk_get_thread(), load_step, load) != 0) {
        load_done(load, -ENOMEM);
    }
}
