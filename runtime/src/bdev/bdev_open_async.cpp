// spdk_bdev_open_async: opening a bdev that may not exist yet (bdev_get_bdevs'
// timeout). A poller on the caller's thread tries spdk_bdev_open_ext every 100 ms
// until it works or the time is up; the bdev layer's finish ends the waits still
// pending with -ESHUTDOWN.
#include <mutex>
#include <string>
#include <vector>

#include "bdev/bdev_internal.hpp"
#include "internal/internal_send.hpp"
#include "spdk/bdev.h"
#include "spdk/env.h"
#include "spdk/log.h"
#include "spdk/thread.h"
#include "spdk/util.h"

namespace spdk_embedded::bdev {
namespace {

constexpr uint64_t kRetryPeriodUs = 100 * 1000;

struct AsyncOpen {
    std::string name;
    bool write = false;
    spdk_bdev_event_cb_t event_cb = nullptr;
    void *event_ctx = nullptr;
    spdk_bdev_open_async_cb_t cb = nullptr;
    void *cb_arg = nullptr;
    uint64_t deadline = 0;  // in ticks; 0: try once
    spdk_thread *thread = nullptr;
    spdk_poller *poller = nullptr;
    spdk_bdev_desc *desc = nullptr;
    int rc = 0;
    bool cancelled = false;  // guarded by g_lock
};

std::mutex g_lock;
std::vector<AsyncOpen *> g_pending;

bool remove_pending(AsyncOpen *open) {
    std::lock_guard guard(g_lock);
    return std::erase(g_pending, open) > 0;
}

// On the opening thread: the callback, then the context is freed.
void finish_open(void *arg) {
    auto *open = static_cast<AsyncOpen *>(arg);
    spdk_poller_unregister(&open->poller);
    bool cancelled = false;
    {
        std::lock_guard guard(g_lock);
        cancelled = open->cancelled;
    }
    if (cancelled) {
        if (open->desc != nullptr) {
            spdk_bdev_close(open->desc);
            open->desc = nullptr;
        }
        open->rc = -ESHUTDOWN;
    }
    open->cb(open->desc, open->rc, open->cb_arg);
    delete open;
}

int try_open(void *arg) {
    auto *open = static_cast<AsyncOpen *>(arg);
    {
        std::lock_guard guard(g_lock);
        if (open->cancelled) {
            return SPDK_POLLER_IDLE;  // finish_open is on its way
        }
    }
    open->rc = spdk_bdev_open_ext(open->name.c_str(), open->write, open->event_cb, open->event_ctx,
                                  &open->desc);
    if (open->rc != 0 && open->deadline != 0 && spdk_get_ticks() < open->deadline) {
        return SPDK_POLLER_IDLE;  // not there yet
    }
    if (open->rc != 0 && open->deadline != 0) {
        SPDK_ERRLOG("timed out waiting for bdev '%s' to appear\n", open->name.c_str());
        open->rc = -ETIMEDOUT;
    }
    if (!remove_pending(open)) {
        return SPDK_POLLER_BUSY;  // cancelled meanwhile: the cancel's message finishes it
    }
    spdk_poller_unregister(&open->poller);
    // The callback never runs inside spdk_bdev_open_async.
    internal_send(open->thread, finish_open, open);
    return SPDK_POLLER_BUSY;
}

}  // namespace

void cancel_async_opens() {
    std::vector<AsyncOpen *> pending;
    {
        std::lock_guard guard(g_lock);
        pending.swap(g_pending);
        for (AsyncOpen *open : pending) {
            open->cancelled = true;
        }
    }
    for (AsyncOpen *open : pending) {
        internal_send(open->thread, finish_open, open);
    }
}

}  // namespace spdk_embedded::bdev

extern "C" int spdk_bdev_open_async(const char *bdev_name, bool write,
                                    spdk_bdev_event_cb_t event_cb, void *event_ctx,
                                    struct spdk_bdev_open_async_opts *opts,
                                    spdk_bdev_open_async_cb_t open_cb, void *open_cb_arg) {
    using spdk_embedded::bdev::AsyncOpen;
    if (event_cb == nullptr || open_cb == nullptr || bdev_name == nullptr) {
        SPDK_ERRLOG("spdk_bdev_open_async needs a name, an event callback and an open callback\n");
        return -EINVAL;
    }
    if (opts != nullptr && opts->size == 0) {
        SPDK_ERRLOG("spdk_bdev_open_async: opts->size is 0\n");
        return -EINVAL;
    }
    spdk_thread *thread = spdk_get_thread();
    if (thread == nullptr) {
        SPDK_ERRLOG("spdk_bdev_open_async outside of an SPDK thread\n");
        return -EINVAL;
    }
    uint64_t timeout_ms = 0;
    if (opts != nullptr &&
        offsetof(spdk_bdev_open_async_opts, timeout_ms) + sizeof(opts->timeout_ms) <= opts->size) {
        timeout_ms = opts->timeout_ms;
    }
    auto *open = new (std::nothrow) AsyncOpen;
    if (open == nullptr) {
        return -ENOMEM;
    }
    open->name = bdev_name;
    open->write = write;
    open->event_cb = event_cb;
    open->event_ctx = event_ctx;
    open->cb = open_cb;
    open->cb_arg = open_cb_arg;
    open->thread = thread;
    if (timeout_ms != 0) {
        const uint64_t hz = spdk_get_ticks_hz();
        // Saturates: a timeout of years waits "forever".
        const uint64_t ticks = timeout_ms > UINT64_MAX / hz ? UINT64_MAX : timeout_ms * hz / 1000;
        const uint64_t now = spdk_get_ticks();
        open->deadline = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
    }
    open->poller =
        spdk_poller_register_named(spdk_embedded::bdev::try_open, open,
                                   spdk_embedded::bdev::kRetryPeriodUs, "bdev_open_async");
    if (open->poller == nullptr) {
        delete open;
        return -ENOMEM;
    }
    {
        std::lock_guard guard(spdk_embedded::bdev::g_lock);
        spdk_embedded::bdev::g_pending.push_back(open);
    }
    spdk_embedded::bdev::try_open(open);
    return 0;
}
