// Internal: the reactors of the app framework (one per core of the core mask).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "spdk/cpuset.h"
#include "spdk/thread.h"

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

// A reactor as its own OS thread sees it (reactors_for_each).
struct ReactorView {
    uint32_t lcore = 0;
    uint64_t tid = 0;           // its OS thread's id
    uint64_t busy_tsc = 0;      // ticks spent polling threads that had work
    uint64_t idle_tsc = 0;      // ticks spent polling threads that had none
    bool in_interrupt = false;  // it naps when idle (interrupt mode)
    // The spdk_threads placed on it, each with the tick it was placed at.
    std::vector<std::pair<spdk_thread *, uint64_t>> threads;
};
using ReactorFn = void (*)(const ReactorView &view, void *ctx);
// Runs fn on each reactor's OS thread in turn, by core, then done(ctx) on the
// reactor of the calling core (SPDK's spdk_for_each_reactor). Events, not
// messages: fn and done run outside of any spdk_thread.
void reactors_for_each(ReactorFn fn, void *ctx, void (*done)(void *ctx));

}  // namespace spdk_embedded
