// The bdev layer's management side: modules, registration, names, descriptors,
// unregistration and hot remove, start and stop. The I/O path is in bdev_io.cpp.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "bdev/bdev_internal.hpp"
#include "internal/internal_send.hpp"
#include "spdk/env.h"
#include "spdk/log.h"
#include "spdk/string.h"

namespace spdk_embedded::bdev {
namespace {

// Modules register from constructors that may run before any C++ object of this
// library is constructed: a plain list with a constant initializer.
TAILQ_HEAD(ModuleList, spdk_bdev_module) g_modules = TAILQ_HEAD_INITIALIZER(g_modules);

struct ExamineWaiter {
    spdk_bdev_wait_for_examine_cb cb;
    void *arg;
    ExamineWaiter *next;
};
ExamineWaiter *g_examine_waiters = nullptr;

constexpr uint32_t kDefaultPoolSize = 64 * 1024 - 1;
constexpr uint32_t kDefaultCacheSize = 256;

spdk_bdev_opts default_opts() {
    spdk_bdev_opts opts{};
    opts.bdev_io_pool_size = kDefaultPoolSize;
    opts.bdev_io_cache_size = kDefaultCacheSize;
    opts.bdev_auto_examine = true;
    opts.opts_size = sizeof(opts);
    opts.iobuf_small_cache_size = 128;
    opts.iobuf_large_cache_size = 16;
    return opts;
}

bool field_fits(size_t offset, size_t size, size_t opts_size) {
    return offset + size <= opts_size;
}

#define BDEV_OPTS_FIELD_FITS(field, opts_size) \
    field_fits(offsetof(spdk_bdev_opts, field), sizeof(spdk_bdev_opts{}.field), (opts_size))

std::string uuid_string(const spdk_uuid &uuid) {
    char text[SPDK_UUID_STRING_LEN];
    spdk_uuid_fmt_lower(text, sizeof(text), &uuid);
    return text;
}

spdk_bdev *lookup_locked(Manager &m, const char *name) {
    auto it = m.names.find(std::string_view(name));
    return it == m.names.end() ? nullptr : it->second;
}

void free_desc(spdk_bdev_desc *desc) {
    delete desc;
}

// ---- claims (helpers) ------------------------------------------------------------

bool claim_type_is_v2(spdk_bdev_claim_type type) {
    return type == SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE ||
           type == SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE ||
           type == SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED;
}

// Ends the descriptor-bound claims of bdev once none is left.
void reset_claim_locked(spdk_bdev *bdev) {
    std::memset(&bdev->internal.claim, 0, sizeof(bdev->internal.claim));
    bdev->internal.claim_type = SPDK_BDEV_CLAIM_NONE;
}

// Frees the claims released while bdev was being examined.
void drop_dead_claims_locked(spdk_bdev *bdev) {
    spdk_bdev_module_claim *claim = TAILQ_FIRST(&bdev->internal.claim.v2.claims);
    while (claim != nullptr) {
        spdk_bdev_module_claim *next = TAILQ_NEXT(claim, link);
        if (claim->desc == nullptr) {
            TAILQ_REMOVE(&bdev->internal.claim.v2.claims, claim, link);
            delete claim;
        }
        claim = next;
    }
    if (TAILQ_EMPTY(&bdev->internal.claim.v2.claims)) {
        reset_claim_locked(bdev);
    }
}

// Releases the descriptor-bound claim of desc (it is closing).
void release_desc_claim_locked(spdk_bdev_desc *desc) {
    spdk_bdev *bdev = desc->bdev;
    spdk_bdev_module_claim *claim = std::exchange(desc->claim, nullptr);
    if (bdev->internal.examine_in_progress == 0) {
        TAILQ_REMOVE(&bdev->internal.claim.v2.claims, claim, link);
        delete claim;
        if (TAILQ_EMPTY(&bdev->internal.claim.v2.claims)) {
            reset_claim_locked(bdev);
        }
    } else {
        claim->module = nullptr;
        claim->desc = nullptr;
    }
}

// "type T by module M[, M2...]", for messages about a claimed bdev.
std::string claim_holders_locked(const spdk_bdev *bdev) {
    std::string text = "type ";
    text += spdk_bdev_claim_get_name(bdev->internal.claim_type);
    text += " by module";
    if (bdev->internal.claim_type == SPDK_BDEV_CLAIM_EXCL_WRITE) {
        const spdk_bdev_module *owner = bdev->internal.claim.v1.module;
        text += ' ';
        text += owner != nullptr && owner->name != nullptr ? owner->name : "(unknown)";
        return text;
    }
    const char *sep = " ";
    const spdk_bdev_module_claim *claim = nullptr;
    TAILQ_FOREACH(claim, &bdev->internal.claim.v2.claims, link) {
        if (claim->module != nullptr) {
            text += sep;
            text += claim->module->name != nullptr ? claim->module->name : "(unknown)";
            sep = ", ";
        }
    }
    return text;
}

// ---- module actions (init and examine) -------------------------------------------

bool all_module_actions_done() {
    spdk_bdev_module *module = nullptr;
    TAILQ_FOREACH(module, &g_modules, internal.tailq) {
        if (module->internal.action_in_progress > 0) {
            return false;
        }
    }
    return true;
}

void init_complete(int rc) {
    Manager &m = manager();
    m.init_complete = true;
    if (rc == 0) {
        spdk_bdev_module *module = nullptr;
        TAILQ_FOREACH(module, &g_modules, internal.tailq) {
            if (module->init_complete != nullptr) {
                module->init_complete();
            }
        }
    }
    spdk_bdev_init_cb cb = m.init_cb;
    void *arg = m.init_cb_arg;
    m.init_cb = nullptr;
    m.init_cb_arg = nullptr;
    if (cb != nullptr) {
        cb(arg, rc);
    }
}

void run_examine_waiters() {
    if (!all_module_actions_done()) {
        return;
    }
    ExamineWaiter *list = g_examine_waiters;
    g_examine_waiters = nullptr;
    while (list != nullptr) {
        ExamineWaiter *next = list->next;
        list->cb(list->arg);
        delete list;
        list = next;
    }
}

void module_action_check() {
    Manager &m = manager();
    if (m.module_init_complete && !m.init_complete && all_module_actions_done()) {
        init_complete(0);
    }
    run_examine_waiters();
}

void module_action_done(void *ctx) {
    auto *module = static_cast<spdk_bdev_module *>(ctx);
    if (module->internal.action_in_progress == 0) {
        SPDK_ERRLOG("module %s finished an action it had not started\n", module->name);
    } else {
        module->internal.action_in_progress--;
    }
    module_action_check();
}

void init_failed(void *ctx) {
    auto *module = static_cast<spdk_bdev_module *>(ctx);
    module->internal.action_in_progress = 0;
    init_complete(-1);
}

spdk_thread *app_thread() {
    spdk_thread *t = spdk_thread_get_app_thread();
    return t != nullptr ? t : spdk_get_thread();
}

// ---- examine ---------------------------------------------------------------------

void examine(spdk_bdev *bdev) {
    Manager &m = manager();
    if (!m.opts.bdev_auto_examine || !spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_READ)) {
        return;
    }
    spdk_bdev_module *module = nullptr;
    TAILQ_FOREACH(module, &g_modules, internal.tailq) {
        if (module->examine_config != nullptr) {
            const uint32_t before = ++module->internal.action_in_progress;
            module->examine_config(bdev);
            if (module->internal.action_in_progress == before) {
                SPDK_ERRLOG(
                    "examine_config of module %s did not call "
                    "spdk_bdev_module_examine_done()\n",
                    module->name);
            }
        }
    }
    std::unique_lock lock(m.lock);
    switch (bdev->internal.claim_type) {
        case SPDK_BDEV_CLAIM_NONE:
            lock.unlock();
            TAILQ_FOREACH(module, &g_modules, internal.tailq) {
                if (module->examine_disk != nullptr) {
                    module->internal.action_in_progress++;
                    module->examine_disk(bdev);
                }
            }
            return;
        case SPDK_BDEV_CLAIM_EXCL_WRITE: {
            // Only the module that holds the claim examines the disk.
            spdk_bdev_module *owner = bdev->internal.claim.v1.module;
            lock.unlock();
            if (owner != nullptr && owner->examine_disk != nullptr) {
                owner->internal.action_in_progress++;
                owner->examine_disk(bdev);
            }
            return;
        }
        default:
            break;
    }
    // Every module with a descriptor-bound claim examines the disk. A claim
    // released meanwhile (its descriptor closed) stays listed, without module,
    // until the last examine of this bdev is done, so that the walk stays valid.
    bdev->internal.examine_in_progress++;
    spdk_bdev_module_claim *claim = nullptr;
    TAILQ_FOREACH(claim, &bdev->internal.claim.v2.claims, link) {
        spdk_bdev_module *owner = claim->module;
        if (owner == nullptr || owner->examine_disk == nullptr) {
            continue;
        }
        owner->internal.action_in_progress++;
        lock.unlock();
        owner->examine_disk(bdev);
        lock.lock();
    }
    if (--bdev->internal.examine_in_progress == 0) {
        drop_dead_claims_locked(bdev);
    }
}

// ---- events and removal ----------------------------------------------------------

struct EventMsg {
    spdk_bdev_desc *desc;
    spdk_bdev_event_type type;
};

void deliver_event(spdk_bdev_desc *desc, spdk_bdev_event_type type) {
    Manager &m = manager();
    spdk_bdev_event_cb_t cb = nullptr;
    {
        std::lock_guard guard(m.lock);
        desc->refs--;
        if (desc->closed) {
            if (desc->refs == 0) {
                free_desc(desc);
            }
            return;
        }
        cb = desc->event_cb;
    }
    cb(type, desc->bdev, desc->event_ctx);
}

void remove_event_msg(void *ctx) {
    deliver_event(static_cast<spdk_bdev_desc *>(ctx), SPDK_BDEV_EVENT_REMOVE);
}

void resize_event_msg(void *ctx) {
    deliver_event(static_cast<spdk_bdev_desc *>(ctx), SPDK_BDEV_EVENT_RESIZE);
}

// Sends an event to desc on its thread; called with Manager::lock held. The
// callback runs from a message, so that closing the descriptor from it cannot
// re-enter the caller.
void notify_locked(spdk_bdev_desc *desc, spdk_msg_fn fn) {
    desc->refs++;
    if (!internal_send(desc->thread, fn, desc)) {
        desc->refs--;
        SPDK_ERRLOG("cannot send an event to the descriptor of bdev %s: its thread has exited\n",
                    desc->bdev->name);
    }
}

void destroy_done(void *io_dev) {
    spdk_bdev *bdev = bdev_from_io_dev(io_dev);
    if (!spdk_thread_is_app_thread(nullptr) && spdk_thread_get_app_thread() != nullptr) {
        internal_send(spdk_thread_get_app_thread(), destroy_done, io_dev);
        return;
    }
    spdk_bdev_unregister_cb cb = bdev->internal.unregister_cb;
    void *cb_arg = bdev->internal.unregister_ctx;
    delete bdev->internal.stat;
    bdev->internal.stat = nullptr;
    // The module may free bdev in destruct: nothing of it is read afterwards.
    const int rc = bdev->fn_table->destruct(bdev->ctxt);
    if (rc < 0) {
        SPDK_ERRLOG("destruct failed: %s\n", spdk_strerror(-rc));
    }
    if (rc <= 0 && cb != nullptr) {
        cb(cb_arg, rc);
    }
}

// Removes bdev's names and starts its destruction; called without the lock once no
// descriptor is left.
void finish_removal(spdk_bdev *bdev) {
    Manager &m = manager();
    {
        std::lock_guard guard(m.lock);
        for (auto it = m.names.begin(); it != m.names.end();) {
            it = it->second == bdev ? m.names.erase(it) : std::next(it);
        }
        TAILQ_REMOVE(&m.bdevs, bdev, internal.link);
    }
    spdk_bdev_alias_del_all(bdev);
    spdk_io_device_unregister(bdev_to_io_dev(bdev), destroy_done);
}

// Fails I/O parked on this channel's thread for the bdev being unregistered.
void abort_parked_io(spdk_io_channel_iter *i) {
    abort_nomem_io(bdev_channel(spdk_io_channel_iter_get_channel(i)));
    spdk_for_each_channel_continue(i, 0);
}

void unregister_continue(spdk_io_channel_iter *i, int /*status*/) {
    auto *bdev = static_cast<spdk_bdev *>(spdk_io_channel_iter_get_ctx(i));
    Manager &m = manager();
    bool no_descs = false;
    {
        std::lock_guard guard(m.lock);
        bdev->internal.status = SPDK_BDEV_STATUS_REMOVING;
        spdk_bdev_desc *desc = nullptr;
        TAILQ_FOREACH(desc, &bdev->internal.open_descs, link) {
            notify_locked(desc, remove_event_msg);
        }
        no_descs = TAILQ_EMPTY(&bdev->internal.open_descs);
    }
    if (no_descs) {
        finish_removal(bdev);
    }
}

// ---- stop ------------------------------------------------------------------------

void finish_complete(void * /*io_device*/) {
    Manager &m = manager();
    pool_destroy();
    spdk_free(m.zero_buffer);
    m.zero_buffer = nullptr;
    m.module_init_complete = false;
    m.init_complete = false;
    spdk_bdev_fini_cb cb = m.fini_cb;
    void *arg = m.fini_cb_arg;
    m.fini_cb = nullptr;
    m.fini_cb_arg = nullptr;
    if (cb != nullptr) {
        cb(arg);
    }
}

void module_fini_iter(void * /*arg*/) {
    Manager &m = manager();
    spdk_bdev_module *module = m.resume_module == nullptr
                                   ? TAILQ_LAST(&g_modules, ModuleList)
                                   : TAILQ_PREV(m.resume_module, ModuleList, internal.tailq);
    while (module != nullptr) {
        if (module->async_fini) {
            // Saved first: the module may call spdk_bdev_module_fini_done at once.
            m.resume_module = module;
        }
        if (module->module_fini != nullptr) {
            module->module_fini();
        }
        if (module->async_fini) {
            return;
        }
        module = TAILQ_PREV(module, ModuleList, internal.tailq);
    }
    m.resume_module = nullptr;
    spdk_io_device_unregister(mgmt_io_device(), finish_complete);
}

void unregister_next_bdev(void *cb_arg, int bdeverrno) {
    Manager &m = manager();
    auto *done = static_cast<spdk_bdev *>(cb_arg);
    spdk_bdev *next = nullptr;
    {
        std::lock_guard guard(m.lock);
        if (bdeverrno != 0 && done != nullptr) {
            SPDK_WARNLOG("cannot unregister bdev %s during spdk_bdev_finish\n", done->name);
            TAILQ_REMOVE(&m.bdevs, done, internal.link);
        }
        // The last unclaimed bdev first, so that virtual bdevs go before their base.
        spdk_bdev *bdev = nullptr;
        TAILQ_FOREACH_REVERSE(bdev, &m.bdevs, BdevList, internal.link) {
            if (bdev->internal.claim_type == SPDK_BDEV_CLAIM_NONE) {
                next = bdev;
                break;
            }
        }
        if (next == nullptr && !TAILQ_EMPTY(&m.bdevs)) {
            next = TAILQ_LAST(&m.bdevs, BdevList);
            SPDK_WARNLOG("unregistering claimed bdev %s\n", next->name);
        }
    }
    if (next == nullptr) {
        internal_send(spdk_get_thread(), module_fini_iter, nullptr);
        return;
    }
    spdk_bdev_unregister(next, unregister_next_bdev, next);
}

void fini_start_iter(void * /*arg*/) {
    Manager &m = manager();
    spdk_bdev_module *module = m.resume_module == nullptr
                                   ? TAILQ_LAST(&g_modules, ModuleList)
                                   : TAILQ_PREV(m.resume_module, ModuleList, internal.tailq);
    while (module != nullptr) {
        if (module->async_fini_start) {
            m.resume_module = module;
        }
        if (module->fini_start != nullptr) {
            module->fini_start();
        }
        if (module->async_fini_start) {
            return;
        }
        module = TAILQ_PREV(module, ModuleList, internal.tailq);
    }
    m.resume_module = nullptr;
    unregister_next_bdev(nullptr, 0);
}

}  // namespace

Manager &manager() {
    static Manager m;
    return m;
}

void *mgmt_io_device() {
    static char device;
    return &device;
}

}  // namespace spdk_embedded::bdev

using namespace spdk_embedded::bdev;

extern "C" {

// ---- options ---------------------------------------------------------------------

void spdk_bdev_get_opts(struct spdk_bdev_opts *opts, size_t opts_size) {
    if (opts == nullptr || opts_size == 0) {
        SPDK_ERRLOG("opts must be given with a non-zero size\n");
        return;
    }
    Manager &m = manager();
    if (m.opts.opts_size == 0) {
        m.opts = default_opts();
    }
    opts->opts_size = opts_size;
    if (BDEV_OPTS_FIELD_FITS(bdev_io_pool_size, opts_size)) {
        opts->bdev_io_pool_size = m.opts.bdev_io_pool_size;
    }
    if (BDEV_OPTS_FIELD_FITS(bdev_io_cache_size, opts_size)) {
        opts->bdev_io_cache_size = m.opts.bdev_io_cache_size;
    }
    if (BDEV_OPTS_FIELD_FITS(bdev_auto_examine, opts_size)) {
        opts->bdev_auto_examine = m.opts.bdev_auto_examine;
    }
    if (BDEV_OPTS_FIELD_FITS(iobuf_small_cache_size, opts_size)) {
        opts->iobuf_small_cache_size = m.opts.iobuf_small_cache_size;
    }
    if (BDEV_OPTS_FIELD_FITS(iobuf_large_cache_size, opts_size)) {
        opts->iobuf_large_cache_size = m.opts.iobuf_large_cache_size;
    }
}

int spdk_bdev_set_opts(struct spdk_bdev_opts *opts) {
    if (opts == nullptr || opts->opts_size == 0) {
        SPDK_ERRLOG("opts must be given with a non-zero opts_size\n");
        return -1;
    }
    Manager &m = manager();
    if (m.opts.opts_size == 0) {
        m.opts = default_opts();
    }
    const size_t size = opts->opts_size;
    const uint32_t cache = BDEV_OPTS_FIELD_FITS(bdev_io_cache_size, size)
                               ? opts->bdev_io_cache_size
                               : m.opts.bdev_io_cache_size;
    const uint32_t pool = BDEV_OPTS_FIELD_FITS(bdev_io_pool_size, size) ? opts->bdev_io_pool_size
                                                                        : m.opts.bdev_io_pool_size;
    // Every thread fills its cache from the pool, and one more for the channel that
    // app start-up makes and drops.
    const uint64_t min_pool = static_cast<uint64_t>(cache) * (spdk_thread_get_count() + 1);
    if (pool < min_pool || pool == 0) {
        SPDK_ERRLOG("bdev_io_pool_size %" PRIu32 " is too small for bdev_io_cache_size %" PRIu32
                    " and %" PRIu32 " threads: at least %" PRIu64 " is needed\n",
                    pool, cache, spdk_thread_get_count(), min_pool);
        return -1;
    }
    m.opts.bdev_io_pool_size = pool;
    m.opts.bdev_io_cache_size = cache;
    if (BDEV_OPTS_FIELD_FITS(bdev_auto_examine, size)) {
        m.opts.bdev_auto_examine = opts->bdev_auto_examine;
    }
    if (BDEV_OPTS_FIELD_FITS(iobuf_small_cache_size, size)) {
        m.opts.iobuf_small_cache_size = opts->iobuf_small_cache_size;
    }
    if (BDEV_OPTS_FIELD_FITS(iobuf_large_cache_size, size)) {
        m.opts.iobuf_large_cache_size = opts->iobuf_large_cache_size;
    }
    return 0;
}

// ---- modules ---------------------------------------------------------------------

void spdk_bdev_module_list_add(struct spdk_bdev_module *bdev_module) {
    if (spdk_bdev_module_list_find(bdev_module->name) != nullptr) {
        SPDK_ERRLOG("bdev module '%s' is already registered\n", bdev_module->name);
        return;
    }
    bdev_module->internal.action_in_progress = 0;
    // Modules that examine go first, so that they are ready when the others
    // register bdevs during their own initialization.
    if (bdev_module->examine_config != nullptr || bdev_module->examine_disk != nullptr) {
        TAILQ_INSERT_HEAD(&g_modules, bdev_module, internal.tailq);
    } else {
        TAILQ_INSERT_TAIL(&g_modules, bdev_module, internal.tailq);
    }
}

struct spdk_bdev_module *spdk_bdev_module_list_find(const char *name) {
    spdk_bdev_module *module = nullptr;
    TAILQ_FOREACH(module, &g_modules, internal.tailq) {
        if (std::strcmp(name, module->name) == 0) {
            return module;
        }
    }
    return nullptr;
}

void spdk_bdev_module_init_done(struct spdk_bdev_module *module) {
    spdk_thread_exec_msg(app_thread(), module_action_done, module);
}

void spdk_bdev_module_examine_done(struct spdk_bdev_module *module) {
    spdk_thread_exec_msg(app_thread(), module_action_done, module);
}

void spdk_bdev_module_fini_done(void) {
    spdk_thread_exec_msg(app_thread(), module_fini_iter, nullptr);
}

void spdk_bdev_module_fini_start_done(void) {
    spdk_thread_exec_msg(app_thread(), fini_start_iter, nullptr);
}

int spdk_bdev_wait_for_examine(spdk_bdev_wait_for_examine_cb cb_fn, void *cb_arg) {
    if (cb_fn == nullptr) {
        return -EINVAL;
    }
    auto *waiter = new (std::nothrow) ExamineWaiter{cb_fn, cb_arg, nullptr};
    if (waiter == nullptr) {
        return -ENOMEM;
    }
    ExamineWaiter **tail = &g_examine_waiters;
    while (*tail != nullptr) {
        tail = &(*tail)->next;
    }
    *tail = waiter;
    // Checked from a message, so that cb_fn never runs inside this call.
    spdk_embedded::internal_send(
        spdk_get_thread(), [](void *) { run_examine_waiters(); }, nullptr);
    return 0;
}

int spdk_bdev_examine(const char *name) {
    spdk_bdev *bdev = spdk_bdev_get_by_name(name);
    if (bdev == nullptr) {
        return -ENODEV;
    }
    examine(bdev);
    return 0;
}

// ---- start and stop ----------------------------------------------------------------

void spdk_bdev_initialize(spdk_bdev_init_cb cb_fn, void *cb_arg) {
    Manager &m = manager();
    if (m.opts.opts_size == 0) {
        m.opts = default_opts();
    }
    m.init_cb = cb_fn;
    m.init_cb_arg = cb_arg;
    m.init_complete = false;
    m.module_init_complete = false;
    m.resume_module = nullptr;
    m.app_thread = spdk_get_thread();

    size_t max_ctx = 0;
    spdk_bdev_module *module = nullptr;
    TAILQ_FOREACH(module, &g_modules, internal.tailq) {
        module->internal.action_in_progress = 0;
        if (module->get_ctx_size != nullptr) {
            const int size = module->get_ctx_size();
            if (size > 0 && static_cast<size_t>(size) > max_ctx) {
                max_ctx = static_cast<size_t>(size);
            }
        }
    }
    if (pool_create(m.opts.bdev_io_pool_size, max_ctx) != 0) {
        SPDK_ERRLOG("cannot allocate the spdk_bdev_io pool\n");
        init_complete(-ENOMEM);
        return;
    }
    m.zero_buffer = spdk_zmalloc(kZeroBufferSize, kZeroBufferSize, nullptr, SPDK_ENV_NUMA_ID_ANY,
                                 SPDK_MALLOC_DMA);
    if (m.zero_buffer == nullptr) {
        SPDK_ERRLOG("cannot allocate the zero buffer\n");
        pool_destroy();
        init_complete(-ENOMEM);
        return;
    }
    spdk_io_device_register(mgmt_io_device(), mgmt_channel_create, mgmt_channel_destroy,
                            sizeof(MgmtChannel), "bdev_mgr");

    TAILQ_FOREACH(module, &g_modules, internal.tailq) {
        m.resume_module = module;
        if (module->async_init) {
            module->internal.action_in_progress = 1;
        }
        const int rc = module->module_init != nullptr ? module->module_init() : 0;
        if (rc != 0) {
            SPDK_ERRLOG("bdev module %s failed to initialize: %s\n", module->name,
                        spdk_strerror(-rc));
            // Keeps the other modules from completing the start; fails it from a
            // message.
            module->internal.action_in_progress = 1;
            m.module_init_complete = true;
            spdk_embedded::internal_send(spdk_get_thread(), init_failed, module);
            return;
        }
    }
    m.resume_module = nullptr;
    m.module_init_complete = true;
    module_action_check();
}

void spdk_bdev_finish(spdk_bdev_fini_cb cb_fn, void *cb_arg) {
    Manager &m = manager();
    cancel_async_opens();
    m.fini_cb = cb_fn;
    m.fini_cb_arg = cb_arg;
    if (!m.module_init_complete) {
        // Never started: nothing to take down.
        spdk_embedded::internal_send(spdk_get_thread(), finish_complete, nullptr);
        return;
    }
    m.resume_module = nullptr;
    fini_start_iter(nullptr);
}

void spdk_bdev_subsystem_config_json(struct spdk_json_write_ctx *w) {
    Manager &m = manager();
    spdk_json_write_array_begin(w);
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "method", "bdev_set_options");
    spdk_json_write_named_object_begin(w, "params");
    spdk_json_write_named_uint32(w, "bdev_io_pool_size", m.opts.bdev_io_pool_size);
    spdk_json_write_named_uint32(w, "bdev_io_cache_size", m.opts.bdev_io_cache_size);
    spdk_json_write_named_bool(w, "bdev_auto_examine", m.opts.bdev_auto_examine);
    spdk_json_write_named_uint32(w, "iobuf_small_cache_size", m.opts.iobuf_small_cache_size);
    spdk_json_write_named_uint32(w, "iobuf_large_cache_size", m.opts.iobuf_large_cache_size);
    spdk_json_write_object_end(w);
    spdk_json_write_object_end(w);

    spdk_bdev_module *module = nullptr;
    TAILQ_FOREACH(module, &g_modules, internal.tailq) {
        if (module->config_json != nullptr) {
            module->config_json(w);
        }
    }
    spdk_bdev *bdev = nullptr;
    {
        std::lock_guard guard(m.lock);
        TAILQ_FOREACH(bdev, &m.bdevs, internal.link) {
            if (bdev->fn_table->write_config_json != nullptr) {
                bdev->fn_table->write_config_json(bdev, w);
            }
        }
    }
    // Last, as in SPDK: a replayed config waits here for the bdevs that modules
    // create while examining the ones above.
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "method", "bdev_wait_for_examine");
    spdk_json_write_object_end(w);
    spdk_json_write_array_end(w);
}

// ---- lookup ----------------------------------------------------------------------

const char *spdk_bdev_get_module_name(const struct spdk_bdev *bdev) {
    return bdev->module->name;
}

struct spdk_bdev *spdk_bdev_get_by_name(const char *bdev_name) {
    if (bdev_name == nullptr) {
        return nullptr;
    }
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    return lookup_locked(m, bdev_name);
}

struct spdk_bdev *spdk_bdev_first(void) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    return TAILQ_FIRST(&m.bdevs);
}

struct spdk_bdev *spdk_bdev_next(struct spdk_bdev *prev) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    return TAILQ_NEXT(prev, internal.link);
}

static spdk_bdev *next_leaf_from(spdk_bdev *bdev) {
    while (bdev != nullptr && bdev->internal.claim_type != SPDK_BDEV_CLAIM_NONE) {
        bdev = TAILQ_NEXT(bdev, internal.link);
    }
    return bdev;
}

struct spdk_bdev *spdk_bdev_first_leaf(void) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    return next_leaf_from(TAILQ_FIRST(&m.bdevs));
}

struct spdk_bdev *spdk_bdev_next_leaf(struct spdk_bdev *prev) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    return next_leaf_from(TAILQ_NEXT(prev, internal.link));
}

static int for_each(void *ctx, spdk_for_each_bdev_fn fn, bool leaves_only) {
    // Each bdev is held open while fn runs, as SPDK does, so that fn may not see it
    // vanish; a bdev being removed is skipped.
    for (spdk_bdev *bdev = leaves_only ? spdk_bdev_first_leaf() : spdk_bdev_first();
         bdev != nullptr;) {
        spdk_bdev_desc *desc = nullptr;
        const int open_rc = spdk_bdev_open_ext(
            bdev->name, false, [](spdk_bdev_event_type, spdk_bdev *, void *) {}, nullptr, &desc);
        int rc = 0;
        if (open_rc == 0) {
            rc = fn(ctx, bdev);
        }
        spdk_bdev *next = leaves_only ? spdk_bdev_next_leaf(bdev) : spdk_bdev_next(bdev);
        if (open_rc == 0) {
            spdk_bdev_close(desc);
        }
        if (rc != 0) {
            return rc;
        }
        bdev = next;
    }
    return 0;
}

int spdk_for_each_bdev(void *ctx, spdk_for_each_bdev_fn fn) {
    return for_each(ctx, fn, false);
}

int spdk_for_each_bdev_leaf(void *ctx, spdk_for_each_bdev_fn fn) {
    return for_each(ctx, fn, true);
}

// ---- registration ----------------------------------------------------------------

int spdk_bdev_register(struct spdk_bdev *bdev) {
    if (bdev == nullptr || bdev->name == nullptr || bdev->name[0] == '\0' ||
        bdev->module == nullptr || bdev->fn_table == nullptr ||
        bdev->fn_table->destruct == nullptr || bdev->fn_table->submit_request == nullptr ||
        bdev->fn_table->get_io_channel == nullptr || bdev->fn_table->io_type_supported == nullptr) {
        SPDK_ERRLOG("a bdev needs a name, a module and a complete fn_table\n");
        return -EINVAL;
    }
    if (bdev->blocklen == 0 || bdev->blocklen % 512 != 0) {
        SPDK_ERRLOG("bdev %s: block size %" PRIu32 " is not a non-zero multiple of 512\n",
                    bdev->name, bdev->blocklen);
        return -EINVAL;
    }
    if (bdev->blockcnt == 0) {
        SPDK_ERRLOG("bdev %s: no blocks\n", bdev->name);
        return -EINVAL;
    }
    Manager &m = manager();
    if (spdk_uuid_is_null(&bdev->uuid)) {
        spdk_uuid_generate(&bdev->uuid);
    }
    const std::string uuid = uuid_string(bdev->uuid);
    {
        std::lock_guard guard(m.lock);
        if (lookup_locked(m, bdev->name) != nullptr) {
            SPDK_ERRLOG("bdev name %s already exists\n", bdev->name);
            return -EEXIST;
        }
        if (uuid != bdev->name && lookup_locked(m, uuid.c_str()) != nullptr) {
            SPDK_ERRLOG("bdev UUID %s already exists\n", uuid.c_str());
            return -EEXIST;
        }
    }
    auto *stat = new (std::nothrow) spdk_bdev_io_stat;
    if (stat == nullptr) {
        return -ENOMEM;
    }
    stat_init(stat);

    if (bdev->write_unit_size == 0) {
        bdev->write_unit_size = 1;
    }
    if (bdev->acwu == 0) {
        bdev->acwu = static_cast<uint16_t>(bdev->write_unit_size);
    }
    if (bdev->phys_blocklen == 0) {
        bdev->phys_blocklen = spdk_bdev_get_data_block_size(bdev);
    }
    if (!bdev->fn_table->io_type_supported(bdev->ctxt, SPDK_BDEV_IO_TYPE_WRITE_ZEROES)) {
        // Emulated with writes of the zero buffer, as SPDK does.
        bdev->max_write_zeroes = emulated_max_write_zeroes(bdev);
    }
    bdev->internal.status = SPDK_BDEV_STATUS_READY;
    bdev->internal.claim_type = SPDK_BDEV_CLAIM_NONE;
    std::memset(&bdev->internal.claim, 0, sizeof(bdev->internal.claim));
    bdev->internal.unregister_cb = nullptr;
    bdev->internal.unregister_ctx = nullptr;
    bdev->internal.stat = stat;
    bdev->internal.examine_in_progress = 0;
    bdev->internal.open_channels = 0;
    TAILQ_INIT(&bdev->internal.open_descs);
    if (bdev->aliases.tqh_last == nullptr) {
        TAILQ_INIT(&bdev->aliases);
    }

    spdk_io_device_register(bdev_to_io_dev(bdev), bdev_channel_create, bdev_channel_destroy,
                            sizeof(spdk_bdev_channel), bdev->name);
    {
        std::lock_guard guard(m.lock);
        m.names.emplace(bdev->name, bdev);
        if (uuid != bdev->name) {
            m.names.emplace(uuid, bdev);
        }
        TAILQ_INSERT_TAIL(&m.bdevs, bdev, internal.link);
    }
    examine(bdev);
    return 0;
}

void spdk_bdev_unregister(struct spdk_bdev *bdev, spdk_bdev_unregister_cb cb_fn, void *cb_arg) {
    Manager &m = manager();
    {
        std::lock_guard guard(m.lock);
        if (bdev->internal.status == SPDK_BDEV_STATUS_UNREGISTERING ||
            bdev->internal.status == SPDK_BDEV_STATUS_REMOVING) {
            bdev = nullptr;
        } else {
            bdev->internal.status = SPDK_BDEV_STATUS_UNREGISTERING;
            bdev->internal.unregister_cb = cb_fn;
            bdev->internal.unregister_ctx = cb_arg;
        }
    }
    if (bdev == nullptr) {
        if (cb_fn != nullptr) {
            cb_fn(cb_arg, -EBUSY);
        }
        return;
    }
    // Visits every channel first (failing I/O parked for a retry), which also makes
    // the rest run from a message.
    spdk_for_each_channel(bdev_to_io_dev(bdev), abort_parked_io, bdev, unregister_continue);
}

int spdk_bdev_unregister_by_name(const char *bdev_name, struct spdk_bdev_module *module,
                                 spdk_bdev_unregister_cb cb_fn, void *cb_arg) {
    spdk_bdev *bdev = spdk_bdev_get_by_name(bdev_name);
    if (bdev == nullptr) {
        SPDK_ERRLOG("no bdev named %s\n", bdev_name);
        return -ENODEV;
    }
    if (bdev->module != module) {
        SPDK_ERRLOG("bdev %s was not registered by module %s\n", bdev_name,
                    module != nullptr ? module->name : "(null)");
        return -ENODEV;
    }
    spdk_bdev_unregister(bdev, cb_fn, cb_arg);
    return 0;
}

void spdk_bdev_destruct_done(struct spdk_bdev *bdev, int bdeverrno) {
    if (bdev->internal.unregister_cb != nullptr) {
        bdev->internal.unregister_cb(bdev->internal.unregister_ctx, bdeverrno);
    }
}

int spdk_bdev_notify_blockcnt_change(struct spdk_bdev *bdev, uint64_t size) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    if (size < bdev->blockcnt && !TAILQ_EMPTY(&bdev->internal.open_descs)) {
        return -EBUSY;
    }
    bdev->blockcnt = size;
    spdk_bdev_desc *desc = nullptr;
    TAILQ_FOREACH(desc, &bdev->internal.open_descs, link) {
        notify_locked(desc, resize_event_msg);
    }
    return 0;
}

// ---- aliases ---------------------------------------------------------------------

int spdk_bdev_alias_add(struct spdk_bdev *bdev, const char *alias) {
    if (alias == nullptr || alias[0] == '\0') {
        return -EINVAL;
    }
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    if (lookup_locked(m, alias) != nullptr) {
        SPDK_ERRLOG("bdev name %s already exists\n", alias);
        return -EEXIST;
    }
    auto *entry = new (std::nothrow) spdk_bdev_alias{};
    char *copy = strdup(alias);
    if (entry == nullptr || copy == nullptr) {
        delete entry;
        std::free(copy);
        return -ENOMEM;
    }
    entry->alias.name = copy;
    entry->alias.bdev = bdev;
    if (bdev->aliases.tqh_last == nullptr) {
        TAILQ_INIT(&bdev->aliases);
    }
    TAILQ_INSERT_TAIL(&bdev->aliases, entry, tailq);
    // Before registration the alias becomes visible with the bdev.
    if (bdev->internal.status != SPDK_BDEV_STATUS_INVALID) {
        m.names.emplace(alias, bdev);
    }
    return 0;
}

int spdk_bdev_alias_del(struct spdk_bdev *bdev, const char *alias) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    if (bdev->aliases.tqh_last == nullptr) {
        return -ENOENT;
    }
    spdk_bdev_alias *entry = nullptr;
    TAILQ_FOREACH(entry, &bdev->aliases, tailq) {
        if (std::strcmp(entry->alias.name, alias) == 0) {
            TAILQ_REMOVE(&bdev->aliases, entry, tailq);
            auto it = m.names.find(std::string_view(alias));
            if (it != m.names.end() && it->second == bdev) {
                m.names.erase(it);
            }
            std::free(entry->alias.name);
            delete entry;
            return 0;
        }
    }
    return -ENOENT;
}

void spdk_bdev_alias_del_all(struct spdk_bdev *bdev) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    if (bdev->aliases.tqh_last == nullptr) {
        return;
    }
    while (!TAILQ_EMPTY(&bdev->aliases)) {
        spdk_bdev_alias *entry = TAILQ_FIRST(&bdev->aliases);
        TAILQ_REMOVE(&bdev->aliases, entry, tailq);
        auto it = m.names.find(std::string_view(entry->alias.name));
        if (it != m.names.end() && it->second == bdev) {
            m.names.erase(it);
        }
        std::free(entry->alias.name);
        delete entry;
    }
}

const struct spdk_bdev_aliases_list *spdk_bdev_get_aliases(const struct spdk_bdev *bdev) {
    return &bdev->aliases;
}

// ---- claims ----------------------------------------------------------------------

int spdk_bdev_module_claim_bdev(struct spdk_bdev *bdev, struct spdk_bdev_desc *desc,
                                struct spdk_bdev_module *module) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    if (bdev->internal.claim_type != SPDK_BDEV_CLAIM_NONE) {
        SPDK_ERRLOG("bdev %s already claimed: %s\n", bdev->name,
                    claim_holders_locked(bdev).c_str());
        return -EPERM;
    }
    if (desc != nullptr && !desc->write) {
        desc->write = true;
    }
    bdev->internal.claim_type = SPDK_BDEV_CLAIM_EXCL_WRITE;
    bdev->internal.claim.v1.module = module;
    return 0;
}

void spdk_bdev_module_release_bdev(struct spdk_bdev *bdev) {
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    if (claim_type_is_v2(bdev->internal.claim_type)) {
        // SPDK asserts here; its claim list would be lost otherwise.
        SPDK_ERRLOG(
            "bdev %s: a %s claim ends when its descriptor closes, not by "
            "spdk_bdev_module_release_bdev\n",
            bdev->name, spdk_bdev_claim_get_name(bdev->internal.claim_type));
        return;
    }
    bdev->internal.claim_type = SPDK_BDEV_CLAIM_NONE;
    bdev->internal.claim.v1.module = nullptr;
}

const char *spdk_bdev_claim_get_name(enum spdk_bdev_claim_type claim_type) {
    switch (claim_type) {
        case SPDK_BDEV_CLAIM_NONE:
            return "not_claimed";
        case SPDK_BDEV_CLAIM_EXCL_WRITE:
            return "exclusive_write";
        case SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE:
            return "read_many_write_one";
        case SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE:
            return "read_many_write_none";
        case SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED:
            return "read_many_write_shared";
        default:
            return "invalid_claim";
    }
}

void spdk_bdev_claim_opts_init(struct spdk_bdev_claim_opts *opts, size_t size) {
    if (opts == nullptr || size == 0) {
        SPDK_ERRLOG("spdk_bdev_claim_opts_init needs opts and a size\n");
        return;
    }
    std::memset(opts, 0, std::min(size, sizeof(*opts)));
    opts->opts_size = size;
}

namespace {

#define CLAIM_OPTS_FIELD_FITS(field, opts_size)                                             \
    field_fits(offsetof(spdk_bdev_claim_opts, field), sizeof(spdk_bdev_claim_opts{}.field), \
               (opts_size))

// The caller's options, as far as its opts_size reaches; -EINVAL for size 0.
int copy_claim_opts(const spdk_bdev_claim_opts *src, spdk_bdev_claim_opts *dst) {
    if (src->opts_size == 0) {
        SPDK_ERRLOG("claim options with opts_size 0\n");
        return -EINVAL;
    }
    *dst = spdk_bdev_claim_opts{};
    dst->opts_size = src->opts_size;
    if (CLAIM_OPTS_FIELD_FITS(name, src->opts_size)) {
        std::snprintf(dst->name, sizeof(dst->name), "%s", src->name);
    }
    if (CLAIM_OPTS_FIELD_FITS(shared_claim_key, src->opts_size)) {
        dst->shared_claim_key = src->shared_claim_key;
    }
    return 0;
}

#undef CLAIM_OPTS_FIELD_FITS

// Whether a descriptor other than desc has the bdev open for writing.
bool other_writer_locked(const spdk_bdev_desc *desc) {
    const spdk_bdev_desc *open = nullptr;
    TAILQ_FOREACH(open, &desc->bdev->internal.open_descs, link) {
        if (open != desc && open->write) {
            return true;
        }
    }
    return false;
}

// The checks of each claim type (SPDK's order): 0 when the claim may be taken.
int verify_write_one_locked(const spdk_bdev_desc *desc, const spdk_bdev_claim_opts &opts) {
    spdk_bdev *bdev = desc->bdev;
    if (opts.shared_claim_key != 0) {
        SPDK_ERRLOG("%s: a read_many_write_one claim takes no shared_claim_key\n", bdev->name);
        return -EINVAL;
    }
    if (bdev->internal.claim_type != SPDK_BDEV_CLAIM_NONE) {
        SPDK_ERRLOG("bdev %s already claimed: %s\n", bdev->name,
                    claim_holders_locked(bdev).c_str());
        return -EPERM;
    }
    if (other_writer_locked(desc)) {
        SPDK_NOTICELOG("%s: no read_many_write_one claim while another descriptor writes\n",
                       bdev->name);
        return -EPERM;
    }
    return 0;
}

int verify_write_none_locked(const spdk_bdev_desc *desc, const spdk_bdev_claim_opts &opts) {
    spdk_bdev *bdev = desc->bdev;
    if (desc->write) {
        SPDK_ERRLOG("%s: a read_many_write_none claim needs a read-only descriptor\n", bdev->name);
        return -EINVAL;
    }
    if (opts.shared_claim_key != 0) {
        SPDK_ERRLOG("%s: a read_many_write_none claim takes no shared_claim_key\n", bdev->name);
        return -EINVAL;
    }
    if (bdev->internal.claim_type == SPDK_BDEV_CLAIM_NONE && other_writer_locked(desc)) {
        SPDK_NOTICELOG("%s: no read_many_write_none claim while another descriptor writes\n",
                       bdev->name);
        return -EPERM;
    }
    return 0;
}

int verify_write_shared_locked(const spdk_bdev_desc *desc, const spdk_bdev_claim_opts &opts) {
    spdk_bdev *bdev = desc->bdev;
    if (opts.shared_claim_key == 0) {
        SPDK_ERRLOG("%s: a read_many_write_shared claim needs a shared_claim_key\n", bdev->name);
        return -EINVAL;
    }
    switch (bdev->internal.claim_type) {
        case SPDK_BDEV_CLAIM_NONE:
            if (other_writer_locked(desc)) {
                SPDK_NOTICELOG(
                    "%s: no read_many_write_shared claim while another descriptor writes "
                    "without a claim\n",
                    bdev->name);
                return -EPERM;
            }
            return 0;
        case SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED:
            if (opts.shared_claim_key != bdev->internal.claim.v2.key) {
                SPDK_ERRLOG("bdev %s already claimed with another key: %s\n", bdev->name,
                            claim_holders_locked(bdev).c_str());
                return -EPERM;
            }
            return 0;
        default:
            SPDK_ERRLOG("bdev %s already claimed: %s\n", bdev->name,
                        claim_holders_locked(bdev).c_str());
            return -EBUSY;
    }
}

int take_v2_claim_locked(spdk_bdev_desc *desc, spdk_bdev_claim_type type,
                         const spdk_bdev_claim_opts &opts, spdk_bdev_module *module) {
    spdk_bdev *bdev = desc->bdev;
    auto *claim = new (std::nothrow) spdk_bdev_module_claim{};
    if (claim == nullptr) {
        SPDK_ERRLOG("%s: out of memory for a claim\n", bdev->name);
        return -ENOMEM;
    }
    claim->module = module;
    claim->desc = desc;
    static_assert(sizeof(claim->name) == sizeof(opts.name));
    std::memcpy(claim->name, opts.name, sizeof(claim->name));
    desc->claim = claim;
    if (bdev->internal.claim_type == SPDK_BDEV_CLAIM_NONE) {
        bdev->internal.claim_type = type;
        TAILQ_INIT(&bdev->internal.claim.v2.claims);
        bdev->internal.claim.v2.key = opts.shared_claim_key;
    }
    TAILQ_INSERT_TAIL(&bdev->internal.claim.v2.claims, claim, link);
    if (type != SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE) {
        desc->write = true;  // ONE and SHARED make their descriptor a writer
    }
    return 0;
}

}  // namespace

int spdk_bdev_module_claim_bdev_desc(struct spdk_bdev_desc *desc, enum spdk_bdev_claim_type type,
                                     struct spdk_bdev_claim_opts *opts,
                                     struct spdk_bdev_module *module) {
    if (desc == nullptr) {
        SPDK_ERRLOG("spdk_bdev_module_claim_bdev_desc needs a descriptor\n");
        return -EINVAL;
    }
    spdk_bdev *bdev = desc->bdev;
    spdk_bdev_claim_opts local{};
    if (opts == nullptr) {
        spdk_bdev_claim_opts_init(&local, sizeof(local));
    } else if (copy_claim_opts(opts, &local) != 0) {
        return -EINVAL;
    }
    Manager &m = manager();
    std::unique_lock lock(m.lock);
    if (bdev->internal.claim_type != SPDK_BDEV_CLAIM_NONE && bdev->internal.claim_type != type) {
        SPDK_ERRLOG("bdev %s already claimed: %s\n", bdev->name,
                    claim_holders_locked(bdev).c_str());
        return -EPERM;
    }
    if (claim_type_is_v2(type) && desc->claim != nullptr) {
        SPDK_ERRLOG("%s: the descriptor already holds a %s claim named '%s'\n", bdev->name,
                    spdk_bdev_claim_get_name(type), desc->claim->name);
        return -EPERM;
    }
    int rc = 0;
    switch (type) {
        case SPDK_BDEV_CLAIM_EXCL_WRITE:
            lock.unlock();
            return spdk_bdev_module_claim_bdev(bdev, desc, module);
        case SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE:
            rc = verify_write_one_locked(desc, local);
            break;
        case SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE:
            rc = verify_write_none_locked(desc, local);
            break;
        case SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED:
            rc = verify_write_shared_locked(desc, local);
            break;
        default:
            SPDK_ERRLOG("%s: claim type %d is not supported\n", bdev->name, static_cast<int>(type));
            return -ENOTSUP;
    }
    if (rc == 0) {
        rc = take_v2_claim_locked(desc, type, local, module);
    }
    return rc;
}

// ---- descriptors -----------------------------------------------------------------

void spdk_bdev_open_opts_init(struct spdk_bdev_open_opts *opts, size_t opts_size) {
    if (opts == nullptr || opts_size == 0) {
        return;
    }
    spdk_bdev_open_opts defaults{};
    defaults.size = opts_size;
    std::memcpy(opts, &defaults, std::min(opts_size, sizeof(defaults)));
}

int spdk_bdev_open_ext_v2(const char *bdev_name, bool write, spdk_bdev_event_cb_t event_cb,
                          void *event_ctx, struct spdk_bdev_open_opts *opts,
                          struct spdk_bdev_desc **desc_out) {
    if (event_cb == nullptr) {
        SPDK_ERRLOG("spdk_bdev_open_ext needs an event callback\n");
        return -EINVAL;
    }
    if (bdev_name == nullptr || desc_out == nullptr) {
        return -EINVAL;
    }
    spdk_thread *thread = spdk_get_thread();
    if (thread == nullptr) {
        SPDK_ERRLOG("a bdev can only be opened on an SPDK thread\n");
        return -ENOTSUP;
    }
    Manager &m = manager();
    std::lock_guard guard(m.lock);
    spdk_bdev *bdev = lookup_locked(m, bdev_name);
    if (bdev == nullptr) {
        SPDK_NOTICELOG("no bdev named %s\n", bdev_name);
        return -ENODEV;
    }
    if (bdev->internal.status == SPDK_BDEV_STATUS_UNREGISTERING ||
        bdev->internal.status == SPDK_BDEV_STATUS_REMOVING) {
        return -ENODEV;
    }
    if (write && bdev->internal.claim_type != SPDK_BDEV_CLAIM_NONE) {
        SPDK_ERRLOG("bdev %s already claimed (%s): it cannot be opened for writing\n", bdev->name,
                    claim_holders_locked(bdev).c_str());
        return -EPERM;
    }
    auto *desc = new (std::nothrow) spdk_bdev_desc;
    if (desc == nullptr) {
        return -ENOMEM;
    }
    desc->bdev = bdev;
    desc->thread = thread;
    desc->event_cb = event_cb;
    desc->event_ctx = event_ctx;
    desc->write = write;
    spdk_bdev_open_opts_init(&desc->opts, sizeof(desc->opts));
    if (opts != nullptr && opts->size >= offsetof(spdk_bdev_open_opts, hide_metadata) + 1) {
        desc->opts.hide_metadata = opts->hide_metadata;
    }
    TAILQ_INSERT_TAIL(&bdev->internal.open_descs, desc, link);
    *desc_out = desc;
    return 0;
}

int spdk_bdev_open_ext(const char *bdev_name, bool write, spdk_bdev_event_cb_t event_cb,
                       void *event_ctx, struct spdk_bdev_desc **desc) {
    return spdk_bdev_open_ext_v2(bdev_name, write, event_cb, event_ctx, nullptr, desc);
}

void spdk_bdev_close(struct spdk_bdev_desc *desc) {
    if (desc == nullptr) {
        return;
    }
    spdk_bdev *bdev = desc->bdev;
    if (desc->thread != spdk_get_thread()) {
        SPDK_ERRLOG(
            "descriptor of bdev %s closed on thread %s, but it was opened on thread %s: "
            "refused\n",
            bdev->name,
            spdk_get_thread() != nullptr ? spdk_thread_get_name(spdk_get_thread()) : "(none)",
            spdk_thread_get_name(desc->thread));
        return;
    }
    spdk_poller_unregister(&desc->timeout_poller);
    Manager &m = manager();
    bool remove_now = false;
    {
        std::lock_guard guard(m.lock);
        TAILQ_REMOVE(&bdev->internal.open_descs, desc, link);
        desc->closed = true;
        if (desc->claim != nullptr) {
            release_desc_claim_locked(desc);
        }
        if (desc->refs == 0) {
            free_desc(desc);
        }
        remove_now = bdev->internal.status == SPDK_BDEV_STATUS_REMOVING &&
                     TAILQ_EMPTY(&bdev->internal.open_descs);
    }
    if (remove_now) {
        finish_removal(bdev);
    }
}

struct spdk_bdev *spdk_bdev_desc_get_bdev(struct spdk_bdev_desc *desc) {
    return desc->bdev;
}

uint32_t spdk_bdev_desc_get_block_size(struct spdk_bdev_desc *desc) {
    return desc->bdev->blocklen;
}

uint32_t spdk_bdev_desc_get_md_size(struct spdk_bdev_desc *desc) {
    return desc->opts.hide_metadata ? 0 : desc->bdev->md_len;
}

bool spdk_bdev_desc_is_md_interleaved(struct spdk_bdev_desc *desc) {
    return spdk_bdev_is_md_interleaved(desc->bdev);
}

bool spdk_bdev_desc_is_md_separate(struct spdk_bdev_desc *desc) {
    return spdk_bdev_is_md_separate(desc->bdev);
}

enum spdk_dif_type spdk_bdev_desc_get_dif_type(struct spdk_bdev_desc *desc) {
    return desc->opts.hide_metadata ? SPDK_DIF_DISABLE : desc->bdev->dif_type;
}

bool spdk_bdev_desc_hide_metadata(struct spdk_bdev_desc *desc) {
    return desc->opts.hide_metadata;
}

void *spdk_bdev_get_module_ctx(struct spdk_bdev_desc *desc) {
    spdk_bdev *bdev = desc->bdev;
    if (bdev->fn_table->get_module_ctx == nullptr) {
        return nullptr;
    }
    return bdev->fn_table->get_module_ctx(bdev->ctxt);
}

struct spdk_io_channel *spdk_bdev_get_io_channel(struct spdk_bdev_desc *desc) {
    return spdk_get_io_channel(bdev_to_io_dev(desc->bdev));
}

// ---- properties ------------------------------------------------------------------

int32_t spdk_bdev_get_numa_id(struct spdk_bdev *bdev) {
    return bdev->numa.id_valid ? bdev->numa.id : SPDK_ENV_NUMA_ID_ANY;
}

bool spdk_bdev_io_type_supported(struct spdk_bdev *bdev, enum spdk_bdev_io_type io_type) {
    if (bdev->fn_table->io_type_supported(bdev->ctxt, io_type)) {
        return true;
    }
    // The bdev layer emulates write zeroes with writes.
    return io_type == SPDK_BDEV_IO_TYPE_WRITE_ZEROES &&
           bdev->fn_table->io_type_supported(bdev->ctxt, SPDK_BDEV_IO_TYPE_WRITE);
}

static const char *const kIoTypeNames[SPDK_BDEV_NUM_IO_TYPES] = {
    nullptr,
    "read",
    "write",
    "unmap",
    "flush",
    "reset",
    "nvme_admin",
    "nvme_io",
    "nvme_io_md",
    "write_zeroes",
    "zcopy",
    "get_zone_info",
    "zone_management",
    "zone_append",
    "compare",
    "compare_and_write",
    "abort",
    "seek_hole",
    "seek_data",
    "copy",
    "nvme_iov_md",
    "nvme_nssr",
    "write_uncorrectable",
};

const char *spdk_bdev_get_io_type_name(enum spdk_bdev_io_type io_type) {
    if (io_type <= SPDK_BDEV_IO_TYPE_INVALID || io_type >= SPDK_BDEV_NUM_IO_TYPES) {
        return nullptr;
    }
    return kIoTypeNames[io_type];
}

int spdk_bdev_get_io_type(const char *io_type_string) {
    for (int i = SPDK_BDEV_IO_TYPE_READ; i < SPDK_BDEV_NUM_IO_TYPES; ++i) {
        if (std::strcmp(kIoTypeNames[i], io_type_string) == 0) {
            return i;
        }
    }
    return -1;
}

int spdk_bdev_dump_info_json(struct spdk_bdev *bdev, struct spdk_json_write_ctx *w) {
    if (bdev->fn_table->dump_info_json != nullptr) {
        return bdev->fn_table->dump_info_json(bdev->ctxt, w);
    }
    return 0;
}

const char *spdk_bdev_get_name(const struct spdk_bdev *bdev) {
    return bdev->name;
}

const char *spdk_bdev_get_product_name(const struct spdk_bdev *bdev) {
    return bdev->product_name;
}

uint32_t spdk_bdev_get_block_size(const struct spdk_bdev *bdev) {
    return bdev->blocklen;
}

uint32_t spdk_bdev_get_write_unit_size(const struct spdk_bdev *bdev) {
    return bdev->write_unit_size;
}

uint64_t spdk_bdev_get_num_blocks(const struct spdk_bdev *bdev) {
    return bdev->blockcnt;
}

size_t spdk_bdev_get_buf_align(const struct spdk_bdev *bdev) {
    return static_cast<size_t>(1) << bdev->required_alignment;
}

uint32_t spdk_bdev_get_optimal_io_boundary(const struct spdk_bdev *bdev) {
    return bdev->optimal_io_boundary;
}

bool spdk_bdev_has_write_cache(const struct spdk_bdev *bdev) {
    return bdev->write_cache != 0;
}

const struct spdk_uuid *spdk_bdev_get_uuid(const struct spdk_bdev *bdev) {
    return &bdev->uuid;
}

uint16_t spdk_bdev_get_acwu(const struct spdk_bdev *bdev) {
    return bdev->acwu;
}

uint32_t spdk_bdev_get_md_size(const struct spdk_bdev *bdev) {
    return bdev->md_len;
}

bool spdk_bdev_is_md_interleaved(const struct spdk_bdev *bdev) {
    return bdev->md_len != 0 && bdev->md_interleave;
}

bool spdk_bdev_is_md_separate(const struct spdk_bdev *bdev) {
    return bdev->md_len != 0 && !bdev->md_interleave;
}

bool spdk_bdev_is_zoned(const struct spdk_bdev *bdev) {
    return bdev->zoned;
}

uint32_t spdk_bdev_get_data_block_size(const struct spdk_bdev *bdev) {
    return spdk_bdev_is_md_interleaved(bdev) ? bdev->blocklen - bdev->md_len : bdev->blocklen;
}

uint32_t spdk_bdev_get_physical_block_size(const struct spdk_bdev *bdev) {
    return bdev->phys_blocklen;
}

uint32_t spdk_bdev_get_preferred_write_alignment(const struct spdk_bdev *bdev) {
    return bdev->preferred_write_alignment;
}

uint32_t spdk_bdev_get_preferred_write_granularity(const struct spdk_bdev *bdev) {
    return bdev->preferred_write_granularity;
}

uint32_t spdk_bdev_get_optimal_write_size(const struct spdk_bdev *bdev) {
    return bdev->optimal_write_size;
}

uint32_t spdk_bdev_get_preferred_unmap_alignment(const struct spdk_bdev *bdev) {
    return bdev->preferred_unmap_alignment;
}

uint32_t spdk_bdev_get_preferred_unmap_granularity(const struct spdk_bdev *bdev) {
    return bdev->preferred_unmap_granularity;
}

enum spdk_dif_type spdk_bdev_get_dif_type(const struct spdk_bdev *bdev) {
    return bdev->md_len != 0 ? bdev->dif_type : SPDK_DIF_DISABLE;
}

enum spdk_dif_pi_format spdk_bdev_get_dif_pi_format(const struct spdk_bdev *bdev) {
    return bdev->dif_pi_format;
}

bool spdk_bdev_is_dif_head_of_md(const struct spdk_bdev *bdev) {
    return spdk_bdev_get_dif_type(bdev) != SPDK_DIF_DISABLE && bdev->dif_is_head_of_md;
}

bool spdk_bdev_is_dif_check_enabled(const struct spdk_bdev *bdev,
                                    enum spdk_dif_check_type check_type) {
    if (spdk_bdev_get_dif_type(bdev) == SPDK_DIF_DISABLE) {
        return false;
    }
    switch (check_type) {
        case SPDK_DIF_CHECK_TYPE_REFTAG:
            return (bdev->dif_check_flags & SPDK_DIF_FLAGS_REFTAG_CHECK) != 0;
        case SPDK_DIF_CHECK_TYPE_APPTAG:
            return (bdev->dif_check_flags & SPDK_DIF_FLAGS_APPTAG_CHECK) != 0;
        case SPDK_DIF_CHECK_TYPE_GUARD:
            return (bdev->dif_check_flags & SPDK_DIF_FLAGS_GUARD_CHECK) != 0;
    }
    return false;
}

uint32_t spdk_bdev_get_max_copy(const struct spdk_bdev *bdev) {
    return bdev->max_copy;
}

int spdk_bdev_get_memory_domains(struct spdk_bdev * /*bdev*/,
                                 struct spdk_memory_domain ** /*domains*/, int /*array_size*/) {
    return 0;
}

int spdk_bdev_get_memory_domain_types(struct spdk_bdev * /*bdev*/,
                                      enum spdk_dma_device_type * /*types*/,
                                      uint32_t /*array_size*/) {
    return 0;
}

}  // extern "C"
