// Internal: what the thread library tells about a thread beyond SPDK's public API
// (SPDK keeps these in spdk_internal/thread.h), for the thread_get_stats RPC.
#pragma once

#include <cstdint>

#include "spdk/thread.h"

namespace spdk_embedded {

struct PollerCounts {
    uint64_t active = 0;
    uint64_t timed = 0;
    uint64_t paused = 0;
};

// The pollers of thread by kind. Call it on thread itself.
PollerCounts thread_poller_counts(spdk_thread *thread);

}  // namespace spdk_embedded
