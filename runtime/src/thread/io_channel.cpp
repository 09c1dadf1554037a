// I/O devices and their per-thread, reference-counted channels.
//
// The thread library's lock guards the device map, each device's channel list and
// the reference counts of devices; a thread's own channel list is touched only on
// that thread.
#include <atomic>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <new>

#include "spdk/log.h"
#include "spdkcpp_embedded/stats.h"
#include "thread_internal.hpp"

using namespace spdk_embedded;

struct spdk_io_channel_iter {
    void *io_device;
    IoDevice *dev;
    spdk_channel_msg fn;
    int status;
    void *ctx;
    spdk_io_channel *ch;
    spdk_thread *cur_thread;
    spdk_thread *orig_thread;
    spdk_channel_for_each_cpl cpl;
};

namespace {

const char *thread_name_or_none(const spdk_thread *thread) {
    return thread != nullptr ? spdk_thread_get_name(thread) : "(none)";
}

void *channel_ctx(spdk_io_channel *ch) {
    return reinterpret_cast<uint8_t *>(ch) + SPDK_IO_CHANNEL_STRUCT_SIZE;
}

IoDevice *find_device(void *io_device) {
    auto &devices = thread_lib().devices;
    auto it = devices.find(io_device);
    return it == devices.end() ? nullptr : it->second;
}

spdk_io_channel *find_channel(spdk_thread *thread, const IoDevice *dev) {
    for (spdk_io_channel *ch = thread->channels.head; ch != nullptr; ch = ch->thr_next) {
        if (ch->dev == dev) {
            return ch;
        }
    }
    return nullptr;
}

void finish_unregister(void *arg) {
    auto *dev = static_cast<IoDevice *>(arg);
    spdk_thread *thread = current_thread();
    --thread->pending_unregister_count;
    dev->unregister_cb(dev->io_device);
    delete dev;
}

// The device has no channel left and is unregistered: complete the unregistration.
void device_free(IoDevice *dev) {
    if (dev->unregister_cb == nullptr) {
        delete dev;
        return;
    }
    if (thread_lib().finishing.load()) {
        // Threads are being freed: the unregistering one may be gone already.
        SPDK_ERRLOG(
            "io_device %s: unregistration completes during spdk_thread_lib_fini; "
            "callback dropped\n",
            dev->name.c_str());
        delete dev;
        return;
    }
    if (!internal_send(dev->unregister_thread, finish_unregister, dev)) {
        SPDK_ERRLOG("io_device %s: its unregistering thread has exited; callback dropped\n",
                    dev->name.c_str());
        delete dev;
    }
}

void put_channel_msg(void *arg) {
    auto *ch = static_cast<spdk_io_channel *>(arg);
    --ch->destroy_ref;
    if (ch->ref > 0 || ch->destroy_ref > 0) {
        return;  // taken again before this message ran
    }
    IoDevice *dev = ch->dev;
    {
        std::lock_guard guard(thread_lib().lock);
        ch->thread->channels.remove(ch);
        dev->channels.remove(ch);
    }
    ch->destroy_cb(dev->io_device, channel_ctx(ch));
    bool free_dev;
    {
        std::lock_guard guard(thread_lib().lock);
        --dev->refcnt;
        free_dev = dev->unregistered && dev->refcnt == 0;
    }
    std::free(ch);
    if (free_dev) {
        device_free(dev);
    }
}

// The thread with the smallest id above after_id that holds a channel of dev.
spdk_thread *next_channel_thread(const IoDevice *dev, uint64_t after_id) {
    spdk_thread *best = nullptr;
    for (spdk_io_channel *ch = dev->channels.head; ch != nullptr; ch = ch->dev_next) {
        if (ch->thread->id > after_id && (best == nullptr || ch->thread->id < best->id)) {
            best = ch->thread;
        }
    }
    return best;
}

void iter_complete(void *arg) {
    auto *i = static_cast<spdk_io_channel_iter *>(arg);
    --i->orig_thread->for_each_count;
    if (i->cpl != nullptr) {
        i->cpl(i, i->status);
    }
    delete i;
}

void iter_visit(void *arg);

void pending_unregister_msg(void *arg) {
    auto *dev = static_cast<IoDevice *>(arg);
    spdk_io_device_unregister(dev->io_device, dev->unregister_cb);
}

// Ends the walk: completion to the caller's thread, then a deferred unregister.
void iter_finish(spdk_io_channel_iter *i) {
    IoDevice *dev = i->dev;
    bool unregister_now = false;
    spdk_thread *unregister_thread = nullptr;
    if (dev != nullptr) {
        std::lock_guard guard(thread_lib().lock);
        --dev->for_each_count;
        unregister_now = dev->pending_unregister && dev->for_each_count == 0;
        unregister_thread = dev->unregister_thread;
    }
    i->ch = nullptr;
    internal_send(i->orig_thread, iter_complete, i);
    if (unregister_now) {
        internal_send(unregister_thread, pending_unregister_msg, dev);
    }
}

// Sends the walk to the next thread holding a channel after after_id, or ends it.
void iter_advance(spdk_io_channel_iter *i, uint64_t after_id) {
    for (;;) {
        spdk_thread *next;
        {
            std::lock_guard guard(thread_lib().lock);
            next = next_channel_thread(i->dev, after_id);
        }
        if (next == nullptr) {
            iter_finish(i);
            return;
        }
        i->cur_thread = next;
        if (internal_send(next, iter_visit, i)) {
            return;
        }
        after_id = next->id;
    }
}

void iter_visit(void *arg) {
    auto *i = static_cast<spdk_io_channel_iter *>(arg);
    // The channel may have gone since the walk chose this thread.
    i->ch = find_channel(i->cur_thread, i->dev);
    if (i->ch != nullptr) {
        i->fn(i);
    } else {
        spdk_for_each_channel_continue(i, 0);
    }
}

}  // namespace

namespace spdk_embedded {

namespace {
std::atomic<uint64_t> g_leftover_devices{0};
std::atomic<uint64_t> g_leftover_channels{0};
}  // namespace

void release_thread_channels(spdk_thread *thread) {
    while (!thread->channels.empty()) {
        spdk_io_channel *ch = thread->channels.head;
        IoDevice *dev = ch->dev;
        g_leftover_channels.fetch_add(1, std::memory_order_relaxed);
        SPDK_ERRLOG("thread %s ends with a channel of io_device %s still held\n",
                    spdk_thread_get_name(thread), dev->name.c_str());
        bool free_dev;
        {
            std::lock_guard guard(thread_lib().lock);
            thread->channels.remove(ch);
            dev->channels.remove(ch);
            --dev->refcnt;
            free_dev = dev->unregistered && dev->refcnt == 0;
        }
        std::free(ch);
        if (free_dev) {
            device_free(dev);
        }
    }
}

void release_leftover_devices() {
    std::unordered_map<void *, IoDevice *> devices;
    {
        std::lock_guard guard(thread_lib().lock);
        devices.swap(thread_lib().devices);
    }
    for (auto &[key, dev] : devices) {
        SPDK_ERRLOG("io_device %s (%p) was not unregistered\n", dev->name.c_str(), key);
        g_leftover_devices.fetch_add(1, std::memory_order_relaxed);
        delete dev;
    }
}

}  // namespace spdk_embedded

void spdkcpp_embedded_get_leftover_stats(struct spdkcpp_embedded_leftover_stats *stats) {
    if (stats != nullptr) {
        stats->io_devices = spdk_embedded::g_leftover_devices.load(std::memory_order_relaxed);
        stats->channels = spdk_embedded::g_leftover_channels.load(std::memory_order_relaxed);
    }
}

extern "C" {

void spdk_io_device_register(void *io_device, spdk_io_channel_create_cb create_cb,
                             spdk_io_channel_destroy_cb destroy_cb, uint32_t ctx_size,
                             const char *name) {
    if (current_thread() == nullptr) {
        SPDK_ERRLOG("spdk_io_device_register outside of an spdk_thread\n");
        return;
    }
    if (io_device == nullptr || create_cb == nullptr || destroy_cb == nullptr) {
        SPDK_ERRLOG("spdk_io_device_register needs a device and both callbacks\n");
        return;
    }
    auto *dev = new (std::nothrow) IoDevice{};
    if (dev == nullptr) {
        SPDK_ERRLOG("no memory for io_device\n");
        return;
    }
    dev->io_device = io_device;
    dev->create_cb = create_cb;
    dev->destroy_cb = destroy_cb;
    dev->ctx_size = ctx_size;
    if (name != nullptr) {
        dev->name = name;
    } else {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%p", io_device);
        dev->name = buf;
    }
    std::lock_guard guard(thread_lib().lock);
    auto [it, inserted] = thread_lib().devices.emplace(io_device, dev);
    if (!inserted) {
        SPDK_ERRLOG("io_device %p is already registered (as %s); %s refused\n", io_device,
                    it->second->name.c_str(), dev->name.c_str());
        delete dev;
    }
}

void spdk_io_device_unregister(void *io_device, spdk_io_device_unregister_cb unregister_cb) {
    spdk_thread *thread = current_thread();
    if (thread == nullptr) {
        SPDK_ERRLOG("spdk_io_device_unregister outside of an spdk_thread\n");
        return;
    }
    IoDevice *dev;
    uint32_t refcnt;
    {
        std::lock_guard guard(thread_lib().lock);
        dev = find_device(io_device);
        if (dev == nullptr) {
            SPDK_ERRLOG("io_device %p is not registered (or is already unregistered)\n", io_device);
            return;
        }
        if (dev->pending_unregister && dev->for_each_count > 0) {
            SPDK_ERRLOG("io_device %s already waits to be unregistered\n", dev->name.c_str());
            return;
        }
        dev->unregister_cb = unregister_cb;
        dev->unregister_thread = thread;
        if (dev->for_each_count > 0) {
            // Finished when the last spdk_for_each_channel on it completes.
            dev->pending_unregister = true;
            return;
        }
        dev->unregistered = true;
        thread_lib().devices.erase(io_device);
        refcnt = dev->refcnt;
    }
    if (unregister_cb != nullptr) {
        ++thread->pending_unregister_count;
    }
    if (refcnt == 0) {
        device_free(dev);
    }
}

struct spdk_io_channel *spdk_get_io_channel(void *io_device) {
    spdk_thread *thread = current_thread();
    if (thread == nullptr) {
        SPDK_ERRLOG("spdk_get_io_channel outside of an spdk_thread\n");
        return nullptr;
    }
    if (spdk_thread_is_exited(thread)) {
        SPDK_ERRLOG("thread %s has exited: no channel\n", spdk_thread_get_name(thread));
        return nullptr;
    }
    IoDevice *dev;
    spdk_io_channel *ch;
    {
        std::lock_guard guard(thread_lib().lock);
        dev = find_device(io_device);
        if (dev == nullptr) {
            SPDK_ERRLOG("io_device %p is not registered\n", io_device);
            return nullptr;
        }
        ch = find_channel(thread, dev);
        if (ch != nullptr) {
            ++ch->ref;
            return ch;
        }
        ch = static_cast<spdk_io_channel *>(
            std::calloc(1, SPDK_IO_CHANNEL_STRUCT_SIZE + dev->ctx_size));
        if (ch == nullptr) {
            SPDK_ERRLOG("no memory for a channel of io_device %s\n", dev->name.c_str());
            return nullptr;
        }
        ch->thread = thread;
        ch->dev = dev;
        ch->destroy_cb = dev->destroy_cb;
        ch->ref = 1;
        thread->channels.push_back(ch);
        dev->channels.push_back(ch);
        ++dev->refcnt;
    }
    const int rc = dev->create_cb(io_device, channel_ctx(ch));
    if (rc != 0) {
        bool free_dev;
        {
            std::lock_guard guard(thread_lib().lock);
            thread->channels.remove(ch);
            dev->channels.remove(ch);
            --dev->refcnt;
            free_dev = dev->unregistered && dev->refcnt == 0;
        }
        SPDK_ERRLOG("could not create a channel of io_device %s on thread %s (rc %d)\n",
                    dev->name.c_str(), spdk_thread_get_name(thread), rc);
        std::free(ch);
        if (free_dev) {
            device_free(dev);
        }
        return nullptr;
    }
    return ch;
}

void spdk_put_io_channel(struct spdk_io_channel *ch) {
    if (ch == nullptr) {
        SPDK_ERRLOG("spdk_put_io_channel(NULL)\n");
        return;
    }
    spdk_thread *thread = current_thread();
    if (ch->thread != thread) {
        SPDK_ERRLOG("channel of io_device %s released on thread %s; it belongs to thread %s\n",
                    ch->dev->name.c_str(), thread_name_or_none(thread),
                    spdk_thread_get_name(ch->thread));
        return;
    }
    if (ch->ref == 0) {
        SPDK_ERRLOG("channel of io_device %s released more often than taken\n",
                    ch->dev->name.c_str());
        return;
    }
    if (--ch->ref == 0) {
        ++ch->destroy_ref;
        internal_send(thread, put_channel_msg, ch);
    }
}

struct spdk_io_channel *spdk_io_channel_ref(struct spdk_io_channel *ch) {
    spdk_thread *thread = current_thread();
    if (ch == nullptr || ch->thread != thread) {
        SPDK_ERRLOG("spdk_io_channel_ref called off the channel's thread\n");
        return nullptr;
    }
    ++ch->ref;
    return ch;
}

struct spdk_io_channel *spdk_io_channel_from_ctx(void *ctx) {
    return reinterpret_cast<spdk_io_channel *>(static_cast<uint8_t *>(ctx) -
                                               SPDK_IO_CHANNEL_STRUCT_SIZE);
}

struct spdk_thread *spdk_io_channel_get_thread(struct spdk_io_channel *ch) {
    return ch->thread;
}

void *spdk_io_channel_get_io_device(struct spdk_io_channel *ch) {
    return ch->dev->io_device;
}

const char *spdk_io_channel_get_io_device_name(struct spdk_io_channel *ch) {
    return ch->dev->name.c_str();
}

int spdk_io_channel_get_ref_count(struct spdk_io_channel *ch) {
    return static_cast<int>(ch->ref);
}

void spdk_for_each_channel(void *io_device, spdk_channel_msg fn, void *ctx,
                           spdk_channel_for_each_cpl cpl) {
    spdk_thread *orig = current_thread();
    auto *i = new spdk_io_channel_iter{};
    i->io_device = io_device;
    i->fn = fn;
    i->ctx = ctx;
    i->cpl = cpl;
    i->orig_thread = orig;
    if (orig == nullptr) {
        SPDK_ERRLOG("spdk_for_each_channel outside of an spdk_thread\n");
        if (cpl != nullptr) {
            cpl(i, -EINVAL);
        }
        delete i;
        return;
    }
    ++orig->for_each_count;
    spdk_thread *first = nullptr;
    {
        std::lock_guard guard(thread_lib().lock);
        IoDevice *dev = find_device(io_device);
        if (dev == nullptr) {
            SPDK_ERRLOG("spdk_for_each_channel: io_device %p is not registered\n", io_device);
            i->status = -ENODEV;
        } else if (dev->pending_unregister) {
            SPDK_ERRLOG("spdk_for_each_channel: io_device %s is being unregistered\n",
                        dev->name.c_str());
            i->status = -ENODEV;
        } else {
            i->dev = dev;
            ++dev->for_each_count;
            first = next_channel_thread(dev, 0);
        }
    }
    if (i->dev == nullptr) {
        internal_send(orig, iter_complete, i);
        return;
    }
    if (first == nullptr) {
        iter_finish(i);
        return;
    }
    i->cur_thread = first;
    if (!internal_send(first, iter_visit, i)) {
        iter_advance(i, first->id);
    }
}

void *spdk_io_channel_iter_get_io_device(struct spdk_io_channel_iter *i) {
    return i->io_device;
}

struct spdk_io_channel *spdk_io_channel_iter_get_channel(struct spdk_io_channel_iter *i) {
    return i->ch;
}

void *spdk_io_channel_iter_get_ctx(struct spdk_io_channel_iter *i) {
    return i->ctx;
}

void spdk_for_each_channel_continue(struct spdk_io_channel_iter *i, int status) {
    if (current_thread() != i->cur_thread) {
        SPDK_ERRLOG("spdk_for_each_channel_continue called on thread %s instead of %s\n",
                    thread_name_or_none(current_thread()), spdk_thread_get_name(i->cur_thread));
    }
    i->status = status;
    if (status != 0) {
        iter_finish(i);
        return;
    }
    iter_advance(i, i->cur_thread->id);
}

}  // extern "C"
