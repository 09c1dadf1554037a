// Reactors: one OS thread per core of the core mask, each busy-polling the
// spdk_threads placed on it. A thread is placed, round robin, on a reactor whose
// core is in the thread's cpumask. Reactors poll without pause, as SPDK's do; in
// interrupt mode (the app's interrupt_mode), a reactor whose threads are all idle
// for a while naps for a few microseconds instead (never past its next timer), the
// runtime's stand-in for SPDK's event file descriptors. A busy reactor never sleeps.
//
// Events come from a pool with a cache per OS thread (SPDK's mempool has one per
// core) and reach their reactor through a bounded lock-free ring (many producers,
// one consumer), which the reactor drains 8 at a time, as SPDK's does. What the
// producers write (the ring's tail) and what the reactor writes (its head, its
// threads and counters) live on separate cache lines, so that the two cores of a
// cross-core hop move only the slots and the events between them.
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "env/env_internal.hpp"
#include "reactor.hpp"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/log.h"
#include "spdk/thread.h"

// A cache line each (as a DPDK mempool's objects are): an event written on one core
// and run on another never shares its line with one going the other way.
struct alignas(64) spdk_event {
    uint32_t lcore;
    spdk_event_fn fn;
    void *arg1;
    void *arg2;
    spdk_event *next;  // in a free list or the overflow queue
};

namespace spdk_embedded {
namespace {

// Idle rounds before a reactor starts to nap, and the length of a nap.
constexpr uint32_t kIdleRoundsBeforeNap = 1000;
constexpr uint64_t kNapUs = 20;
constexpr unsigned long kTimerSlackNs = 1000;
// Events run per round of the reactor loop at most (SPDK's SPDK_EVENT_BATCH_SIZE).
constexpr uint32_t kEventBatch = 8;
// Capacity of a reactor's event ring (SPDK's) and of the event pool (SPDK's
// event mempool); a full ring spills over to a locked queue rather than dropping.
constexpr uint64_t kEventRingSize = 65536;
constexpr size_t kMaxEvents = 262144;
// The pool grows by chunks; a thread's cache refills and spills in batches.
constexpr size_t kEventChunk = 1024;
constexpr uint32_t kCacheRefill = 64;
constexpr uint32_t kCacheMax = 512;
constexpr size_t kCacheLine = 64;

// --- the event pool ------------------------------------------------------------

// Every event ever made lives in a chunk owned by the pool until the process
// ends, so an event in a thread's cache never dangles, across app restarts too.
struct EventPool {
    std::mutex lock;
    spdk_event *free_head = nullptr;
    size_t made = 0;
    std::vector<std::unique_ptr<spdk_event[]>> chunks;
};

EventPool &event_pool() {
    static EventPool pool;
    return pool;
}

struct EventCache {
    spdk_event *head;
    uint32_t count;
    bool flush_registered;
};

constinit thread_local EventCache t_event_cache
    __attribute__((tls_model("initial-exec"))) = {nullptr, 0, false};

// Gives every event of the calling thread's cache back to the pool.
void cache_flush_all() {
    EventCache &cache = t_event_cache;
    if (cache.head == nullptr) {
        return;
    }
    spdk_event *last = cache.head;
    while (last->next != nullptr) {
        last = last->next;
    }
    EventPool &pool = event_pool();
    std::lock_guard guard(pool.lock);
    last->next = pool.free_head;
    pool.free_head = cache.head;
    cache.head = nullptr;
    cache.count = 0;
}

// Returns the cache of a thread that ends to the pool (registered on first refill,
// so that threads that never allocate an event pay nothing).
struct CacheFlusher {
    ~CacheFlusher() { cache_flush_all(); }
};

[[gnu::noinline]] spdk_event *cache_refill() {
    EventCache &cache = t_event_cache;
    EventPool &pool = event_pool();  // made before the flusher, so destroyed after it
    if (!cache.flush_registered) {
        cache.flush_registered = true;
        static thread_local CacheFlusher flusher;
        (void)flusher;
    }
    std::lock_guard guard(pool.lock);
    if (pool.free_head == nullptr && pool.made < kMaxEvents) {
        auto chunk = std::unique_ptr<spdk_event[]>(new (std::nothrow) spdk_event[kEventChunk]);
        if (chunk != nullptr) {
            for (size_t i = 0; i < kEventChunk; ++i) {
                chunk[i].next = i + 1 < kEventChunk ? &chunk[i + 1] : nullptr;
            }
            pool.free_head = &chunk[0];
            pool.made += kEventChunk;
            pool.chunks.push_back(std::move(chunk));
        }
    }
    uint32_t n = 0;
    while (n < kCacheRefill && pool.free_head != nullptr) {
        spdk_event *event = pool.free_head;
        pool.free_head = event->next;
        event->next = cache.head;
        cache.head = event;
        ++n;
    }
    cache.count += n;
    spdk_event *event = cache.head;
    if (event != nullptr) {
        cache.head = event->next;
        --cache.count;
    }
    return event;
}

[[gnu::noinline]] void cache_spill() {
    EventCache &cache = t_event_cache;
    // Keeps the newest half (warm in this core's cache), gives the rest back.
    spdk_event *last_kept = cache.head;
    for (uint32_t i = 1; i < kCacheMax / 2; ++i) {
        last_kept = last_kept->next;
    }
    spdk_event *spill = last_kept->next;
    last_kept->next = nullptr;
    cache.count = kCacheMax / 2;
    spdk_event *last = spill;
    while (last->next != nullptr) {
        last = last->next;
    }
    EventPool &pool = event_pool();
    std::lock_guard guard(pool.lock);
    last->next = pool.free_head;
    pool.free_head = spill;
}

inline spdk_event *event_get() {
    EventCache &cache = t_event_cache;
    spdk_event *event = cache.head;
    if (spdk_unlikely(event == nullptr)) {
        return cache_refill();
    }
    cache.head = event->next;
    --cache.count;
    return event;
}

inline void event_put(spdk_event *event) {
    EventCache &cache = t_event_cache;
    event->next = cache.head;
    cache.head = event;
    if (spdk_unlikely(++cache.count > kCacheMax)) {
        cache_spill();
    }
}

// --- the reactors ----------------------------------------------------------------

enum class State { kUninitialized, kInitialized, kRunning, kExiting };

// The scheduler's context in each spdk_thread.
struct ThreadCtx {
    uint32_t lcore;
    bool resched;
    uint64_t tsc_start;  // when it was placed on its reactor
};

struct Entry {
    spdk_thread *thread;
    ThreadCtx *ctx;
};

// One slot of a reactor's event ring; seq counts laps as in the message ring, so a
// zero-filled ring is empty.
struct EventSlot {
    uint64_t seq;
    spdk_event *event;
};

struct alignas(kCacheLine) Reactor {
    // Read by producers, written once.
    uint32_t core = 0;
    EventSlot *slots = nullptr;
    uint64_t mask = 0;
    std::atomic<bool> overflow_pending{false};
    // Claimed by producers.
    alignas(kCacheLine) std::atomic<uint64_t> tail{0};
    // Everything below belongs to the reactor's OS thread, but for the overflow.
    alignas(kCacheLine) uint64_t head = 0;
    std::vector<Entry> threads;
    uint64_t busy_tsc = 0;
    uint64_t idle_tsc = 0;
    uint64_t tsc_last = 0;
    // A full ring's spill-over (rare), in order.
    alignas(kCacheLine) std::mutex overflow_lock;
    spdk_event *overflow_head = nullptr;
    spdk_event *overflow_tail = nullptr;

    Reactor() = default;
    Reactor(const Reactor &) = delete;
    Reactor &operator=(const Reactor &) = delete;
    ~Reactor() { std::free(slots); }
};

struct Reactors {
    std::vector<std::unique_ptr<Reactor>> by_core;  // indexed by core; null off the mask
    spdk_cpuset cores{};
    uint32_t main_core = 0;
    std::atomic<State> state{State::kUninitialized};
    std::mutex sched_lock;
    uint32_t next_core = 0;
    std::atomic<bool> shutdown_requested{false};
    std::atomic<bool> napping{false};
    std::atomic<ShutdownHook> shutdown_hook{nullptr};
};

// Constant-initialized: reaching it costs no guard on the event path.
constinit Reactors g_reactors;

inline Reactors &reactors() {
    return g_reactors;
}

Reactor *reactor_of(uint32_t core) {
    Reactors &r = reactors();
    if (core >= r.by_core.size()) {
        return nullptr;
    }
    return r.by_core[core].get();
}

bool ring_push(Reactor *reactor, spdk_event *event) {
    EventSlot *slots = reactor->slots;
    const uint64_t mask = reactor->mask;
    uint64_t pos = reactor->tail.load(std::memory_order_relaxed);
    for (;;) {
        EventSlot &slot = slots[pos & mask];
        const uint64_t lap = pos & ~mask;
        const uint64_t seq = std::atomic_ref<uint64_t>(slot.seq).load(std::memory_order_acquire);
        const auto diff = static_cast<int64_t>(seq - lap);
        if (diff == 0) {
            if (reactor->tail.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                slot.event = event;
                std::atomic_ref<uint64_t>(slot.seq).store(lap + 1, std::memory_order_release);
                return true;
            }
        } else if (diff < 0) {
            return false;  // the slot still holds last lap's event: full
        } else {
            pos = reactor->tail.load(std::memory_order_relaxed);
        }
    }
}

uint32_t ring_pop(Reactor *reactor, spdk_event **out, uint32_t max) {
    EventSlot *slots = reactor->slots;
    const uint64_t mask = reactor->mask;
    uint64_t head = reactor->head;
    uint32_t n = 0;
    while (n < max) {
        EventSlot &slot = slots[head & mask];
        const uint64_t lap = head & ~mask;
        if (std::atomic_ref<uint64_t>(slot.seq).load(std::memory_order_acquire) != lap + 1) {
            break;
        }
        out[n++] = slot.event;
        std::atomic_ref<uint64_t>(slot.seq).store(lap + mask + 1, std::memory_order_release);
        ++head;
    }
    reactor->head = head;
    return n;
}

bool ring_has_events(const Reactor *reactor) {
    const EventSlot &slot = reactor->slots[reactor->head & reactor->mask];
    const uint64_t lap = reactor->head & ~reactor->mask;
    return std::atomic_ref<const uint64_t>(slot.seq).load(std::memory_order_acquire) == lap + 1 ||
           reactor->overflow_pending.load(std::memory_order_acquire);
}

void post_event(Reactor *reactor, spdk_event *event) {
    // Behind a spill-over, keep to the side queue so that order is kept.
    if (spdk_likely(!reactor->overflow_pending.load(std::memory_order_acquire)) &&
        spdk_likely(ring_push(reactor, event))) {
        return;
    }
    event->next = nullptr;
    std::lock_guard guard(reactor->overflow_lock);
    if (reactor->overflow_tail != nullptr) {
        reactor->overflow_tail->next = event;
    } else {
        reactor->overflow_head = event;
    }
    reactor->overflow_tail = event;
    reactor->overflow_pending.store(true, std::memory_order_release);
}

[[gnu::noinline]] uint32_t run_overflow(Reactor *reactor) {
    spdk_event *list;
    {
        std::lock_guard guard(reactor->overflow_lock);
        list = reactor->overflow_head;
        reactor->overflow_head = nullptr;
        reactor->overflow_tail = nullptr;
        reactor->overflow_pending.store(false, std::memory_order_relaxed);
    }
    uint32_t n = 0;
    while (list != nullptr) {
        spdk_event *next = list->next;
        list->fn(list->arg1, list->arg2);
        event_put(list);
        list = next;
        ++n;
    }
    return n;
}

// Runs up to a batch of events; the spill-over only once the ring is drained, as
// everything in it was queued before the spill-over began.
uint32_t run_events(Reactor *reactor) {
    spdk_event *batch[kEventBatch];
    const uint32_t count = ring_pop(reactor, batch, kEventBatch);
    for (uint32_t i = 0; i < count; ++i) {
        spdk_event *event = batch[i];
        event->fn(event->arg1, event->arg2);
        event_put(event);
    }
    if (spdk_unlikely(count < kEventBatch) &&
        spdk_unlikely(reactor->overflow_pending.load(std::memory_order_acquire))) {
        return count + run_overflow(reactor);
    }
    return count;
}

// Gives the events still queued at the end back to the pool, unrun.
void drop_events(Reactor *reactor) {
    spdk_event *batch[kEventBatch];
    while (const uint32_t count = ring_pop(reactor, batch, kEventBatch)) {
        for (uint32_t i = 0; i < count; ++i) {
            event_put(batch[i]);
        }
    }
    std::lock_guard guard(reactor->overflow_lock);
    for (spdk_event *event = reactor->overflow_head; event != nullptr;) {
        spdk_event *next = event->next;
        event_put(event);
        event = next;
    }
    reactor->overflow_head = nullptr;
    reactor->overflow_tail = nullptr;
    reactor->overflow_pending.store(false, std::memory_order_relaxed);
}

void place_thread(void *arg1, void * /*arg2*/) {
    auto *thread = static_cast<spdk_thread *>(arg1);
    Reactor *reactor = reactor_of(spdk_env_get_current_core());
    auto *ctx = static_cast<ThreadCtx *>(spdk_thread_get_ctx(thread));
    ctx->tsc_start = spdk_get_ticks();
    reactor->threads.push_back(Entry{thread, ctx});
}

// The next core, round robin, that is in mask (any core when none is).
uint32_t pick_core(const spdk_cpuset *mask) {
    Reactors &r = reactors();
    std::lock_guard guard(r.sched_lock);
    const uint32_t count = static_cast<uint32_t>(r.by_core.size());
    uint32_t fallback = UINT32_MAX;
    for (uint32_t i = 0; i < count; ++i) {
        const uint32_t core = (r.next_core + i) % count;
        if (r.by_core[core] == nullptr) {
            continue;
        }
        if (fallback == UINT32_MAX) {
            fallback = core;
        }
        if (spdk_cpuset_get_cpu(mask, core)) {
            r.next_core = (core + 1) % count;
            return core;
        }
    }
    r.next_core = (fallback + 1) % count;
    return fallback;
}

int schedule_thread(spdk_thread *thread) {
    auto *ctx = static_cast<ThreadCtx *>(spdk_thread_get_ctx(thread));
    const uint32_t core = pick_core(spdk_thread_get_cpumask(thread));
    Reactor *reactor = reactor_of(core);
    if (reactor == nullptr) {
        SPDK_ERRLOG("no reactor to run thread %s\n", spdk_thread_get_name(thread));
        return -ENODEV;
    }
    spdk_event *event = event_get();
    if (event == nullptr) {
        SPDK_ERRLOG("no event left to place thread %s\n", spdk_thread_get_name(thread));
        return -ENOMEM;
    }
    ctx->lcore = core;
    ctx->resched = false;
    *event = spdk_event{core, place_thread, thread, nullptr, nullptr};
    post_event(reactor, event);
    return 0;
}

int thread_op(spdk_thread *thread, spdk_thread_op op) {
    switch (op) {
        case SPDK_THREAD_OP_NEW:
            return schedule_thread(thread);
        case SPDK_THREAD_OP_RESCHED:
            // The reactor moves it after the current poll.
            static_cast<ThreadCtx *>(spdk_thread_get_ctx(thread))->resched = true;
            return 0;
    }
    return -ENOTSUP;
}

bool thread_op_supported(spdk_thread_op op) {
    return op == SPDK_THREAD_OP_NEW || op == SPDK_THREAD_OP_RESCHED;
}

bool run_threads(Reactor *reactor) {
    bool busy = false;
    for (size_t i = 0; i < reactor->threads.size();) {
        const Entry entry = reactor->threads[i];
        const uint64_t now = spdk_get_ticks();
        const int rc = spdk_thread_poll(entry.thread, 0, now);
        if (rc > 0) {
            busy = true;
            reactor->busy_tsc += now - reactor->tsc_last;
        } else {
            reactor->idle_tsc += now - reactor->tsc_last;
        }
        reactor->tsc_last = now;
        if (spdk_unlikely(spdk_thread_is_exited(entry.thread))) {
            reactor->threads.erase(reactor->threads.begin() + static_cast<ptrdiff_t>(i));
            spdk_thread_destroy(entry.thread);
            continue;
        }
        if (spdk_unlikely(entry.ctx->resched)) {
            reactor->threads.erase(reactor->threads.begin() + static_cast<ptrdiff_t>(i));
            schedule_thread(entry.thread);
            continue;
        }
        ++i;
    }
    return busy;
}

// Sleeps a little, but not past the earliest timer of the reactor's threads.
void nap(Reactor *reactor) {
    if (ring_has_events(reactor)) {
        return;
    }
    const uint64_t now = spdk_get_ticks();
    const uint64_t hz = spdk_get_ticks_hz();
    uint64_t sleep_ticks = kNapUs * hz / 1'000'000;
    for (const Entry &entry : reactor->threads) {
        const uint64_t due = spdk_thread_next_poller_expiration(entry.thread);
        if (due != 0) {
            if (due <= now) {
                return;
            }
            if (due - now < sleep_ticks) {
                sleep_ticks = due - now;
            }
        }
    }
    const uint64_t ns = sleep_ticks * 1'000'000'000 / hz;
    if (ns < 1000) {
        return;
    }
    timespec ts{};
    ts.tv_nsec = static_cast<long>(ns);
    nanosleep(&ts, nullptr);
}

void exit_remaining_threads(Reactor *reactor) {
    for (const Entry &entry : reactor->threads) {
        if (spdk_thread_is_running(entry.thread)) {
            if (!spdk_thread_is_app_thread(entry.thread)) {
                SPDK_WARNLOG(
                    "thread %s was still running when the application stopped; "
                    "exiting it\n",
                    spdk_thread_get_name(entry.thread));
            }
            spdk_set_thread(entry.thread);
            spdk_thread_exit(entry.thread);
        }
    }
    spdk_set_thread(nullptr);
}

int reactor_run(void *arg) {
    auto *reactor = static_cast<Reactor *>(arg);
    Reactors &r = reactors();
    set_current_core(reactor->core);
    char name[16];
    std::snprintf(name, sizeof(name), "reactor_%u", reactor->core);
    pthread_setname_np(pthread_self(), name);
    const int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    prctl(PR_SET_TIMERSLACK, kTimerSlackNs, 0, 0, 0);
    SPDK_NOTICELOG("Reactor started on core %u\n", reactor->core);

    reactor->tsc_last = spdk_get_ticks();
    const bool is_main = reactor->core == r.main_core;
    const bool napping = r.napping.load(std::memory_order_relaxed);
    uint32_t idle_rounds = 0;
    while (r.state.load(std::memory_order_acquire) == State::kRunning) {
        bool busy = run_events(reactor) != 0;
        busy |= run_threads(reactor);
        if (is_main && spdk_unlikely(r.shutdown_requested.load(std::memory_order_relaxed))) {
            r.shutdown_requested.store(false, std::memory_order_relaxed);
            if (ShutdownHook hook = r.shutdown_hook.load(); hook != nullptr) {
                hook();
            }
        }
        if (busy) {
            idle_rounds = 0;
        } else if (napping && ++idle_rounds >= kIdleRoundsBeforeNap) {
            nap(reactor);
        }
    }

    // Stopping: every thread still here exits, and is polled until it has.
    idle_rounds = 0;
    for (;;) {
        run_events(reactor);
        exit_remaining_threads(reactor);
        if (reactor->threads.empty()) {
            break;
        }
        if (run_threads(reactor)) {
            idle_rounds = 0;
        } else if (napping && ++idle_rounds >= kIdleRoundsBeforeNap) {
            nap(reactor);
        }
    }
    spdk_set_thread(nullptr);
    if (old_slack > 0) {
        prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(old_slack), 0, 0, 0);
    }
    return 0;
}

// reactors_for_each's walk: one event per reactor, then one back to the caller's.
struct ForEachReactor {
    ReactorFn fn;
    void *ctx;
    void (*done)(void *);
    uint32_t origin;
};

void for_each_done(void *arg1, void * /*arg2*/) {
    auto *walk = static_cast<ForEachReactor *>(arg1);
    walk->done(walk->ctx);
    delete walk;
}

// Posts fn(arg1) to the reactor of core; runs it here when no event is left.
void post_to(uint32_t core, spdk_event_fn fn, void *arg1) {
    spdk_event *event = event_get();
    Reactor *reactor = reactor_of(core);
    if (event == nullptr || reactor == nullptr) {
        if (event != nullptr) {
            event_put(event);
        }
        fn(arg1, nullptr);
        return;
    }
    *event = spdk_event{core, fn, arg1, nullptr, nullptr};
    post_event(reactor, event);
}

void for_each_step(void *arg1, void * /*arg2*/) {
    auto *walk = static_cast<ForEachReactor *>(arg1);
    const uint32_t core = spdk_env_get_current_core();
    Reactor *reactor = reactor_of(core);
    if (reactor != nullptr) {
        ReactorView view;
        view.lcore = core;
        view.tid = static_cast<uint64_t>(syscall(SYS_gettid));
        view.busy_tsc = reactor->busy_tsc;
        view.idle_tsc = reactor->idle_tsc;
        view.in_interrupt = reactors().napping.load(std::memory_order_relaxed);
        for (const Entry &entry : reactor->threads) {
            view.threads.emplace_back(entry.thread, entry.ctx->tsc_start);
        }
        walk->fn(view, walk->ctx);
    }
    Reactors &r = reactors();
    for (uint32_t next = core + 1; next < r.by_core.size(); ++next) {
        if (r.by_core[next] != nullptr) {
            post_to(next, for_each_step, walk);
            return;
        }
    }
    post_to(walk->origin, for_each_done, walk);
}

}  // namespace

void reactors_for_each(ReactorFn fn, void *ctx, void (*done)(void *ctx)) {
    Reactors &r = reactors();
    auto *walk = new ForEachReactor{fn, ctx, done, spdk_env_get_current_core()};
    for (uint32_t core = 0; core < r.by_core.size(); ++core) {
        if (r.by_core[core] != nullptr) {
            post_to(core, for_each_step, walk);
            return;
        }
    }
    post_to(walk->origin, for_each_done, walk);
}

int reactors_init(size_t msg_mempool_size) {
    Reactors &r = reactors();
    if (r.state.load() != State::kUninitialized) {
        SPDK_ERRLOG("the reactors are already initialized\n");
        return -EALREADY;
    }
    const int rc = spdk_thread_lib_init_ext(thread_op, thread_op_supported, sizeof(ThreadCtx),
                                            msg_mempool_size);
    if (rc != 0) {
        return rc;
    }
    spdk_cpuset_zero(&r.cores);
    r.by_core.clear();
    r.by_core.resize(spdk_env_get_last_core() + 1);
    uint32_t core;
    SPDK_ENV_FOREACH_CORE(core) {
        auto reactor = std::make_unique<Reactor>();
        reactor->slots = static_cast<EventSlot *>(std::calloc(kEventRingSize, sizeof(EventSlot)));
        if (reactor->slots == nullptr) {
            SPDK_ERRLOG("no memory for the event ring of core %u\n", core);
            r.by_core.clear();
            spdk_thread_lib_fini();
            return -ENOMEM;
        }
        reactor->mask = kEventRingSize - 1;
        reactor->core = core;
        r.by_core[core] = std::move(reactor);
        spdk_cpuset_set_cpu(&r.cores, core, true);
    }
    r.main_core = spdk_env_get_current_core();
    if (reactor_of(r.main_core) == nullptr) {
        r.main_core = spdk_env_get_main_core();
    }
    r.next_core = spdk_env_get_first_core();
    r.shutdown_requested.store(false);
    r.state.store(State::kInitialized);
    return 0;
}

void reactors_start() {
    Reactors &r = reactors();
    r.state.store(State::kRunning, std::memory_order_release);
    for (const auto &reactor : r.by_core) {
        if (reactor == nullptr || reactor->core == r.main_core) {
            continue;
        }
        const int rc = spdk_env_thread_launch_pinned(reactor->core, reactor_run, reactor.get());
        if (rc != 0) {
            SPDK_ERRLOG("could not start the reactor of core %u (%d)\n", reactor->core, rc);
            r.state.store(State::kExiting, std::memory_order_release);
            break;
        }
    }
    // The other reactors are pinned to their cores; the main one is too, or the
    // kernel may place it on another reactor's core, where the two take turns by
    // time slices and every cross-core event waits for one. A single reactor is
    // left where it is (nothing of the app competes with it for a core).
    cpu_set_t previous;
    const bool pinned =
        spdk_cpuset_count(&r.cores) > 1 && pin_calling_thread(r.main_core, &previous);
    reactor_run(reactor_of(r.main_core));
    spdk_env_thread_wait_all();
    if (pinned) {
        (void)pthread_setaffinity_np(pthread_self(), sizeof(previous), &previous);
    }
    r.state.store(State::kInitialized, std::memory_order_release);
}

void reactors_stop() {
    State expected = State::kRunning;
    reactors().state.compare_exchange_strong(expected, State::kExiting, std::memory_order_acq_rel);
}

void reactors_fini() {
    Reactors &r = reactors();
    if (r.state.load() == State::kUninitialized) {
        return;
    }
    spdk_thread_lib_fini();
    for (auto &reactor : r.by_core) {
        if (reactor != nullptr) {
            drop_events(reactor.get());
        }
    }
    r.by_core.clear();
    spdk_cpuset_zero(&r.cores);
    r.state.store(State::kUninitialized);
}

bool reactors_initialized() {
    return reactors().state.load() != State::kUninitialized;
}

const spdk_cpuset *reactors_core_mask() {
    return &reactors().cores;
}

void reactors_request_shutdown() {
    reactors().shutdown_requested.store(true, std::memory_order_relaxed);
}

void reactors_set_napping(bool napping) {
    reactors().napping.store(napping, std::memory_order_relaxed);
}

void reactors_set_shutdown_hook(ShutdownHook hook) {
    reactors().shutdown_hook.store(hook);
}

}  // namespace spdk_embedded

extern "C" {

struct spdk_event *spdk_event_allocate(uint32_t lcore, spdk_event_fn fn, void *arg1, void *arg2) {
    if (spdk_embedded::reactor_of(lcore) == nullptr) {
        SPDK_ERRLOG("no reactor on core %u\n", lcore);
        return nullptr;
    }
    spdk_event *event = spdk_embedded::event_get();
    if (spdk_unlikely(event == nullptr)) {
        SPDK_ERRLOG("no event left in the pool\n");
        return nullptr;
    }
    event->lcore = lcore;
    event->fn = fn;
    event->arg1 = arg1;
    event->arg2 = arg2;
    return event;
}

void spdk_event_call(struct spdk_event *event) {
    spdk_embedded::Reactor *reactor = spdk_embedded::reactor_of(event->lcore);
    if (reactor == nullptr) {
        SPDK_ERRLOG("no reactor on core %u: event dropped\n", event->lcore);
        spdk_embedded::event_put(event);
        return;
    }
    spdk_embedded::post_event(reactor, event);
}

}  // extern "C"
