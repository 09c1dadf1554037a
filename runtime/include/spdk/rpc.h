/* spdkcpp embedded runtime: SPDK's JSON-RPC method states.
 *
 * SPDK's methods are allowed in some states of the application: STARTUP (before
 * the subsystems are initialized) and RUNTIME (after). The app framework moves the
 * state to RUNTIME once subsystem initialization has finished; a program that
 * initializes the subsystems itself does the same. (The method registration side
 * of SPDK's rpc.h is not provided yet.) */
#ifndef SPDK_RPC_H
#define SPDK_RPC_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_RPC_STARTUP 0x1
#define SPDK_RPC_RUNTIME 0x2

/* Sets the current state (one of the SPDK_RPC_* values). */
void spdk_rpc_set_state(uint32_t state_mask);

/* The current state: SPDK_RPC_STARTUP until it is set otherwise. */
uint32_t spdk_rpc_get_state(void);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_RPC_H */
