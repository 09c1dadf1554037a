/* spdkcpp embedded runtime: subsystems (initialized in dependency order and
 * finished in reverse) and SPDK's JSON configuration.
 *
 * A JSON configuration names, per subsystem, the RPC methods to call and their
 * parameters:
 *   {"subsystems": [{"subsystem": "bdev",
 *                    "config": [{"method": "bdev_malloc_create",
 *                                "params": {"name": "Malloc0", ...}}]}]}
 * The loader calls each entry's registered method directly, on the app thread (SPDK
 * sends them through a private RPC socket). */
#ifndef SPDK_INIT_H
#define SPDK_INIT_H

#include "spdk/assert.h"
#include "spdk/log.h"
#include "spdk/queue.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_DEFAULT_RPC_ADDR "/var/tmp/spdk.sock"

struct spdk_rpc_opts {
    size_t size; /* sizeof(struct spdk_rpc_opts) as the caller knows it */
    FILE *log_file;
    enum spdk_log_level log_level;
};

/* Serves the registered RPC methods on the Unix socket listen_addr
 * (spdk_rpc_server_listen, spdk/rpc.h), polled every 4 ms by a poller on the calling
 * thread (the app framework calls it on the app thread). opts (NULL: the
 * defaults) sets the request log (spdk_jsonrpc_set_log_level/file). Returns 0, or
 * -EINVAL when the socket cannot be served (in use, not ours, ...: logged) or a
 * method registration failed (spdk_rpc_verify_methods), -EADDRINUSE when this
 * process already serves listen_addr. Several addresses may be served at once. */
int spdk_rpc_initialize(const char *listen_addr, const struct spdk_rpc_opts *opts);
/* Stops every server started by spdk_rpc_initialize. */
void spdk_rpc_finish(void);
/* Stops the server on listen_addr: its socket and lock file are removed. */
void spdk_rpc_server_finish(const char *listen_addr);
/* Stops polling the server on listen_addr (its connections wait), or polls it
 * again; the app framework pauses it while the subsystems initialize. */
void spdk_rpc_server_pause(const char *listen_addr);
void spdk_rpc_server_resume(const char *listen_addr);

/* rc is 0 or a negative errno. */
typedef void (*spdk_subsystem_init_fn)(int rc, void *ctx);
typedef void (*spdk_subsystem_fini_fn)(void *ctx);

/* Initializes every registered subsystem, dependencies first, on the app thread;
 * cb_fn(rc, cb_arg) runs when all are done or one failed. */
void spdk_subsystem_init(spdk_subsystem_init_fn cb_fn, void *cb_arg);
/* Applies a JSON configuration (json_size bytes, not necessarily terminated) on
 * the app thread, one method call at a time, then calls cb_fn(rc, cb_arg). A
 * malformed document, or a method that is unknown to a registered subsystem or
 * that fails, gives a non-zero rc when stop_on_error is set (and is logged with
 * the subsystem, the method and the reason). Methods of subsystems the program
 * does not have are skipped, as in SPDK. */
void spdk_subsystem_load_config(void *json, ssize_t json_size, spdk_subsystem_init_fn cb_fn,
                                void *cb_arg, bool stop_on_error);
/* Finishes the initialized subsystems in reverse order, then cb_fn(cb_arg). */
void spdk_subsystem_fini(spdk_subsystem_fini_fn cb_fn, void *cb_arg);
bool spdk_subsystem_exists(const char *name);

struct spdk_json_write_ctx;

struct spdk_subsystem {
    const char *name;
    /* Optional; must end with spdk_subsystem_init_next(rc). */
    void (*init)(void);
    /* Optional; must end with spdk_subsystem_fini_next(). */
    void (*fini)(void);
    /* Optional; writes the subsystem's configuration as JSON. */
    void (*write_config_json)(struct spdk_json_write_ctx *w);
    TAILQ_ENTRY(spdk_subsystem) tailq;
};

/* name depends on depends_on: it is initialized after it and finished before. */
struct spdk_subsystem_depend {
    const char *name;
    const char *depends_on;
    TAILQ_ENTRY(spdk_subsystem_depend) tailq;
};

void spdk_add_subsystem(struct spdk_subsystem *subsystem);
void spdk_add_subsystem_depend(struct spdk_subsystem_depend *depend);
/* Called by a subsystem's init (rc 0 or a negative errno) and fini when done. */
void spdk_subsystem_init_next(int rc);
void spdk_subsystem_fini_next(void);

/* Registers the struct spdk_subsystem variable _name before main. */
#define SPDK_SUBSYSTEM_REGISTER(_name)                                \
    __attribute__((constructor)) static void _name##_register(void) { \
        spdk_add_subsystem(&_name);                                   \
    }

/* Declares that subsystem _name depends on subsystem _depends_on. */
#define SPDK_SUBSYSTEM_DEPEND(_name, _depends_on)                                        \
    static struct spdk_subsystem_depend __subsystem_##_name##_depend_on##_depends_on = { \
        .name = #_name,                                                                  \
        .depends_on = #_depends_on,                                                      \
        .tailq = {NULL, NULL},                                                           \
    };                                                                                   \
    __attribute__((constructor)) static void _name##_depend_on##_depends_on(void) {      \
        spdk_add_subsystem_depend(&__subsystem_##_name##_depend_on##_depends_on);        \
    }

#ifdef __cplusplus
}
#endif

#endif /* SPDK_INIT_H */
