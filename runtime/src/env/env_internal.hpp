// Internal interface of the embedded env, shared by the runtime's libraries.
#pragma once

#include <sched.h>

#include <cstdint>

namespace spdk_embedded {

// True when spdk_env_init was told not to use hugepages.
bool env_no_huge();

// True once spdk_env_init has succeeded in this process. As with DPDK, whose heap
// exists only from then on (and stays after spdk_env_fini), DMA memory cannot be
// had before.
bool env_was_initialized();

// Records the core the calling OS thread runs for (SPDK_ENV_LCORE_ID_ANY for none).
void set_current_core(uint32_t core);

// Pins the calling OS thread to core, as DPDK pins its main lcore, when the process
// may run there; *previous gets the affinity to restore. False when not pinned.
bool pin_calling_thread(uint32_t core, cpu_set_t *previous);

}  // namespace spdk_embedded
