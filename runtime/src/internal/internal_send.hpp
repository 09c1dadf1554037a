// Messages the runtime itself must deliver (channel releases, iteration steps,
// unregistrations, bdev events and completions, the steps of a start or a stop):
// unlike spdk_thread_send_msg, a full message ring does not refuse them; they wait
// on the side, in order, and run after the ring's older messages.
#pragma once

#include "spdk/thread.h"

namespace spdk_embedded {

// False only when `thread` has exited.
bool internal_send(spdk_thread *thread, spdk_msg_fn fn, void *arg);

}  // namespace spdk_embedded
