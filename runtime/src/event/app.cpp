// The application framework: options, spdk_app_start/stop, signals and the
// command line.
//
// spdk_app_start: env for the core mask -> reactors and thread library -> app
// thread on the main core -> (on the app thread) the JSON configuration's STARTUP
// part -> RPC server on rpc_addr (paused) -> subsystems (or, with --wait-for-rpc,
// the RPC framework_start_init first) -> the configuration's RUNTIME part -> RPC
// server resumed -> start_fn. spdk_app_stop: (on the app thread) subsystems
// finished in reverse -> RPC server closed -> reactors stop -> every thread exits
// and is destroyed -> spdk_app_start returns.
#include <getopt.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "internal/internal_send.hpp"
#include "reactor.hpp"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/init.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/thread.h"

namespace {

using namespace spdk_embedded;

constexpr const char *kDefaultCoreMask = "0x1";
constexpr int kDefaultMemSize = -1;
constexpr int kDefaultMainCore = -1;
constexpr int kDefaultMemChannel = -1;
constexpr uint64_t kDefaultBaseVirtaddr = 0x200000000000ULL;
constexpr uint64_t kDefaultNumTraceEntries = 32 * 1024;
constexpr size_t kPerCoreMsgMempoolSize = 4 * SPDK_MSG_MEMPOOL_CACHE_SIZE;

struct App {
    bool running = false;
    bool stopped = false;
    int rc = 0;
    int shm_id = -1;
    spdk_app_shutdown_cb shutdown_cb = nullptr;
    bool shutdown_signal_seen = false;
    spdk_msg_fn start_fn = nullptr;
    void *start_arg = nullptr;
    std::string json;         // the configuration to load, if any
    std::string json_source;  // for messages: the file name, or "(in memory)"
    bool json_ignore_errors = false;
    bool has_rpc = false;  // an RPC server on rpc_addr
    std::string rpc_addr;
    spdk_rpc_opts rpc_opts{};
    std::vector<std::string> rpc_allowlist;  // with rpc_allowlist_set: the methods served
    bool rpc_allowlist_set = false;
    bool delay_subsystem_init = false;
    bool initialized = false;                            // the subsystems are up
    std::vector<spdk_jsonrpc_request *> init_waiters;    // framework_wait_init
    spdk_jsonrpc_request *start_init_request = nullptr;  // framework_start_init
    // --rpcs-allowed, as spdk_app_parse_args keeps it for opts.rpc_allowlist.
    std::vector<std::string> parsed_allowlist;
    std::vector<const char *> parsed_allowlist_ptrs;
    bool env_initialized = false;
    bool log_opened = false;
    bool handlers_installed = false;
    struct sigaction old_int {};
    struct sigaction old_term {};
    struct sigaction old_pipe {};
    // Kept by spdk_app_parse_args for spdk_app_usage.
    const char *executable = nullptr;
    int default_mem_size = kDefaultMemSize;
};

App &app() {
    static App a;
    return a;
}

// Copies the fields the caller's layout has (opts_size) over the defaults.
void copy_opts(spdk_app_opts *opts, const spdk_app_opts *user, size_t opts_size) {
    spdk_app_opts_init(opts, sizeof(*opts));
    opts->opts_size = opts_size;
#define COPY_FIELD(field)                                                          \
    if (offsetof(spdk_app_opts, field) + sizeof(opts->field) <= opts->opts_size) { \
        opts->field = user->field;                                                 \
    }
    COPY_FIELD(name);
    COPY_FIELD(json_config_file);
    COPY_FIELD(json_config_ignore_errors);
    COPY_FIELD(rpc_addr);
    COPY_FIELD(reactor_mask);
    COPY_FIELD(tpoint_group_mask);
    COPY_FIELD(shm_id);
    COPY_FIELD(shutdown_cb);
    COPY_FIELD(enable_coredump);
    COPY_FIELD(mem_channel);
    COPY_FIELD(main_core);
    COPY_FIELD(mem_size);
    COPY_FIELD(no_pci);
    COPY_FIELD(hugepage_single_segments);
    COPY_FIELD(unlink_hugepage);
    COPY_FIELD(no_huge);
    COPY_FIELD(hugedir);
    COPY_FIELD(print_level);
    COPY_FIELD(num_pci_addr);
    COPY_FIELD(pci_blocked);
    COPY_FIELD(pci_allowed);
    COPY_FIELD(iova_mode);
    COPY_FIELD(delay_subsystem_init);
    COPY_FIELD(num_entries);
    COPY_FIELD(env_context);
    COPY_FIELD(log);
    COPY_FIELD(base_virtaddr);
    COPY_FIELD(disable_signal_handlers);
    COPY_FIELD(interrupt_mode);
    COPY_FIELD(enforce_numa);
    COPY_FIELD(num_trace_threads);
    COPY_FIELD(msg_mempool_size);
    COPY_FIELD(rpc_allowlist);
    COPY_FIELD(vf_token);
    COPY_FIELD(lcore_map);
    COPY_FIELD(rpc_log_level);
    COPY_FIELD(rpc_log_file);
    COPY_FIELD(json_data);
    COPY_FIELD(json_data_size);
    COPY_FIELD(disable_cpumask_locks);
#undef COPY_FIELD
}

// --- start-up and shut-down, on the app thread ---------------------------------------

void apply_allowlist() {
    App &a = app();
    if (!a.rpc_allowlist_set) {
        spdk_rpc_set_allowlist(nullptr);
        return;
    }
    std::vector<const char *> names;
    for (const std::string &n : a.rpc_allowlist) {
        names.push_back(n.c_str());
    }
    names.push_back(nullptr);
    spdk_rpc_set_allowlist(names.data());
}

void start_application() {
    App &a = app();
    if (a.stopped) {
        return;
    }
    if (a.has_rpc) {
        spdk_rpc_server_resume(a.rpc_addr.c_str());
    }
    a.start_fn(a.start_arg);
}

// Answers the framework_wait_init calls waiting for the subsystems: true once they
// are up, an error when the application stops first.
void answer_init_waiters(bool initialized) {
    App &a = app();
    std::vector<spdk_jsonrpc_request *> waiters = std::move(a.init_waiters);
    a.init_waiters.clear();
    for (spdk_jsonrpc_request *request : waiters) {
        if (initialized) {
            spdk_jsonrpc_send_bool_response(request, true);
        } else {
            spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                             "the application stopped before it initialized");
        }
    }
}

// The configuration is applied as SPDK's app framework applies it: once in STARTUP
// state before the subsystems are initialized (the methods allowed then, such as
// bdev_set_options), and once in RUNTIME state after (bdev_malloc_create, ...).
// True (the app stopping) when a load of the configuration failed.
bool config_load_failed(int rc) {
    if (rc == 0) {
        return false;
    }
    SPDK_ERRLOG("could not load the JSON configuration %s (rc %d)\n", app().json_source.c_str(),
                rc);
    spdk_app_stop(rc);
    return true;
}

void config_loaded(int rc, void * /*arg*/) {
    if (!config_load_failed(rc)) {
        start_application();
    }
}

void subsystems_initialized(int rc, void * /*arg*/) {
    App &a = app();
    if (rc != 0) {
        SPDK_ERRLOG("subsystem initialization failed (rc %d)\n", rc);
        spdk_app_stop(rc);
        return;
    }
    apply_allowlist();
    spdk_rpc_set_state(SPDK_RPC_RUNTIME);
    a.initialized = true;
    answer_init_waiters(true);
    if (a.json.empty()) {
        start_application();
        return;
    }
    // The loader keeps its own copy of the document: it may be released now.
    std::string json = std::move(a.json);
    a.json.clear();
    spdk_subsystem_load_config(json.data(), static_cast<ssize_t>(json.size()), config_loaded,
                               nullptr, !a.json_ignore_errors);
}

// After the STARTUP part of the configuration: the RPC server starts, and the
// subsystems initialize (the server paused meanwhile) or, with --wait-for-rpc,
// wait for framework_start_init.
void startup_config_loaded(int rc, void * /*arg*/) {
    App &a = app();
    if (config_load_failed(rc)) {
        return;
    }
    if (a.has_rpc) {
        if (const int err = spdk_rpc_initialize(a.rpc_addr.c_str(), &a.rpc_opts); err != 0) {
            SPDK_ERRLOG("could not start the RPC server on %s (rc %d)\n", a.rpc_addr.c_str(), err);
            spdk_app_stop(err);
            return;
        }
        if (a.delay_subsystem_init) {
            SPDK_NOTICELOG("waiting for the framework_start_init RPC on %s\n", a.rpc_addr.c_str());
            return;
        }
        spdk_rpc_server_pause(a.rpc_addr.c_str());
    }
    spdk_subsystem_init(subsystems_initialized, nullptr);
}

void bootstrap(void * /*arg*/) {
    App &a = app();
    // SPDK starts in STARTUP state once per process; an application started again
    // in the same process (tests) starts there too.
    spdk_rpc_set_state(SPDK_RPC_STARTUP);
    a.initialized = false;
    apply_allowlist();
    if (a.json.empty()) {
        startup_config_loaded(0, nullptr);
        return;
    }
    spdk_subsystem_load_config(a.json.data(), static_cast<ssize_t>(a.json.size()),
                               startup_config_loaded, nullptr, !a.json_ignore_errors);
}

void subsystems_finished(void * /*arg*/) {
    spdk_rpc_finish();
    reactors_stop();
}

void app_stop_msg(void *arg) {
    App &a = app();
    const int rc = static_cast<int>(reinterpret_cast<intptr_t>(arg));
    if (a.rc == 0) {
        a.rc = rc;
    }
    if (a.stopped) {
        SPDK_NOTICELOG("spdk_app_stop called twice\n");
        return;
    }
    a.stopped = true;
    answer_init_waiters(false);
    spdk_subsystem_fini(subsystems_finished, nullptr);
}

void app_start_shutdown_msg(void * /*arg*/) {
    App &a = app();
    if (a.shutdown_cb != nullptr) {
        spdk_app_shutdown_cb cb = a.shutdown_cb;
        a.shutdown_cb = nullptr;
        cb();
    } else {
        spdk_app_stop(0);
    }
}

// --- signals: the handler only raises a flag; the main reactor acts on it -----------

void on_shutdown_signal(int /*signo*/) {
    reactors_request_shutdown();
}

void shutdown_requested_hook() {
    App &a = app();
    if (a.shutdown_signal_seen) {
        return;  // as SPDK: the first signal starts the shutdown, later ones wait for it
    }
    a.shutdown_signal_seen = true;
    spdk_app_start_shutdown();
}

int install_signal_handlers() {
    App &a = app();
    struct sigaction sa {};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, &a.old_pipe) != 0) {
        SPDK_ERRLOG("sigaction(SIGPIPE) failed: %s\n", spdk_strerror(errno));
        return -errno;
    }
    sa.sa_handler = on_shutdown_signal;
    if (sigaction(SIGINT, &sa, &a.old_int) != 0 || sigaction(SIGTERM, &sa, &a.old_term) != 0) {
        SPDK_ERRLOG("sigaction(SIGINT/SIGTERM) failed: %s\n", spdk_strerror(errno));
        return -errno;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    a.handlers_installed = true;
    return 0;
}

void restore_signal_handlers() {
    App &a = app();
    if (!a.handlers_installed) {
        return;
    }
    sigaction(SIGINT, &a.old_int, nullptr);
    sigaction(SIGTERM, &a.old_term, nullptr);
    sigaction(SIGPIPE, &a.old_pipe, nullptr);
    a.handlers_installed = false;
}

bool read_file(const char *path, std::string &out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

int env_setup(const spdk_app_opts &opts) {
    spdk_env_opts env{};
    env.opts_size = sizeof(env);
    spdk_env_opts_init(&env);
    env.name = opts.name;
    env.core_mask = opts.reactor_mask;
    env.lcore_map = opts.lcore_map;
    env.shm_id = opts.shm_id;
    env.mem_channel = opts.mem_channel;
    env.main_core = opts.main_core;
    env.mem_size = opts.mem_size;
    env.no_pci = opts.no_pci;
    env.hugepage_single_segments = opts.hugepage_single_segments;
    env.unlink_hugepage = opts.unlink_hugepage;
    env.no_huge = opts.no_huge;
    env.hugedir = opts.hugedir;
    env.num_pci_addr = opts.num_pci_addr;
    env.pci_blocked = opts.pci_blocked;
    env.pci_allowed = opts.pci_allowed;
    env.iova_mode = opts.iova_mode;
    env.base_virtaddr = opts.base_virtaddr;
    env.env_context = opts.env_context;
    env.vf_token = opts.vf_token;
    env.enforce_numa = opts.enforce_numa;
    return spdk_env_init(&env);
}

void cleanup_failed_start() {
    App &a = app();
    restore_signal_handlers();
    reactors_fini();
    if (a.env_initialized) {
        spdk_env_fini();
        a.env_initialized = false;
    }
    a.json.clear();
    a.running = false;
}

}  // namespace

extern "C" {

void spdk_app_opts_init(struct spdk_app_opts *opts, size_t opts_size) {
    if (opts == nullptr) {
        SPDK_ERRLOG("spdk_app_opts_init: opts is NULL\n");
        return;
    }
    if (opts_size == 0) {
        SPDK_ERRLOG("spdk_app_opts_init: opts_size is 0\n");
        return;
    }
    std::memset(static_cast<void *>(opts), 0, opts_size);
    opts->opts_size = opts_size;
#define SET_FIELD(field, value)                                              \
    if (offsetof(spdk_app_opts, field) + sizeof(opts->field) <= opts_size) { \
        opts->field = value;                                                 \
    }
    SET_FIELD(enable_coredump, true);
    SET_FIELD(shm_id, -1);
    SET_FIELD(mem_size, kDefaultMemSize);
    SET_FIELD(main_core, kDefaultMainCore);
    SET_FIELD(mem_channel, kDefaultMemChannel);
    SET_FIELD(base_virtaddr, kDefaultBaseVirtaddr);
    SET_FIELD(print_level, SPDK_LOG_INFO);
    SET_FIELD(rpc_addr, SPDK_DEFAULT_RPC_ADDR);
    SET_FIELD(num_entries, kDefaultNumTraceEntries);
    SET_FIELD(num_trace_threads, 0);
    SET_FIELD(delay_subsystem_init, false);
    SET_FIELD(disable_signal_handlers, false);
    SET_FIELD(interrupt_mode, false);
    SET_FIELD(enforce_numa, false);
    SET_FIELD(rpc_allowlist, nullptr);
    SET_FIELD(rpc_log_file, nullptr);
    SET_FIELD(rpc_log_level, SPDK_LOG_DISABLED);
    SET_FIELD(disable_cpumask_locks, false);
#undef SET_FIELD
}

int spdk_app_start(struct spdk_app_opts *opts_user, spdk_msg_fn start_fn, void *ctx) {
    App &a = app();
    if (opts_user == nullptr) {
        SPDK_ERRLOG("spdk_app_start: opts is NULL\n");
        return 1;
    }
    if (opts_user->opts_size == 0) {
        SPDK_ERRLOG("spdk_app_start: opts_size is 0 (call spdk_app_opts_init)\n");
        return 1;
    }
    if (opts_user->name == nullptr) {
        SPDK_ERRLOG("spdk_app_start: spdk_app_opts::name is not set\n");
        return 1;
    }
    spdk_app_opts opts;
    copy_opts(&opts, opts_user, opts_user->opts_size);
    if (start_fn == nullptr) {
        SPDK_ERRLOG("spdk_app_start: start_fn is NULL\n");
        return 1;
    }
    if (opts.delay_subsystem_init && opts.rpc_addr == nullptr) {
        SPDK_ERRLOG(
            "waiting for RPCs before initializing subsystems (--wait-for-rpc) needs an RPC "
            "server (not --no-rpc-server)\n");
        return 1;
    }
    if (a.running || reactors_initialized()) {
        SPDK_ERRLOG(
            "spdk_app_start: the application is already set up (call spdk_app_fini "
            "after spdk_app_start returns)\n");
        return 1;
    }
    if (opts.lcore_map == nullptr && opts.reactor_mask == nullptr) {
        opts.reactor_mask = kDefaultCoreMask;
    }

    // The configuration is read first, so that a missing file changes nothing.
    a.json.clear();
    if (opts.json_config_file != nullptr) {
        if (opts.json_data != nullptr) {
            SPDK_ERRLOG("json_config_file and json_data cannot both be given\n");
            return 1;
        }
        if (!read_file(opts.json_config_file, a.json)) {
            SPDK_ERRLOG("could not read the JSON configuration file %s: %s\n",
                        opts.json_config_file, spdk_strerror(errno));
            return 1;
        }
        a.json_source = std::string("file ") + opts.json_config_file;
        if (a.json.empty()) {
            SPDK_ERRLOG("the JSON configuration file %s is empty\n", opts.json_config_file);
            return 1;
        }
    } else if (opts.json_data != nullptr && opts.json_data_size > 0) {
        a.json.assign(static_cast<const char *>(opts.json_data), opts.json_data_size);
        a.json_source = "(given in memory)";
    }
    a.json_ignore_errors = opts.json_config_ignore_errors;
    a.has_rpc = opts.rpc_addr != nullptr;
    a.rpc_addr = a.has_rpc ? opts.rpc_addr : "";
    a.rpc_opts = spdk_rpc_opts{};
    a.rpc_opts.size = sizeof(a.rpc_opts);
    a.rpc_opts.log_file = opts.rpc_log_file;
    a.rpc_opts.log_level = opts.rpc_log_level;
    a.rpc_allowlist.clear();
    a.rpc_allowlist_set = opts.rpc_allowlist != nullptr;
    for (const char **m = opts.rpc_allowlist; m != nullptr && *m != nullptr; ++m) {
        a.rpc_allowlist.emplace_back(*m);
    }
    a.delay_subsystem_init = opts.delay_subsystem_init;

    spdk_log_set_print_level(opts.print_level);
    spdk_log_set_level(SPDK_LOG_NOTICE);
    if (opts.log != nullptr) {
        spdk_log_open(opts.log);
        a.log_opened = true;
    }
    if (opts.interrupt_mode) {
        SPDK_NOTICELOG("interrupt mode: idle reactors nap for up to 20 us at a time\n");
    }
    spdk_embedded::reactors_set_napping(opts.interrupt_mode);

    const int env_rc = env_setup(opts);
    if (env_rc != 0) {
        SPDK_ERRLOG("could not initialize the environment (core mask '%s'): %s\n",
                    opts.reactor_mask != nullptr ? opts.reactor_mask : "(lcore map)",
                    spdk_strerror(-env_rc));
        a.json.clear();
        return 1;
    }
    a.env_initialized = true;
    a.running = true;

    size_t mempool = opts.msg_mempool_size;
    if (mempool == 0) {
        mempool = std::max<size_t>(SPDK_DEFAULT_MSG_MEMPOOL_SIZE,
                                   spdk_env_get_core_count() * kPerCoreMsgMempoolSize);
    }
    if (const int rc = reactors_init(mempool); rc != 0) {
        SPDK_ERRLOG("could not initialize the reactors: %s\n", spdk_strerror(-rc));
        cleanup_failed_start();
        return 1;
    }
    SPDK_NOTICELOG("Total cores available: %u\n", spdk_env_get_core_count());

    spdk_cpuset app_mask{};
    spdk_cpuset_set_cpu(&app_mask, spdk_env_get_current_core(), true);
    if (spdk_thread_create("app_thread", &app_mask) == nullptr ||
        spdk_thread_get_app_thread() == nullptr) {
        SPDK_ERRLOG("could not create the app thread\n");
        cleanup_failed_start();
        return 1;
    }

    a.shutdown_signal_seen = false;
    reactors_set_shutdown_hook(shutdown_requested_hook);
    if (!opts.disable_signal_handlers && install_signal_handlers() != 0) {
        cleanup_failed_start();
        return 1;
    }

    a.rc = 0;
    a.stopped = false;
    a.shm_id = opts.shm_id;
    a.shutdown_cb = opts.shutdown_cb;
    a.start_fn = start_fn;
    a.start_arg = ctx;
    spdk_embedded::internal_send(spdk_thread_get_app_thread(), bootstrap, nullptr);

    reactors_start();  // returns once spdk_app_stop has run its course

    restore_signal_handlers();
    a.json.clear();
    a.running = false;
    return a.rc;
}

void spdk_app_fini(void) {
    App &a = app();
    reactors_fini();
    if (a.env_initialized) {
        spdk_env_fini();
        a.env_initialized = false;
    }
    if (a.log_opened) {
        spdk_log_close();
        a.log_opened = false;
    }
}

void spdk_app_start_shutdown(void) {
    spdk_thread *app_thread = spdk_thread_get_app_thread();
    if (app_thread == nullptr) {
        return;
    }
    if (spdk_thread_send_critical_msg(app_thread, app_start_shutdown_msg) != 0) {
        spdk_embedded::internal_send(app_thread, app_start_shutdown_msg, nullptr);
    }
}

void spdk_app_stop(int rc) {
    if (rc != 0) {
        SPDK_WARNLOG("spdk_app_stop with rc %d\n", rc);
    }
    spdk_thread *app_thread = spdk_thread_get_app_thread();
    if (app_thread == nullptr) {
        SPDK_ERRLOG("spdk_app_stop: no application is running\n");
        return;
    }
    // Subsystems are finished on the thread that initialized them.
    if (!spdk_embedded::internal_send(app_thread, app_stop_msg,
                                      reinterpret_cast<void *>(static_cast<intptr_t>(rc)))) {
        SPDK_ERRLOG("spdk_app_stop: could not reach the app thread\n");
    }
}

int spdk_app_get_shm_id(void) {
    return app().shm_id;
}

int spdk_app_parse_core_mask(const char *mask, struct spdk_cpuset *cpumask) {
    if (mask == nullptr || cpumask == nullptr || spdk_cpuset_parse(cpumask, mask) != 0) {
        return -1;
    }
    spdk_cpuset_and(cpumask, reactors_core_mask());
    return 0;
}

const struct spdk_cpuset *spdk_app_get_core_mask(void) {
    return reactors_core_mask();
}

namespace {
std::atomic<bool> g_context_switch_monitor{false};
}

void spdk_framework_enable_context_switch_monitor(bool enabled) {
    g_context_switch_monitor.store(enabled);
}

bool spdk_framework_context_switch_monitor_enabled(void) {
    return g_context_switch_monitor.load();
}

int spdk_app_setup_trace(struct spdk_app_opts * /*opts*/) {
    return 0;
}

}  // extern "C"

// --- the app framework's RPC methods ----------------------------------------------------

namespace {

void framework_start_init_done(int rc, void * /*arg*/) {
    App &a = app();
    spdk_jsonrpc_request *request = std::exchange(a.start_init_request, nullptr);
    if (rc != 0) {
        if (a.has_rpc) {
            spdk_rpc_server_resume(a.rpc_addr.c_str());  // to send the error
        }
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "framework_initialization failed");
        subsystems_initialized(rc, nullptr);
        return;
    }
    // The answer goes out once the configuration's RUNTIME part is applied and the
    // server resumes, as in SPDK.
    subsystems_initialized(0, nullptr);
    spdk_jsonrpc_send_bool_response(request, true);
}

// --wait-for-rpc: initializes the subsystems (the RPC server paused meanwhile).
void rpc_framework_start_init(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    App &a = app();
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "framework_start_init requires no parameters");
        return;
    }
    if (a.start_init_request != nullptr || a.stopped) {
        spdk_jsonrpc_send_error_response(
            request, SPDK_JSONRPC_ERROR_INVALID_STATE,
            a.stopped ? "the application is stopping" : "the framework is already initializing");
        return;
    }
    if (a.has_rpc) {
        spdk_rpc_server_pause(a.rpc_addr.c_str());
    }
    a.start_init_request = request;
    spdk_subsystem_init(framework_start_init_done, nullptr);
}

// Answers true once the subsystems are initialized (at once when they are).
void rpc_framework_wait_init(spdk_jsonrpc_request *request, const spdk_json_val * /*params*/) {
    App &a = app();
    if (spdk_rpc_get_state() == SPDK_RPC_RUNTIME) {
        spdk_jsonrpc_send_bool_response(request, true);
        return;
    }
    if (a.stopped) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "the application stopped before it initialized");
        return;
    }
    a.init_waiters.push_back(request);
}

}  // namespace

SPDK_RPC_REGISTER("framework_start_init", rpc_framework_start_init, SPDK_RPC_STARTUP)
SPDK_RPC_REGISTER("framework_wait_init", rpc_framework_wait_init,
                  SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)

// --- the command line ------------------------------------------------------------------

namespace {

// Long options without a short letter.
enum LongOnly : int {
    kInterruptMode = 256,
    kSilenceNoticelog,
    kWaitForRpc,
    kHugeDir,
    kNumTraceEntries,
    kJsonConfig,
    kJsonIgnoreInitErrors,
    kIovaMode,
    kBaseVirtaddr,
    kEnvContext,
    kDisableCpumaskLocks,
    kRpcsAllowed,
    kVfioVfToken,
    kMsgMempoolSize,
    kLcores,
    kNoHuge,
    kNoRpcServer,
    kEnforceNuma,
};

const struct option kFrameworkOptions[] = {
    {"config", required_argument, nullptr, 'c'},
    {"limit-coredump", no_argument, nullptr, 'd'},
    {"tpoint-group", required_argument, nullptr, 'e'},
    {"single-file-segments", no_argument, nullptr, 'g'},
    {"help", no_argument, nullptr, 'h'},
    {"shm-id", required_argument, nullptr, 'i'},
    {"cpumask", required_argument, nullptr, 'm'},
    {"mem-channels", required_argument, nullptr, 'n'},
    {"main-core", required_argument, nullptr, 'p'},
    {"rpc-socket", required_argument, nullptr, 'r'},
    {"mem-size", required_argument, nullptr, 's'},
    {"no-pci", no_argument, nullptr, 'u'},
    {"version", no_argument, nullptr, 'v'},
    {"pci-blocked", required_argument, nullptr, 'B'},
    {"logflag", required_argument, nullptr, 'L'},
    {"huge-unlink", no_argument, nullptr, 'R'},
    {"pci-allowed", required_argument, nullptr, 'A'},
    {"interrupt-mode", no_argument, nullptr, kInterruptMode},
    {"silence-noticelog", no_argument, nullptr, kSilenceNoticelog},
    {"wait-for-rpc", no_argument, nullptr, kWaitForRpc},
    {"huge-dir", required_argument, nullptr, kHugeDir},
    {"num-trace-entries", required_argument, nullptr, kNumTraceEntries},
    {"json", required_argument, nullptr, kJsonConfig},
    {"json-ignore-init-errors", no_argument, nullptr, kJsonIgnoreInitErrors},
    {"iova-mode", required_argument, nullptr, kIovaMode},
    {"base-virtaddr", required_argument, nullptr, kBaseVirtaddr},
    {"env-context", required_argument, nullptr, kEnvContext},
    {"disable-cpumask-locks", no_argument, nullptr, kDisableCpumaskLocks},
    {"rpcs-allowed", required_argument, nullptr, kRpcsAllowed},
    {"vfio-vf-token", required_argument, nullptr, kVfioVfToken},
    {"msg-mempool-size", required_argument, nullptr, kMsgMempoolSize},
    {"lcores", required_argument, nullptr, kLcores},
    {"no-huge", no_argument, nullptr, kNoHuge},
    {"no-rpc-server", no_argument, nullptr, kNoRpcServer},
    {"enforce-numa", no_argument, nullptr, kEnforceNuma},
};

// The first letter of the application's options that the framework also uses.
char conflicting_letter(const char *app_getopt) {
    for (const char *c = app_getopt; *c != '\0'; ++c) {
        if (*c == ':' || *c == '+' || *c == '-') {
            continue;
        }
        if (std::strchr(SPDK_APP_GETOPT_STRING, *c) != nullptr) {
            return *c;
        }
    }
    return 0;
}

void print_usage(void (*app_usage)(void)) {
    App &a = app();
    std::printf("%s [options]\n", a.executable != nullptr ? a.executable : "app");
    std::printf("\nCPU options:\n");
    std::printf(
        " -m, --cpumask <mask or list>  cores to run reactors on: a mask (0x3) or a "
        "list ([0,1])\n");
    std::printf(" -p, --main-core <id>          the core of the main reactor\n");
    std::printf("     --lcores <map>            lcore to CPU map (passed to the env)\n");
    std::printf("     --disable-cpumask-locks   accepted (no core lock files are used)\n");
    std::printf("     --interrupt-mode          accepted; reactors always poll\n");
    std::printf("\nConfiguration options:\n");
    std::printf(" -c, --config, --json <file>   JSON configuration file\n");
    std::printf("     --json-ignore-init-errors go on when a configuration entry fails\n");
    std::printf(" -r, --rpc-socket <path>       the RPC server's Unix socket (default %s)\n",
                SPDK_DEFAULT_RPC_ADDR);
    std::printf("     --no-rpc-server           start no RPC server (-r is then ignored)\n");
    std::printf("     --wait-for-rpc            initialize the subsystems on the\n");
    std::printf("                               framework_start_init RPC\n");
    std::printf("     --rpcs-allowed <list>     serve only these RPC methods (comma-separated)\n");
    std::printf("\nMemory options:\n");
    std::printf(" -s, --mem-size <size>         memory size in MB (default: %d)\n",
                a.default_mem_size >= 0 ? a.default_mem_size : 0);
    std::printf("     --no-huge                 do not use hugepages\n");
    std::printf(" -n, --mem-channels <num>      accepted\n");
    std::printf(" -i, --shm-id <id>             shared memory id\n");
    std::printf(" -g, --single-file-segments    accepted\n");
    std::printf(" -R, --huge-unlink             accepted\n");
    std::printf("     --huge-dir <path>         accepted\n");
    std::printf("     --iova-mode <pa/va>       accepted\n");
    std::printf("     --base-virtaddr <addr>    accepted\n");
    std::printf("     --msg-mempool-size <n>    sizes the message queue of each thread\n");
    std::printf("     --enforce-numa            accepted\n");
    std::printf("\nPCI options:\n");
    std::printf(" -u, --no-pci                  disable PCI access (there is none)\n");
    std::printf(" -A, --pci-allowed <bdf>       accepted\n");
    std::printf(" -B, --pci-blocked <bdf>       accepted\n");
    std::printf("     --vfio-vf-token <uuid>    accepted\n");
    std::printf("\nLog options:\n");
    spdk_log_usage(stdout, "-L");
    std::printf("     --silence-noticelog       print only warnings and errors on stderr\n");
    std::printf("\nTrace options:\n");
    std::printf(" -e, --tpoint-group <mask>     accepted (no tracing)\n");
    std::printf("     --num-trace-entries <n>   accepted (a power of 2)\n");
    std::printf("\nOther options:\n");
    std::printf(" -h, --help                    show this usage\n");
    std::printf(" -v, --version                 print the version\n");
    std::printf(" -d, --limit-coredump          accepted\n");
    std::printf("     --env-context <ctx>       passed to the env\n");
    if (app_usage != nullptr) {
        std::printf("\nApplication specific:\n");
        app_usage();
    }
}

// Parses one framework option; returns false (after logging) when it is invalid.
bool apply_option(int ch, char *arg, spdk_app_opts *opts, void (*app_usage)(void)) {
    switch (ch) {
        case 'c':
        case kJsonConfig:
            opts->json_config_file = arg;
            return true;
        case kJsonIgnoreInitErrors:
            opts->json_config_ignore_errors = true;
            return true;
        case 'd':
            opts->enable_coredump = false;
            return true;
        case 'e':
            opts->tpoint_group_mask = arg;
            return true;
        case 'g':
            opts->hugepage_single_segments = true;
            return true;
        case 'i': {
            // A negative id is allowed: it disables the shared configuration.
            const bool negative = arg[0] == '-';
            const long id = spdk_strtol(negative ? arg + 1 : arg, 0);
            if (id < 0 || id > INT32_MAX) {
                SPDK_ERRLOG("invalid shared memory id %s\n", arg);
                return false;
            }
            opts->shm_id = negative ? -static_cast<int>(id) : static_cast<int>(id);
            return true;
        }
        case 'm':
            if (opts->lcore_map != nullptr) {
                SPDK_ERRLOG("a core mask and an lcore map cannot both be given\n");
                return false;
            }
            opts->reactor_mask = arg;
            return true;
        case kLcores:
            if (opts->reactor_mask != nullptr) {
                SPDK_ERRLOG("a core mask and an lcore map cannot both be given\n");
                return false;
            }
            opts->lcore_map = arg;
            return true;
        case kDisableCpumaskLocks:
            opts->disable_cpumask_locks = true;
            return true;
        case 'n': {
            const long n = spdk_strtol(arg, 0);
            if (n < 0 || n > INT32_MAX) {
                SPDK_ERRLOG("invalid number of memory channels %s\n", arg);
                return false;
            }
            opts->mem_channel = static_cast<int>(n);
            return true;
        }
        case 'p': {
            const long core = spdk_strtol(arg, 0);
            if (core < 0 || core > INT32_MAX) {
                SPDK_ERRLOG("invalid main core %s\n", arg);
                return false;
            }
            opts->main_core = static_cast<int>(core);
            return true;
        }
        case kSilenceNoticelog:
            opts->print_level = SPDK_LOG_WARN;
            return true;
        case 'r':
            opts->rpc_addr = arg;
            return true;
        case kNoRpcServer:
            opts->rpc_addr = nullptr;
            return true;
        case kEnforceNuma:
            opts->enforce_numa = true;
            return true;
        case 's': {
            uint64_t size = 0;
            bool has_prefix = false;
            if (spdk_parse_capacity(arg, &size, &has_prefix) != 0) {
                SPDK_ERRLOG("invalid memory size -s %s\n", arg);
                print_usage(app_usage);
                return false;
            }
            if (has_prefix) {
                size /= 1024 * 1024;  // a size with a unit is in bytes; -s is in MB
            }
            if (size > INT32_MAX) {
                SPDK_ERRLOG("invalid memory size -s %s\n", arg);
                print_usage(app_usage);
                return false;
            }
            opts->mem_size = static_cast<int>(size);
            return true;
        }
        case kMsgMempoolSize: {
            const long n = spdk_strtol(arg, 10);
            if (n <= 0) {
                SPDK_ERRLOG("invalid message pool size %s\n", arg);
                return false;
            }
            opts->msg_mempool_size = static_cast<size_t>(n);
            return true;
        }
        case 'u':
            opts->no_pci = true;
            return true;
        case kWaitForRpc:
            opts->delay_subsystem_init = true;
            return true;
        case kRpcsAllowed: {
            App &a = app();
            a.parsed_allowlist.clear();
            std::string list = arg;
            size_t start = 0;
            while (start <= list.size()) {
                const size_t comma = std::min(list.find(',', start), list.size());
                if (comma > start) {
                    a.parsed_allowlist.push_back(list.substr(start, comma - start));
                }
                start = comma + 1;
            }
            if (a.parsed_allowlist.empty()) {
                SPDK_ERRLOG("invalid --rpcs-allowed argument '%s'\n", arg);
                return false;
            }
            a.parsed_allowlist_ptrs.clear();
            for (const std::string &m : a.parsed_allowlist) {
                a.parsed_allowlist_ptrs.push_back(m.c_str());
            }
            a.parsed_allowlist_ptrs.push_back(nullptr);
            opts->rpc_allowlist = a.parsed_allowlist_ptrs.data();
            return true;
        }
        case 'A':
        case 'B':
        case kVfioVfToken:
            return true;  // there is no PCI to apply them to
        case kNoHuge:
            opts->no_huge = true;
            return true;
        case 'L':
            if (spdk_log_set_flag(arg) < 0) {
                SPDK_ERRLOG("unknown log flag %s\n", arg);
                print_usage(app_usage);
                return false;
            }
#ifdef DEBUG
            opts->print_level = SPDK_LOG_DEBUG;
#endif
            return true;
        case 'R':
            opts->unlink_hugepage = true;
            return true;
        case kBaseVirtaddr: {
            const long long addr = spdk_strtoll(arg, 0);
            if (addr <= 0) {
                SPDK_ERRLOG("invalid base virtual address %s\n", arg);
                print_usage(app_usage);
                return false;
            }
            opts->base_virtaddr = static_cast<uint64_t>(addr);
            return true;
        }
        case kHugeDir:
            opts->hugedir = arg;
            return true;
        case kIovaMode:
            opts->iova_mode = arg;
            return true;
        case kNumTraceEntries: {
            const long long n = spdk_strtoll(arg, 0);
            if (n < 0 || (n > 0 && (n & (n - 1)) != 0)) {
                SPDK_ERRLOG("invalid number of trace entries %s (0 or a power of 2)\n", arg);
                print_usage(app_usage);
                return false;
            }
            opts->num_entries = static_cast<uint64_t>(n);
            return true;
        }
        case kEnvContext:
            opts->env_context = arg;
            return true;
        case kInterruptMode:
            opts->interrupt_mode = true;
            return true;
        default:
            return false;
    }
}

bool is_framework_option(int ch) {
    if (ch >= kInterruptMode && ch <= kEnforceNuma) {
        return true;
    }
    // As in SPDK, -W is in the framework's getopt string but left to the application.
    return ch > 0 && ch < 256 && ch != ':' && ch != 'W' &&
           std::strchr(SPDK_APP_GETOPT_STRING, ch) != nullptr;
}

}  // namespace

extern "C" {

spdk_app_parse_args_rvals_t spdk_app_parse_args(int argc, char **argv, struct spdk_app_opts *opts,
                                                const char *app_getopt_str,
                                                const struct option *app_long_opts,
                                                int (*app_parse)(int ch, char *arg),
                                                void (*app_usage)(void)) {
    App &a = app();
    a.default_mem_size = opts->mem_size;
    if (opts->json_config_file != nullptr && access(opts->json_config_file, R_OK) != 0) {
        SPDK_WARNLOG("cannot read the JSON configuration file %s\n", opts->json_config_file);
        opts->json_config_file = nullptr;
    }
    if (app_getopt_str != nullptr) {
        if (const char c = conflicting_letter(app_getopt_str); c != 0) {
            SPDK_ERRLOG("option -%c of the application is also an option of the framework\n", c);
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
        if (app_parse == nullptr) {
            SPDK_ERRLOG("the application gives options but no function to parse them\n");
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
    }

    std::vector<struct option> long_opts(std::begin(kFrameworkOptions),
                                         std::end(kFrameworkOptions));
    if (app_long_opts != nullptr) {
        for (const struct option *o = app_long_opts; o->name != nullptr; ++o) {
            long_opts.push_back(*o);
        }
    }
    long_opts.push_back(option{nullptr, 0, nullptr, 0});
    const std::string short_opts =
        std::string(app_getopt_str != nullptr ? app_getopt_str : "") + SPDK_APP_GETOPT_STRING;

    a.executable = argc > 0 ? argv[0] : nullptr;
    optind = 0;  // a full rescan, also when called again
    int ch;
    int index = 0;
    while ((ch = getopt_long(argc, argv, short_opts.c_str(), long_opts.data(), &index)) != -1) {
        if (ch == '?' || ch == ':') {
            print_usage(app_usage);
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
        if (ch == 'h') {
            print_usage(app_usage);
            return SPDK_APP_PARSE_ARGS_HELP;
        }
        if (ch == 'v') {
            std::printf("spdkcpp embedded runtime (SPDK API)\n");
            return SPDK_APP_PARSE_ARGS_HELP;
        }
        if (is_framework_option(ch)) {
            if (!apply_option(ch, optarg, opts, app_usage)) {
                return SPDK_APP_PARSE_ARGS_FAIL;
            }
            continue;
        }
        if (app_parse == nullptr) {
            SPDK_ERRLOG("unsupported option '%c'\n", ch);
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
        if (const int rc = app_parse(ch, optarg); rc != 0) {
            SPDK_ERRLOG("the application refused option '%c' (%d)\n", ch, rc);
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
    }
    return SPDK_APP_PARSE_ARGS_SUCCESS;
}

void spdk_app_usage(void) {
    if (app().executable == nullptr) {
        SPDK_ERRLOG("spdk_app_usage needs spdk_app_parse_args first\n");
        return;
    }
    print_usage(nullptr);
}

}  // extern "C"
