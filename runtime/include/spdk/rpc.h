/* spdkcpp embedded runtime: SPDK's JSON-RPC methods: their registration, the
 * application states they are allowed in, and the RPC server on a Unix socket.
 *
 * Modules register their methods by name, usually with SPDK_RPC_REGISTER at load
 * time. The app framework serves them on its RPC socket (spdk_app_opts.rpc_addr,
 * SPDK's /var/tmp/spdk.sock by default; spdk_rpc_initialize in spdk/init.h), so
 * SPDK's scripts/rpc.py drives an application unchanged; the JSON config loader
 * (spdk_subsystem_load_config) calls the methods a configuration names.
 *
 * A method is allowed in some states of the application: STARTUP (before the
 * subsystems are initialized) and RUNTIME (after). The app framework moves the
 * state to RUNTIME once subsystem initialization has finished; a program that
 * initializes the subsystems itself does the same. */
#ifndef SPDK_RPC_CONFIG_H_
#define SPDK_RPC_CONFIG_H_

#include "spdk/jsonrpc.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct spdk_rpc_server;

/* An RPC server listening on the Unix socket path listen_addr, or NULL (logged).
 * As SPDK, it takes the lock file "<listen_addr>.lock" first, so that two programs
 * (spdkcpp's or SPDK's) never serve one path: a lock held elsewhere means the path
 * is in use. Safer than SPDK: the socket is made owner-only (0600), and what is at
 * the path is replaced only when it is a stale socket of this user (one nobody
 * listens on); a file, a directory or a live socket there fails the call. */
struct spdk_rpc_server *spdk_rpc_server_listen(const char *listen_addr);
/* Polls server: accepts connections, handles complete requests, sends answers. */
void spdk_rpc_server_accept(struct spdk_rpc_server *server);
/* Stops server, removes its socket and lock file, and frees it. Answers given
 * later to its requests are dropped. */
void spdk_rpc_server_close(struct spdk_rpc_server *server);

/* False when a registration went wrong (a duplicate name, an alias of an unknown
 * method or of an alias); spdk_rpc_initialize then refuses to serve. */
bool spdk_rpc_verify_methods(void);

/* Serves only the methods named in the NULL-terminated rpc_allowlist (copied); the
 * others are "Method not found". NULL serves every method. */
void spdk_rpc_set_allowlist(const char **rpc_allowlist);

/* The states, and bits of a method's state mask. */
#define SPDK_RPC_STARTUP 0x1
#define SPDK_RPC_RUNTIME 0x2

/* Handles one call of a method. params is the "params" object or array, or NULL
 * when the call has none (or null); it lives until the handler returns. The
 * handler answers request exactly once (spdk/jsonrpc.h), now or later. */
typedef void (*spdk_rpc_method_handler)(struct spdk_jsonrpc_request *request,
                                        const struct spdk_json_val *params);

/* Registers method, allowed in the states of state_mask. A name that is already
 * registered is refused, with an error in the log. method is copied. */
void spdk_rpc_register_method(const char *method, spdk_rpc_method_handler func,
                              uint32_t state_mask);

/* Registers alias as a deprecated second name of the registered method method
 * (a warning is logged the first time it is called). Refused, with an error in the
 * log, when method is not registered or is itself an alias. */
void spdk_rpc_register_alias_deprecated(const char *method, const char *alias);

/* Whether method may be called in every state of state_mask: 0 if so, -EPERM if
 * not, -ENOENT when there is no such method. */
int spdk_rpc_is_method_allowed(const char *method, uint32_t state_mask);

/* Sets *state_mask to the states method is allowed in; 0, or -ENOENT when there is
 * no such method. */
int spdk_rpc_get_method_state_mask(const char *method, uint32_t *state_mask);

/* Registers func as method when the program (or library) is loaded. */
#define SPDK_RPC_REGISTER(method, func, state_mask)                            \
    static void __attribute__((constructor(1000))) rpc_register_##func(void) { \
        spdk_rpc_register_method(method, func, state_mask);                    \
    }

/* Registers alias (a bare name, not a string) as a deprecated name of method (also
 * bare) when the program is loaded, after the methods. */
#define SPDK_RPC_REGISTER_ALIAS_DEPRECATED(method, alias)                       \
    static void __attribute__((constructor(1001))) rpc_register_##alias(void) { \
        spdk_rpc_register_alias_deprecated(#method, #alias);                    \
    }

/* Sets the current state (one of the SPDK_RPC_* values). */
void spdk_rpc_set_state(uint32_t state_mask);

/* The current state: SPDK_RPC_STARTUP until it is set otherwise. */
uint32_t spdk_rpc_get_state(void);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_RPC_CONFIG_H_ */
