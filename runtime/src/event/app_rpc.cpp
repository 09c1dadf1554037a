// The app framework's JSON-RPC methods about the process, its reactors and
// threads, with SPDK's names, parameters and result shapes: spdk_kill_instance,
// framework_get_reactors, thread_get_stats.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "event/reactor.hpp"
#include "internal/thread_stats.hpp"
#include "spdk/cpuset.h"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/thread.h"
#include "spdk/util.h"

namespace {

// --- spdk_kill_instance ----------------------------------------------------------------

struct KillParams {
    char *sig_name;
};

const spdk_json_object_decoder kKillDecoders[] = {
    {"sig_name", offsetof(KillParams, sig_name), spdk_json_decode_string, false},
};

// Sends the process a signal, by name (SIGTERM) or number (15), among those SPDK
// allows; the app's handlers then do what the signal asks (SIGINT and SIGTERM: stop).
void rpc_spdk_kill_instance(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    struct Signal {
        const char *name;
        int number;
    };
    static constexpr Signal kSignals[] = {
        {"SIGINT", SIGINT}, {"SIGTERM", SIGTERM}, {"SIGQUIT", SIGQUIT},
        {"SIGHUP", SIGHUP}, {"SIGKILL", SIGKILL}, {"SIGUSR1", SIGUSR1},
    };
    KillParams p{};
    if (params == nullptr ||
        spdk_json_decode_object(params, kKillDecoders, SPDK_COUNTOF(kKillDecoders), &p) != 0) {
        std::free(p.sig_name);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
        return;
    }
    const long number = spdk_strtol(p.sig_name, 10);
    const Signal *found = nullptr;
    for (const Signal &s : kSignals) {
        if (std::strcmp(p.sig_name, s.name) == 0 || number == s.number) {
            found = &s;
            break;
        }
    }
    std::free(p.sig_name);
    if (found == nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
        return;
    }
    kill(getpid(), found->number);
    spdk_jsonrpc_send_bool_response(request, true);
}

// --- thread_get_stats --------------------------------------------------------------------

struct StatsCall {
    spdk_jsonrpc_request *request;
    spdk_json_write_ctx *w;
};

// The thread's cpumask within the app's cores, as SPDK prints it.
std::string cpumask_of(spdk_thread *thread) {
    spdk_cpuset mask{};
    spdk_cpuset_copy(&mask, spdk_app_get_core_mask());
    spdk_cpuset_and(&mask, spdk_thread_get_cpumask(thread));
    return spdk_cpuset_fmt(&mask);
}

void thread_stats_of_this_thread(void *arg) {
    auto *call = static_cast<StatsCall *>(arg);
    spdk_thread *thread = spdk_get_thread();
    spdk_thread_stats stats{};
    if (spdk_thread_get_stats(&stats) != 0) {
        return;
    }
    const spdk_embedded::PollerCounts pollers = spdk_embedded::thread_poller_counts(thread);
    spdk_json_write_ctx *w = call->w;
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "name", spdk_thread_get_name(thread));
    spdk_json_write_named_uint64(w, "id", spdk_thread_get_id(thread));
    spdk_json_write_named_string(w, "cpumask", cpumask_of(thread).c_str());
    spdk_json_write_named_uint64(w, "busy", stats.busy_tsc);
    spdk_json_write_named_uint64(w, "idle", stats.idle_tsc);
    spdk_json_write_named_uint64(w, "active_pollers_count", pollers.active);
    spdk_json_write_named_uint64(w, "timed_pollers_count", pollers.timed);
    spdk_json_write_named_uint64(w, "paused_pollers_count", pollers.paused);
    spdk_json_write_object_end(w);
}

void thread_stats_done(void *arg) {
    auto *call = static_cast<StatsCall *>(arg);
    spdk_json_write_array_end(call->w);
    spdk_json_write_object_end(call->w);
    spdk_jsonrpc_end_result(call->request, call->w);
    delete call;
}

// Each thread's busy and idle ticks and pollers, gathered on the thread itself.
void rpc_thread_get_stats(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "'thread_get_stats' requires no arguments");
        return;
    }
    auto *call = new StatsCall{request, spdk_jsonrpc_begin_result(request)};
    spdk_json_write_object_begin(call->w);
    spdk_json_write_named_uint64(call->w, "tick_rate", spdk_get_ticks_hz());
    spdk_json_write_named_array_begin(call->w, "threads");
    spdk_for_each_thread(thread_stats_of_this_thread, call, thread_stats_done);
}

// --- framework_get_reactors --------------------------------------------------------------

struct ReactorsCall {
    spdk_jsonrpc_request *request;
    spdk_json_write_ctx *w;
    uint64_t now;
};

// The core's user, system and interrupt time from /proc/stat (in USER_HZ), as SPDK
// reports them; false when the kernel does not say.
bool cpu_times(uint32_t core, uint64_t &usr, uint64_t &sys, uint64_t &irq) {
    std::ifstream in("/proc/stat");
    const std::string prefix = "cpu" + std::to_string(core) + " ";
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, prefix.size(), prefix) != 0) {
            continue;
        }
        std::istringstream fields(line.substr(prefix.size()));
        uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, interrupts = 0;
        if (!(fields >> user >> nice >> system >> idle >> iowait >> interrupts)) {
            return false;
        }
        usr = user;
        sys = system;
        irq = interrupts;
        return true;
    }
    return false;
}

void reactor_info(const spdk_embedded::ReactorView &view, void *arg) {
    auto *call = static_cast<ReactorsCall *>(arg);
    spdk_json_write_ctx *w = call->w;
    spdk_json_write_object_begin(w);
    spdk_json_write_named_uint32(w, "lcore", view.lcore);
    spdk_json_write_named_uint64(w, "tid", view.tid);
    spdk_json_write_named_uint64(w, "busy", view.busy_tsc);
    spdk_json_write_named_uint64(w, "idle", view.idle_tsc);
    spdk_json_write_named_bool(w, "in_interrupt", view.in_interrupt);
    uint64_t usr = 0, sys = 0, irq = 0;
    if (!cpu_times(view.lcore, usr, sys, irq)) {
        usr = sys = irq = 0;
    }
    spdk_json_write_named_uint64(w, "irq", irq);
    spdk_json_write_named_uint64(w, "sys", sys);
    spdk_json_write_named_uint64(w, "usr", usr);
    spdk_json_write_named_array_begin(w, "lw_threads");
    for (const auto &[thread, tsc_start] : view.threads) {
        spdk_json_write_object_begin(w);
        spdk_json_write_named_string(w, "name", spdk_thread_get_name(thread));
        spdk_json_write_named_uint64(w, "id", spdk_thread_get_id(thread));
        spdk_json_write_named_string(w, "cpumask", cpumask_of(thread).c_str());
        spdk_json_write_named_uint64(w, "elapsed",
                                     call->now >= tsc_start ? call->now - tsc_start : 0);
        spdk_json_write_object_end(w);
    }
    spdk_json_write_array_end(w);
    spdk_json_write_object_end(w);
}

void reactors_done(void *arg) {
    auto *call = static_cast<ReactorsCall *>(arg);
    spdk_json_write_array_end(call->w);
    spdk_json_write_object_end(call->w);
    spdk_jsonrpc_end_result(call->request, call->w);
    delete call;
}

// Each reactor's core, OS thread, busy and idle ticks, and the threads it polls,
// gathered on the reactor itself.
void rpc_framework_get_reactors(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "`framework_get_reactors` requires no arguments");
        return;
    }
    auto *call = new ReactorsCall{request, spdk_jsonrpc_begin_result(request), spdk_get_ticks()};
    spdk_json_write_object_begin(call->w);
    spdk_json_write_named_uint64(call->w, "tick_rate", spdk_get_ticks_hz());
    spdk_json_write_named_uint64(call->w, "pid", static_cast<uint64_t>(getpid()));
    spdk_json_write_named_array_begin(call->w, "reactors");
    spdk_embedded::reactors_for_each(reactor_info, call, reactors_done);
}

}  // namespace

SPDK_RPC_REGISTER("spdk_kill_instance", rpc_spdk_kill_instance, SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("thread_get_stats", rpc_thread_get_stats, SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("framework_get_reactors", rpc_framework_get_reactors, SPDK_RPC_RUNTIME)
