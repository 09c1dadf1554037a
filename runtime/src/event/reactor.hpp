// Internal: the reactors of the app framework (one per core of the core mask).
#pragma once

#include <cstddef>
#include <cstdint>

#include "spdk/cpuset.h"

namespace spdk_embedded {

// Initializes the thread library with the reactors as its scheduler and makes one
// reactor per core of the env. Returns 0 or a negative errno.
int reactors_init(size_t msg_mempool_size);
// Runs every reactor (the main core's on the calling thread) until reactors_stop;
// every thread is then exited and destroyed before this returns.
void reactors_start();
// Asks every reactor to stop; callable from any thread.
void reactors_stop();
// Releases the reactors and the thread library.
void reactors_fini();
bool reactors_initialized();
const spdk_cpuset *reactors_core_mask();

// Set (from a signal handler) to have the main reactor start the shutdown.
void reactors_request_shutdown();
// Idle reactors nap (interrupt mode) instead of polling without pause.
void reactors_set_napping(bool napping);
// Called by the main reactor, on its OS thread, when a shutdown was requested.
using ShutdownHook = void (*)();
void reactors_set_shutdown_hook(ShutdownHook hook);

}  // namespace spdk_embedded
