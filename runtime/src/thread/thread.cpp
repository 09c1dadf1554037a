// The embedded runtime's threads: creation and exit, the message ring, pollers and
// spdk_thread_poll.
//
// Each thread owns a bounded ring of {fn, arg} slots that many OS threads may fill
// at once (Vyukov's bounded queue, with one consumer: whoever polls the thread).
// Sending a message allocates nothing; a full ring refuses it with -ENOMEM.
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <new>

#include "internal/thread_stats.hpp"
#include "spdk/log.h"
#include "spdk/string.h"
#include "thread_internal.hpp"

namespace spdk_embedded {

constinit thread_local spdk_thread *t_current_thread __attribute__((tls_model("initial-exec"))) =
    nullptr;

ThreadLib &thread_lib() {
    static ThreadLib lib;
    return lib;
}

namespace {

using ThreadState::kExited;
using ThreadState::kExiting;
using ThreadState::kRunning;

constexpr size_t kThreadAlign = 64;

size_t thread_ctx_offset() {
    return SPDK_ALIGN_CEIL(sizeof(spdk_thread), kThreadAlign);
}

uint64_t ring_size_for(size_t msg_mempool_size) {
    if (msg_mempool_size == 0) {
        return kMaxRingSize;
    }
    uint64_t size = 2;
    while (size < msg_mempool_size && size < kMaxRingSize) {
        size <<= 1;
    }
    return size;
}

// --- the message ring ---------------------------------------------------------

bool ring_push(spdk_thread *thread, spdk_msg_fn fn, void *arg) {
    MsgSlot *slots = thread->msg_slots;
    const uint64_t mask = thread->msg_mask;
    uint64_t pos = thread->msg_tail.load(std::memory_order_relaxed);
    for (;;) {
        MsgSlot &slot = slots[pos & mask];
        const uint64_t lap = pos & ~mask;
        const uint64_t seq = std::atomic_ref<uint64_t>(slot.seq).load(std::memory_order_acquire);
        const auto diff = static_cast<int64_t>(seq - lap);
        if (diff == 0) {
            if (thread->msg_tail.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                slot.fn = fn;
                slot.arg = arg;
                std::atomic_ref<uint64_t>(slot.seq).store(lap + 1, std::memory_order_release);
                return true;
            }
        } else if (diff < 0) {
            return false;  // the slot still holds last lap's message: full
        } else {
            pos = thread->msg_tail.load(std::memory_order_relaxed);
        }
    }
}

struct Msg {
    spdk_msg_fn fn;
    void *arg;
};

uint32_t ring_pop(spdk_thread *thread, Msg *out, uint32_t max) {
    MsgSlot *slots = thread->msg_slots;
    const uint64_t mask = thread->msg_mask;
    uint64_t head = thread->msg_head.load(std::memory_order_relaxed);
    uint32_t n = 0;
    while (n < max) {
        MsgSlot &slot = slots[head & mask];
        const uint64_t lap = head & ~mask;
        if (std::atomic_ref<uint64_t>(slot.seq).load(std::memory_order_acquire) != lap + 1) {
            break;
        }
        out[n].fn = slot.fn;
        out[n].arg = slot.arg;
        ++n;
        std::atomic_ref<uint64_t>(slot.seq).store(lap + mask + 1, std::memory_order_release);
        ++head;
    }
    if (n != 0) {
        thread->msg_head.store(head, std::memory_order_relaxed);
    }
    return n;
}

bool ring_empty(const spdk_thread *thread) {
    return thread->msg_tail.load(std::memory_order_acquire) ==
           thread->msg_head.load(std::memory_order_relaxed);
}

uint32_t drain_overflow(spdk_thread *thread) {
    OverflowMsg *list;
    {
        std::lock_guard guard(thread->overflow_lock);
        list = thread->overflow_head;
        thread->overflow_head = nullptr;
        thread->overflow_tail = nullptr;
        thread->overflow_pending.store(false, std::memory_order_relaxed);
    }
    uint32_t n = 0;
    while (list != nullptr) {
        OverflowMsg *next = list->next;
        list->fn(list->arg);
        delete list;
        list = next;
        ++n;
    }
    return n;
}

// --- pollers --------------------------------------------------------------------

uint64_t us_to_ticks(uint64_t us) {
    if (us == 0) {
        return 0;
    }
    const uint64_t hz = spdk_get_ticks_hz();
    const uint64_t ticks =
        hz * (us / SPDK_SEC_TO_USEC) + hz * (us % SPDK_SEC_TO_USEC) / SPDK_SEC_TO_USEC;
    return ticks == 0 ? 1 : ticks;
}

// Keeps timed_pollers sorted by next_run_tick; pollers due at the same tick run in
// the order they were scheduled.
void timer_insert(spdk_thread *thread, spdk_poller *poller, uint64_t now) {
    poller->next_run_tick = now + poller->period_ticks;
    spdk_poller *pos = thread->timed_pollers.tail;
    while (pos != nullptr && pos->next_run_tick > poller->next_run_tick) {
        pos = pos->prev;
    }
    thread->timed_pollers.insert_after(pos, poller);
}

void poller_schedule(spdk_thread *thread, spdk_poller *poller) {
    if (poller->period_ticks != 0) {
        timer_insert(thread, poller, thread->now);
    } else {
        thread->active_pollers.push_back(poller);
    }
}

void free_poller_list(PollerList &list, const char *kind, const char *thread_name) {
    while (!list.empty()) {
        spdk_poller *poller = list.head;
        list.remove(poller);
        if (poller->state != PollerState::kUnregistered) {
            SPDK_WARNLOG("%s poller %s still registered when thread %s ended\n", kind, poller->name,
                         thread_name);
        }
        delete poller;
    }
}

// Calls a poller's function and counts the run (and whether it was busy).
inline int invoke(spdk_poller *poller) {
    poller->state = PollerState::kRunning;
    const int rc = poller->fn(poller->arg);
    ++poller->run_count;
    if (rc > 0) {
        ++poller->busy_count;
    }
    return rc;
}

inline int run_active_poller(spdk_thread *thread, spdk_poller *poller) {
    switch (poller->state) {
        case PollerState::kWaiting:
            break;
        case PollerState::kUnregistered:
            thread->active_pollers.remove(poller);
            delete poller;
            return 0;
        case PollerState::kPausing:
            thread->active_pollers.remove(poller);
            thread->paused_pollers.push_back(poller);
            poller->state = PollerState::kPaused;
            return 0;
        default:
            return 0;
    }
    const int rc = invoke(poller);
    switch (poller->state) {
        case PollerState::kRunning:
            poller->state = PollerState::kWaiting;
            break;
        case PollerState::kUnregistered:
            thread->active_pollers.remove(poller);
            delete poller;
            break;
        case PollerState::kPausing:
            thread->active_pollers.remove(poller);
            thread->paused_pollers.push_back(poller);
            poller->state = PollerState::kPaused;
            break;
        default:
            break;
    }
    return rc;
}

// poller has already been taken off timed_pollers.
inline int run_timed_poller(spdk_thread *thread, spdk_poller *poller, uint64_t now) {
    switch (poller->state) {
        case PollerState::kWaiting:
            break;
        case PollerState::kUnregistered:
            delete poller;
            return 0;
        case PollerState::kPausing:
            thread->paused_pollers.push_back(poller);
            poller->state = PollerState::kPaused;
            return 0;
        default:
            timer_insert(thread, poller, now);
            return 0;
    }
    const int rc = invoke(poller);
    switch (poller->state) {
        case PollerState::kUnregistered:
            delete poller;
            break;
        case PollerState::kPausing:
            thread->paused_pollers.push_back(poller);
            poller->state = PollerState::kPaused;
            break;
        case PollerState::kRunning:
            poller->state = PollerState::kWaiting;
            timer_insert(thread, poller, now);
            break;
        default:
            timer_insert(thread, poller, now);
            break;
    }
    return rc;
}

bool has_registered(const PollerList &list) {
    for (const spdk_poller *p = list.head; p != nullptr; p = p->next) {
        if (p->state != PollerState::kUnregistered) {
            return true;
        }
    }
    return false;
}

// An exiting thread becomes exited once nothing is left for it to do.
void thread_try_exit(spdk_thread *thread, uint64_t now) {
    const bool busy = !ring_empty(thread) ||
                      thread->overflow_pending.load(std::memory_order_acquire) ||
                      thread->critical_msg.load(std::memory_order_acquire) != nullptr ||
                      thread->for_each_count > 0 || has_registered(thread->active_pollers) ||
                      has_registered(thread->timed_pollers) || !thread->paused_pollers.empty() ||
                      !thread->channels.empty() || thread->pending_unregister_count > 0;
    if (busy) {
        if (now < thread->exit_deadline) {
            return;
        }
        SPDK_ERRLOG("thread %s did not release its pollers and channels in time; forced to exit\n",
                    thread->name);
    }
    thread->state.store(kExited, std::memory_order_release);
}

// The first poll fixes the thread's clock: what was scheduled against the creation
// time moves by the difference, so that a timer registered before the first poll
// is due one period after it (deterministic for tests that drive `now` by hand).
void start_clock(spdk_thread *thread, uint64_t now) {
    const uint64_t shift = now - thread->now;  // modular: `now` may be the smaller one
    for (spdk_poller *p = thread->timed_pollers.head; p != nullptr; p = p->next) {
        p->next_run_tick += shift;
    }
    thread->exit_deadline += shift;
    thread->now = now;
    thread->clock_started = true;
}

int thread_poll(spdk_thread *thread, uint32_t max_msgs, uint64_t now) {
    int rc = 0;

    spdk_msg_fn critical = thread->critical_msg.load(std::memory_order_acquire);
    if (spdk_unlikely(critical != nullptr)) {
        critical = thread->critical_msg.exchange(nullptr, std::memory_order_acq_rel);
        critical(nullptr);
        rc = 1;
    }

    Msg batch[kMsgBatch];
    const uint32_t limit = (max_msgs == 0 || max_msgs > kMsgBatch) ? kMsgBatch : max_msgs;
    const uint32_t count = ring_pop(thread, batch, limit);
    for (uint32_t i = 0; i < count; ++i) {
        batch[i].fn(batch[i].arg);
    }
    if (count != 0) {
        rc = 1;
    }
    // The side queue holds only messages newer than any in the ring (senders keep
    // to it while it is pending): it runs once the ring is empty, or order breaks.
    if (spdk_unlikely(thread->overflow_pending.load(std::memory_order_acquire)) &&
        ring_empty(thread)) {
        if (drain_overflow(thread) != 0) {
            rc = 1;
        }
    }

    // Newest first, as SPDK does; pollers registered meanwhile wait for the next round.
    for (spdk_poller *poller = thread->active_pollers.tail; poller != nullptr;) {
        spdk_poller *prev = poller->prev;
        const int poller_rc = run_active_poller(thread, poller);
        if (poller_rc > rc) {
            rc = poller_rc;
        }
        poller = prev;
    }

    // Always the earliest: a poller that ran is rescheduled after now, and callbacks
    // may reorder or unregister the others.
    for (spdk_poller *poller = thread->timed_pollers.head;
         poller != nullptr && poller->next_run_tick <= now; poller = thread->timed_pollers.head) {
        thread->timed_pollers.remove(poller);
        const int timer_rc = run_timed_poller(thread, poller, now);
        if (timer_rc > rc) {
            rc = timer_rc;
        }
    }
    return rc;
}

void free_thread(spdk_thread *thread) {
    ThreadLib &lib = thread_lib();
    {
        std::lock_guard guard(lib.lock);
        lib.threads.remove(thread);
        lib.thread_count.fetch_sub(1, std::memory_order_relaxed);
    }
    release_thread_channels(thread);
    free_poller_list(thread->active_pollers, "active", thread->name);
    free_poller_list(thread->timed_pollers, "timed", thread->name);
    free_poller_list(thread->paused_pollers, "paused", thread->name);
    OverflowMsg *msg = thread->overflow_head;
    while (msg != nullptr) {
        OverflowMsg *next = msg->next;
        delete msg;
        msg = next;
    }
    std::free(thread->msg_slots);
    if (t_current_thread == thread) {
        t_current_thread = nullptr;
    }
    thread->~spdk_thread();
    ::operator delete(static_cast<void *>(thread), std::align_val_t(kThreadAlign));
}

int lib_init(spdk_new_thread_fn new_thread_fn, spdk_thread_op_fn op_fn,
             spdk_thread_op_supported_fn op_supported_fn, size_t ctx_sz, size_t msg_mempool_size) {
    ThreadLib &lib = thread_lib();
    std::lock_guard guard(lib.lock);
    if (lib.initialized) {
        SPDK_ERRLOG("the thread library is already initialized\n");
        return -EALREADY;
    }
    lib.new_thread_fn = new_thread_fn;
    lib.thread_op_fn = op_fn;
    lib.thread_op_supported_fn = op_supported_fn;
    lib.ctx_sz = ctx_sz;
    lib.ring_size = ring_size_for(msg_mempool_size);
    lib.initialized = true;
    return 0;
}

const char *wrong_thread_name(const spdk_thread *thread) {
    return thread != nullptr ? thread->name : "(none)";
}

}  // namespace

bool internal_send(spdk_thread *thread, spdk_msg_fn fn, void *arg) {
    if (thread->state.load(std::memory_order_acquire) == kExited) {
        return false;
    }
    // Behind an overflow, keep to the side queue so that order is kept.
    if (!thread->overflow_pending.load(std::memory_order_acquire) && ring_push(thread, fn, arg)) {
        return true;
    }
    auto *msg = new OverflowMsg{fn, arg, nullptr};
    std::lock_guard guard(thread->overflow_lock);
    if (thread->overflow_tail != nullptr) {
        thread->overflow_tail->next = msg;
    } else {
        thread->overflow_head = msg;
    }
    thread->overflow_tail = msg;
    thread->overflow_pending.store(true, std::memory_order_release);
    return true;
}

}  // namespace spdk_embedded

using namespace spdk_embedded;

extern "C" {

int spdk_thread_lib_init(spdk_new_thread_fn new_thread_fn, size_t ctx_sz) {
    return lib_init(new_thread_fn, nullptr, nullptr, ctx_sz, SPDK_DEFAULT_MSG_MEMPOOL_SIZE);
}

int spdk_thread_lib_init_ext(spdk_thread_op_fn thread_op_fn,
                             spdk_thread_op_supported_fn thread_op_supported_fn, size_t ctx_sz,
                             size_t msg_mempool_size) {
    if ((thread_op_fn == nullptr) != (thread_op_supported_fn == nullptr)) {
        SPDK_ERRLOG("thread_op_fn and thread_op_supported_fn must be given together\n");
        return -EINVAL;
    }
    return lib_init(nullptr, thread_op_fn, thread_op_supported_fn, ctx_sz, msg_mempool_size);
}

void spdk_thread_lib_fini(void) {
    ThreadLib &lib = thread_lib();
    spdk_thread *app = lib.app_thread.load(std::memory_order_acquire);
    lib.finishing.store(true);
    for (;;) {
        spdk_thread *thread;
        {
            std::lock_guard guard(lib.lock);
            thread = lib.threads.head;
        }
        if (thread == nullptr) {
            break;
        }
        if (thread != app) {
            SPDK_WARNLOG("thread %s was not destroyed before spdk_thread_lib_fini\n", thread->name);
        }
        free_thread(thread);
    }
    release_leftover_devices();
    std::lock_guard guard(lib.lock);
    lib.app_thread.store(nullptr, std::memory_order_release);
    lib.new_thread_fn = nullptr;
    lib.thread_op_fn = nullptr;
    lib.thread_op_supported_fn = nullptr;
    lib.ctx_sz = 0;
    lib.initialized = false;
    lib.finishing.store(false);
}

struct spdk_thread *spdk_thread_create(const char *name, const struct spdk_cpuset *cpumask) {
    ThreadLib &lib = thread_lib();
    size_t ctx_sz;
    uint64_t ring_size;
    {
        std::lock_guard guard(lib.lock);
        if (!lib.initialized) {
            SPDK_ERRLOG("spdk_thread_create before spdk_thread_lib_init\n");
            return nullptr;
        }
        ctx_sz = lib.ctx_sz;
        ring_size = lib.ring_size;
    }
    const size_t size = SPDK_ALIGN_CEIL(thread_ctx_offset() + ctx_sz, kThreadAlign);
    void *mem = ::operator new(size, std::align_val_t(kThreadAlign), std::nothrow);
    if (mem == nullptr) {
        SPDK_ERRLOG("no memory for a thread\n");
        return nullptr;
    }
    auto *thread = new (mem) spdk_thread();
    std::memset(static_cast<char *>(mem) + thread_ctx_offset(), 0, size - thread_ctx_offset());
    thread->msg_slots = static_cast<MsgSlot *>(std::calloc(ring_size, sizeof(MsgSlot)));
    if (thread->msg_slots == nullptr) {
        SPDK_ERRLOG("no memory for the message ring of a thread\n");
        thread->~spdk_thread();
        ::operator delete(mem, std::align_val_t(kThreadAlign));
        return nullptr;
    }
    thread->msg_mask = ring_size - 1;
    if (cpumask != nullptr) {
        spdk_cpuset_copy(&thread->cpumask, cpumask);
    } else {
        spdk_cpuset_zero(&thread->cpumask);
        spdk_cpuset_negate(&thread->cpumask);
    }
    thread->now = spdk_get_ticks();
    spdk_new_thread_fn new_thread_fn;
    spdk_thread_op_fn op_fn;
    spdk_thread_op_supported_fn op_supported_fn;
    {
        std::lock_guard guard(lib.lock);
        thread->id = lib.next_thread_id++;
        lib.threads.push_back(thread);
        lib.thread_count.fetch_add(1, std::memory_order_relaxed);
        new_thread_fn = lib.new_thread_fn;
        op_fn = lib.thread_op_fn;
        op_supported_fn = lib.thread_op_supported_fn;
    }
    if (name != nullptr) {
        std::snprintf(thread->name, sizeof(thread->name), "%s", name);
    } else {
        std::snprintf(thread->name, sizeof(thread->name), "thread%" PRIu64, thread->id);
    }

    int rc = 0;
    if (new_thread_fn != nullptr) {
        rc = new_thread_fn(thread);
    } else if (op_supported_fn != nullptr && op_supported_fn(SPDK_THREAD_OP_NEW)) {
        rc = op_fn(thread, SPDK_THREAD_OP_NEW);
    }
    if (rc != 0) {
        SPDK_ERRLOG("the scheduler refused thread %s (%d)\n", thread->name, rc);
        free_thread(thread);
        return nullptr;
    }
    spdk_thread *expected = nullptr;
    lib.app_thread.compare_exchange_strong(expected, thread, std::memory_order_acq_rel);
    return thread;
}

struct spdk_thread *spdk_thread_get_app_thread(void) {
    return thread_lib().app_thread.load(std::memory_order_acquire);
}

bool spdk_thread_is_app_thread(struct spdk_thread *thread) {
    if (thread == nullptr) {
        thread = t_current_thread;
    }
    return thread != nullptr && thread == thread_lib().app_thread.load(std::memory_order_acquire);
}

void spdk_set_thread(struct spdk_thread *thread) {
    t_current_thread = thread;
}

void spdk_thread_bind(struct spdk_thread *thread, bool bind) {
    thread->bound = bind;
}

bool spdk_thread_is_bound(struct spdk_thread *thread) {
    return thread->bound;
}

int spdk_thread_exit(struct spdk_thread *thread) {
    if (thread == nullptr) {
        SPDK_ERRLOG("spdk_thread_exit(NULL)\n");
        return -EINVAL;
    }
    if (t_current_thread != thread) {
        SPDK_ERRLOG("spdk_thread_exit(%s) called from thread %s: call it on the thread itself\n",
                    thread->name, wrong_thread_name(t_current_thread));
        return -EINVAL;
    }
    if (thread->state.load(std::memory_order_relaxed) != kRunning) {
        return 0;
    }
    thread->exit_deadline = thread->now + kExitTimeoutSec * spdk_get_ticks_hz();
    thread->state.store(kExiting, std::memory_order_release);
    return 0;
}

bool spdk_thread_is_running(struct spdk_thread *thread) {
    return thread->state.load(std::memory_order_acquire) == kRunning;
}

bool spdk_thread_is_exited(struct spdk_thread *thread) {
    return thread->state.load(std::memory_order_acquire) == kExited;
}

void spdk_thread_destroy(struct spdk_thread *thread) {
    if (thread == nullptr) {
        return;
    }
    if (thread->state.load(std::memory_order_acquire) != kExited) {
        SPDK_ERRLOG("spdk_thread_destroy(%s): the thread has not exited\n", thread->name);
        return;
    }
    if (t_current_thread == thread) {
        t_current_thread = nullptr;
    }
    // As in SPDK, the app thread lives until spdk_thread_lib_fini.
    if (thread == thread_lib().app_thread.load(std::memory_order_acquire)) {
        return;
    }
    free_thread(thread);
}

void *spdk_thread_get_ctx(struct spdk_thread *thread) {
    if (thread == nullptr || thread_lib().ctx_sz == 0) {
        return nullptr;
    }
    return reinterpret_cast<char *>(thread) + thread_ctx_offset();
}

struct spdk_cpuset *spdk_thread_get_cpumask(struct spdk_thread *thread) {
    return &thread->cpumask;
}

int spdk_thread_set_cpumask(struct spdk_cpuset *cpumask) {
    ThreadLib &lib = thread_lib();
    if (lib.thread_op_supported_fn == nullptr ||
        !lib.thread_op_supported_fn(SPDK_THREAD_OP_RESCHED)) {
        SPDK_ERRLOG("the scheduler cannot move threads\n");
        return -ENOTSUP;
    }
    spdk_thread *thread = t_current_thread;
    if (thread == nullptr) {
        SPDK_ERRLOG("spdk_thread_set_cpumask outside of an spdk_thread\n");
        return -EINVAL;
    }
    spdk_cpuset_copy(&thread->cpumask, cpumask);
    return lib.thread_op_fn(thread, SPDK_THREAD_OP_RESCHED);
}

struct spdk_thread *spdk_thread_get_from_ctx(void *ctx) {
    if (ctx == nullptr) {
        return nullptr;
    }
    return reinterpret_cast<spdk_thread *>(static_cast<char *>(ctx) - thread_ctx_offset());
}

int spdk_thread_poll(struct spdk_thread *thread, uint32_t max_msgs, uint64_t now) {
    spdk_thread *orig = t_current_thread;
    t_current_thread = thread;
    if (now == 0) {
        now = spdk_get_ticks();
    }
    int rc = 0;
    const ThreadState state = thread->state.load(std::memory_order_relaxed);
    if (spdk_likely(state != kExited)) {
        if (spdk_unlikely(!thread->clock_started)) {
            start_clock(thread, now);
        }
        const uint64_t elapsed = now - thread->now;
        thread->now = now;
        rc = thread_poll(thread, max_msgs, now);
        if (rc > 0) {
            thread->stats.busy_tsc += elapsed;
        } else {
            thread->stats.idle_tsc += elapsed;
        }
        if (spdk_unlikely(thread->state.load(std::memory_order_acquire) == kExiting)) {
            thread_try_exit(thread, now);
        }
    }
    t_current_thread = orig;
    return rc;
}

uint64_t spdk_thread_next_poller_expiration(struct spdk_thread *thread) {
    const spdk_poller *first = thread->timed_pollers.head;
    return first != nullptr ? first->next_run_tick : 0;
}

int spdk_thread_has_active_pollers(struct spdk_thread *thread) {
    return thread->active_pollers.empty() ? 0 : 1;
}

bool spdk_thread_has_pollers(struct spdk_thread *thread) {
    return !thread->active_pollers.empty() || !thread->timed_pollers.empty() ||
           !thread->paused_pollers.empty();
}

bool spdk_thread_is_idle(struct spdk_thread *thread) {
    return ring_empty(thread) && !thread->overflow_pending.load(std::memory_order_acquire) &&
           thread->critical_msg.load(std::memory_order_acquire) == nullptr &&
           thread->active_pollers.empty() && thread->timed_pollers.empty();
}

uint32_t spdk_thread_get_count(void) {
    return thread_lib().thread_count.load(std::memory_order_relaxed);
}

struct spdk_thread *spdk_get_thread(void) {
    return t_current_thread;
}

const char *spdk_thread_get_name(const struct spdk_thread *thread) {
    return thread->name;
}

uint64_t spdk_thread_get_id(const struct spdk_thread *thread) {
    return thread->id;
}

struct spdk_thread *spdk_thread_get_by_id(uint64_t id) {
    ThreadLib &lib = thread_lib();
    std::lock_guard guard(lib.lock);
    for (spdk_thread *thread = lib.threads.head; thread != nullptr; thread = thread->list_next) {
        if (thread->id == id) {
            return thread;
        }
    }
    return nullptr;
}

int spdk_thread_get_stats(struct spdk_thread_stats *stats) {
    spdk_thread *thread = t_current_thread;
    if (thread == nullptr || stats == nullptr) {
        return -EINVAL;
    }
    *stats = thread->stats;
    return 0;
}

uint64_t spdk_thread_get_last_tsc(struct spdk_thread *thread) {
    if (thread == nullptr) {
        thread = t_current_thread;
    }
    return thread != nullptr ? thread->now : 0;
}

int spdk_thread_send_msg(const struct spdk_thread *cthread, spdk_msg_fn fn, void *ctx) {
    auto *thread = const_cast<spdk_thread *>(cthread);
    if (spdk_unlikely(thread == nullptr || fn == nullptr)) {
        SPDK_ERRLOG("spdk_thread_send_msg needs a thread and a function\n");
        return -EINVAL;
    }
    if (spdk_unlikely(thread->state.load(std::memory_order_acquire) == kExited)) {
        SPDK_ERRLOG("thread %s has exited: message refused\n", thread->name);
        return -EIO;
    }
    if (spdk_unlikely(!ring_push(thread, fn, ctx))) {
        if (!thread->full_logged.exchange(true, std::memory_order_relaxed)) {
            SPDK_ERRLOG("the message queue of thread %s is full (-ENOMEM; logged once)\n",
                        thread->name);
        }
        return -ENOMEM;
    }
    return 0;
}

int spdk_thread_send_critical_msg(struct spdk_thread *thread, spdk_msg_fn fn) {
    if (thread == nullptr || fn == nullptr ||
        thread->state.load(std::memory_order_acquire) == kExited) {
        return -EIO;
    }
    spdk_msg_fn expected = nullptr;
    if (!thread->critical_msg.compare_exchange_strong(expected, fn, std::memory_order_acq_rel)) {
        return -EIO;  // one is already pending
    }
    return 0;
}

}  // extern "C"

// --- poller counts (thread_get_stats) ----------------------------------------------

namespace spdk_embedded {

PollerCounts thread_poller_counts(spdk_thread *thread) {
    PollerCounts counts;
    for (spdk_poller *p = thread->active_pollers.head; p != nullptr; p = p->next) {
        ++counts.active;
    }
    for (spdk_poller *p = thread->timed_pollers.head; p != nullptr; p = p->next) {
        ++counts.timed;
    }
    for (spdk_poller *p = thread->paused_pollers.head; p != nullptr; p = p->next) {
        ++counts.paused;
    }
    return counts;
}

}  // namespace spdk_embedded

// --- spdk_for_each_thread ----------------------------------------------------------

namespace {

struct ThreadWalk {
    spdk_msg_fn fn;
    void *ctx;
    spdk_msg_fn cpl;
    spdk_thread *orig;
};

void walk_done(void *arg) {
    auto *walk = static_cast<ThreadWalk *>(arg);
    --walk->orig->for_each_count;
    if (walk->cpl != nullptr) {
        walk->cpl(walk->ctx);
    }
    delete walk;
}

void walk_step(void *arg);

// Sends the walk to the first running thread from `from` on, or home when none.
void walk_send_from(ThreadWalk *walk, spdk_thread *from) {
    ThreadLib &lib = thread_lib();
    for (;;) {
        spdk_thread *target;
        {
            std::lock_guard guard(lib.lock);
            target = from;
            while (target != nullptr && target->state.load(std::memory_order_acquire) != kRunning) {
                target = target->list_next;
            }
            from = target != nullptr ? target->list_next : nullptr;
        }
        if (target == nullptr) {
            internal_send(walk->orig, walk_done, walk);
            return;
        }
        if (internal_send(target, walk_step, walk)) {
            return;
        }
    }
}

void walk_step(void *arg) {
    auto *walk = static_cast<ThreadWalk *>(arg);
    walk->fn(walk->ctx);
    spdk_thread *next;
    {
        std::lock_guard guard(thread_lib().lock);
        next = t_current_thread->list_next;
    }
    walk_send_from(walk, next);
}

}  // namespace

extern "C" void spdk_for_each_thread(spdk_msg_fn fn, void *ctx, spdk_msg_fn cpl) {
    spdk_thread *orig = t_current_thread;
    if (orig == nullptr) {
        SPDK_ERRLOG("spdk_for_each_thread outside of an spdk_thread\n");
        if (cpl != nullptr) {
            cpl(ctx);
        }
        return;
    }
    auto *walk = new ThreadWalk{fn, ctx, cpl, orig};
    ++orig->for_each_count;
    spdk_thread *first;
    {
        std::lock_guard guard(thread_lib().lock);
        first = thread_lib().threads.head;
    }
    walk_send_from(walk, first);
}

// --- pollers -------------------------------------------------------------------------

namespace {

spdk_poller *poller_register(spdk_poller_fn fn, void *arg, uint64_t period_us, const char *name) {
    spdk_thread *thread = t_current_thread;
    if (thread == nullptr) {
        SPDK_ERRLOG("poller registered outside of an spdk_thread\n");
        return nullptr;
    }
    if (fn == nullptr) {
        SPDK_ERRLOG("poller registered without a function\n");
        return nullptr;
    }
    if (thread->state.load(std::memory_order_relaxed) == kExited) {
        SPDK_ERRLOG("thread %s has exited: poller refused\n", thread->name);
        return nullptr;
    }
    auto *poller = new (std::nothrow) spdk_poller{};
    if (poller == nullptr) {
        SPDK_ERRLOG("no memory for a poller\n");
        return nullptr;
    }
    if (name != nullptr) {
        std::snprintf(poller->name, sizeof(poller->name), "%s", name);
    } else {
        std::snprintf(poller->name, sizeof(poller->name), "%p",
                      reinterpret_cast<void *>(reinterpret_cast<uintptr_t>(fn)));
    }
    poller->fn = fn;
    poller->arg = arg;
    poller->thread = thread;
    poller->state = PollerState::kWaiting;
    poller->id = thread->next_poller_id++;
    poller->period_ticks = us_to_ticks(period_us);
    poller_schedule(thread, poller);
    return poller;
}

// Logs and returns false when the poller may not be touched from here.
bool poller_on_own_thread(const char *func, spdk_poller *poller) {
    spdk_thread *thread = t_current_thread;
    if (thread == poller->thread) {
        return true;
    }
    SPDK_ERRLOG("%s(%s) called from thread %s; the poller belongs to thread %s\n", func,
                poller->name, wrong_thread_name(thread), poller->thread->name);
    return false;
}

}  // namespace

extern "C" {

struct spdk_poller *spdk_poller_register(spdk_poller_fn fn, void *arg,
                                         uint64_t period_microseconds) {
    return poller_register(fn, arg, period_microseconds, nullptr);
}

struct spdk_poller *spdk_poller_register_named(spdk_poller_fn fn, void *arg,
                                               uint64_t period_microseconds, const char *name) {
    return poller_register(fn, arg, period_microseconds, name);
}

void spdk_poller_unregister(struct spdk_poller **ppoller) {
    if (ppoller == nullptr || *ppoller == nullptr) {
        return;
    }
    spdk_poller *poller = *ppoller;
    if (!poller_on_own_thread(__func__, poller)) {
        return;
    }
    *ppoller = nullptr;
    if (poller->state == PollerState::kUnregistered) {
        SPDK_ERRLOG("poller %s unregistered twice\n", poller->name);
        return;
    }
    spdk_thread *thread = poller->thread;
    if (poller->state == PollerState::kPaused) {
        // The next poll frees it from the active list.
        thread->paused_pollers.remove(poller);
        thread->active_pollers.push_back(poller);
        poller->period_ticks = 0;
    } else if (poller->period_ticks != 0 && poller->state != PollerState::kRunning) {
        // A waiting timer leaves the timer list now rather than when it would be due
        // (SPDK keeps it there until then), so that the thread can become idle.
        thread->timed_pollers.remove(poller);
        thread->active_pollers.push_back(poller);
        poller->period_ticks = 0;
    }
    poller->state = PollerState::kUnregistered;
}

void spdk_poller_pause(struct spdk_poller *poller) {
    if (poller == nullptr || !poller_on_own_thread(__func__, poller)) {
        return;
    }
    if (poller->state == PollerState::kWaiting || poller->state == PollerState::kRunning) {
        poller->state = PollerState::kPausing;
    }
}

void spdk_poller_resume(struct spdk_poller *poller) {
    if (poller == nullptr || !poller_on_own_thread(__func__, poller)) {
        return;
    }
    if (poller->state == PollerState::kPaused) {
        poller->thread->paused_pollers.remove(poller);
        poller_schedule(poller->thread, poller);
        poller->state = PollerState::kWaiting;
    } else if (poller->state == PollerState::kPausing) {
        poller->state = PollerState::kWaiting;
    }
}

const char *spdk_poller_get_name(struct spdk_poller *poller) {
    return poller->name;
}

uint64_t spdk_poller_get_id(struct spdk_poller *poller) {
    return poller->id;
}

const char *spdk_poller_get_state_str(struct spdk_poller *poller) {
    switch (poller->state) {
        case PollerState::kWaiting:
            return "waiting";
        case PollerState::kRunning:
            return "running";
        case PollerState::kUnregistered:
            return "unregistered";
        case PollerState::kPausing:
            return "pausing";
        case PollerState::kPaused:
            return "paused";
    }
    return nullptr;
}

uint64_t spdk_poller_get_period_ticks(struct spdk_poller *poller) {
    return poller->period_ticks;
}

// --- interrupt mode (not supported: threads are always polled) --------------------

void spdk_thread_set_interrupt_mode(bool enable_interrupt) {
    if (enable_interrupt) {
        SPDK_ERRLOG("interrupt mode is not supported by the embedded runtime\n");
    }
}

int spdk_interrupt_mode_enable(void) {
    SPDK_ERRLOG("interrupt mode is not supported by the embedded runtime\n");
    return -ENOTSUP;
}

bool spdk_interrupt_mode_is_enabled(void) {
    return false;
}

void spdk_poller_register_interrupt(struct spdk_poller * /*poller*/,
                                    spdk_poller_set_interrupt_mode_cb /*cb_fn*/,
                                    void * /*cb_arg*/) {}

// --- spinlocks ---------------------------------------------------------------------------

void spdk_spin_init(struct spdk_spinlock *sspin) {
    pthread_spin_init(&sspin->spinlock, PTHREAD_PROCESS_PRIVATE);
    __atomic_store_n(&sspin->thread, nullptr, __ATOMIC_RELAXED);
    sspin->internal = nullptr;
    sspin->initialized = true;
    sspin->destroyed = false;
}

void spdk_spin_destroy(struct spdk_spinlock *sspin) {
    if (__atomic_load_n(&sspin->thread, __ATOMIC_RELAXED) != nullptr) {
        SPDK_ERRLOG("spinlock destroyed while held\n");
    }
    pthread_spin_destroy(&sspin->spinlock);
    sspin->destroyed = true;
}

void spdk_spin_lock(struct spdk_spinlock *sspin) {
    spdk_thread *thread = t_current_thread;
    if (thread != nullptr && __atomic_load_n(&sspin->thread, __ATOMIC_RELAXED) == thread) {
        SPDK_ERRLOG("thread %s takes a spinlock it already holds\n", thread->name);
        abort();
    }
    pthread_spin_lock(&sspin->spinlock);
    __atomic_store_n(&sspin->thread, thread, __ATOMIC_RELAXED);
}

void spdk_spin_unlock(struct spdk_spinlock *sspin) {
    __atomic_store_n(&sspin->thread, nullptr, __ATOMIC_RELAXED);
    pthread_spin_unlock(&sspin->spinlock);
}

bool spdk_spin_held(struct spdk_spinlock *sspin) {
    spdk_thread *thread = t_current_thread;
    return thread != nullptr && __atomic_load_n(&sspin->thread, __ATOMIC_RELAXED) == thread;
}

}  // extern "C"
