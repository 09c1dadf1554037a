/* spdkcpp embedded runtime: the application framework.
 *
 * spdk_app_start() brings up the env for the core mask, one reactor per core (an
 * OS thread that polls the spdk_threads placed on it; the main core's reactor is
 * the calling thread), the app thread, the JSON configuration's STARTUP part, the
 * RPC server on opts.rpc_addr, the subsystems and the configuration's RUNTIME
 * part, then runs start_fn on the app thread. With delay_subsystem_init
 * (--wait-for-rpc) the subsystems wait for the framework_start_init RPC. The RPC
 * server is paused while the subsystems initialize, as in SPDK. It returns when
 * spdk_app_stop() has finished the subsystems and the RPC server and every thread
 * has exited. */
#ifndef SPDK_EVENT_H
#define SPDK_EVENT_H

#include "spdk/assert.h"
#include "spdk/cpuset.h"
#include "spdk/init.h"
#include "spdk/log.h"
#include "spdk/queue.h"
#include "spdk/stdinc.h"
#include "spdk/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An event runs fn(arg1, arg2) on a reactor, outside of any spdk_thread. */
typedef void (*spdk_event_fn)(void *arg1, void *arg2);
struct spdk_event;
struct spdk_poller;

/* Called on the app thread on SIGINT/SIGTERM (or spdk_app_start_shutdown);
 * without one, the framework calls spdk_app_stop(0). */
typedef void (*spdk_app_shutdown_cb)(void);
typedef void (*spdk_sighandler_t)(int signal);

/* Options of spdk_app_start. Set opts_size with spdk_app_opts_init(); fields past
 * it are left alone, so that a program built against an older layout works. The
 * layout (field order, holes, packing) is SPDK's. */
struct spdk_app_opts {
    const char *name;
    const char *json_config_file;
    bool json_config_ignore_errors;
    uint8_t reserved17[7];
    const char *rpc_addr; /* the RPC server's Unix socket; NULL: no RPC server */
    const char *reactor_mask;
    const char *tpoint_group_mask;
    int shm_id;
    uint8_t reserved52[4];
    spdk_app_shutdown_cb shutdown_cb;
    bool enable_coredump;
    uint8_t reserved65[3];
    int mem_channel;
    int main_core;
    int mem_size;
    bool no_pci;
    bool hugepage_single_segments;
    bool unlink_hugepage;
    bool no_huge;
    uint8_t reserved84[4];
    const char *hugedir;
    enum spdk_log_level print_level;
    uint8_t reserved100[4];
    size_t num_pci_addr;
    struct spdk_pci_addr *pci_blocked;
    struct spdk_pci_addr *pci_allowed;
    const char *iova_mode;
    bool delay_subsystem_init; /* --wait-for-rpc: subsystems wait for framework_start_init */
    uint8_t reserved137[7];
    uint64_t num_entries;
    void *env_context;
    spdk_log_cb *log;
    uint64_t base_virtaddr;
    size_t opts_size;
    bool disable_signal_handlers;
    bool interrupt_mode; /* idle reactors nap instead of polling without pause */
    bool enforce_numa;
    uint8_t reserved187[1];
    uint32_t num_trace_threads;
    size_t msg_mempool_size;
    const char **rpc_allowlist; /* NULL-terminated: the only RPC methods served */
    const char *vf_token;
    const char *lcore_map;
    enum spdk_log_level rpc_log_level;
    FILE *rpc_log_file;
    void *json_data; /* a JSON config in memory, instead of json_config_file */
    size_t json_data_size;
    bool disable_cpumask_locks;
} __attribute__((packed));
SPDK_STATIC_ASSERT(sizeof(struct spdk_app_opts) == 253, "spdk_app_opts has SPDK's layout");

/* Fills opts with defaults; opts_size is sizeof(*opts) as the caller knows it. */
void spdk_app_opts_init(struct spdk_app_opts *opts, size_t opts_size);

/* Runs the application until spdk_app_stop(); returns the rc given to it, or
 * non-zero when start-up failed (bad options or core mask, a configuration that
 * does not load: start_fn is then not called). */
int spdk_app_start(struct spdk_app_opts *opts_user, spdk_msg_fn start_fn, void *ctx);
/* Releases what spdk_app_start set up (threads library, env, log). */
void spdk_app_fini(void);
/* Starts the shutdown as a signal would (safe in a signal handler). */
void spdk_app_start_shutdown(void);
/* Asks the application to stop, from any thread: subsystems are finished on the
 * app thread, every thread exits, and spdk_app_start returns rc (the first
 * non-zero rc given, if several). */
void spdk_app_stop(int rc);
int spdk_app_get_shm_id(void);
/* Parses mask and keeps the cores the application runs on. Returns 0 or -1. */
int spdk_app_parse_core_mask(const char *mask, struct spdk_cpuset *cpumask);
const struct spdk_cpuset *spdk_app_get_core_mask(void);

/* The short options the framework takes; an application's own options must use
 * other letters. */
#define SPDK_APP_GETOPT_STRING "c:de:ghi:m:n:p:r:s:uvA:B:L:RW:"

enum spdk_app_parse_args_rvals {
    SPDK_APP_PARSE_ARGS_HELP = 0,
    SPDK_APP_PARSE_ARGS_SUCCESS = 1,
    SPDK_APP_PARSE_ARGS_FAIL = 2
};
typedef enum spdk_app_parse_args_rvals spdk_app_parse_args_rvals_t;

/* Parses the framework's options (-m/--cpumask, -c/--config/--json, -s, -p, -L,
 * --no-huge, --no-pci, -r, -i, -e, -h, ...) into opts and hands the application's
 * own (getopt_str, app_long_opts) to parse. An unknown option prints the usage
 * and gives SPDK_APP_PARSE_ARGS_FAIL; -h prints it and gives ..._HELP. */
spdk_app_parse_args_rvals_t spdk_app_parse_args(int argc, char **argv, struct spdk_app_opts *opts,
                                                const char *getopt_str,
                                                const struct option *app_long_opts,
                                                int (*parse)(int ch, char *arg),
                                                void (*usage)(void));
/* Prints the framework's usage (after spdk_app_parse_args). */
void spdk_app_usage(void);

/* Events: fn(arg1, arg2) on the reactor of lcore. NULL for a core without one. */
struct spdk_event *spdk_event_allocate(uint32_t lcore, spdk_event_fn fn, void *arg1, void *arg2);
void spdk_event_call(struct spdk_event *event);

void spdk_framework_enable_context_switch_monitor(bool enabled);
bool spdk_framework_context_switch_monitor_enabled(void);
/* Tracing is not supported by the embedded runtime: returns 0. */
int spdk_app_setup_trace(struct spdk_app_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_EVENT_H */
