// Reactors: one OS thread per core of the core mask, each busy-polling the
// spdk_threads placed on it. A thread is placed, round robin, on a reactor whose
// core is in the thread's cpumask. Reactors poll without pause, as SPDK's do; in
// interrupt mode (the app's interrupt_mode), a reactor whose threads are all idle
// for a while naps for a few microseconds instead (never past its next timer), the
// runtime's stand-in for SPDK's event file descriptors. A busy reactor never sleeps.
#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include <atomic>
#include <cstdio>
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

struct spdk_event {
    uint32_t lcore;
    spdk_event_fn fn;
    void *arg1;
    void *arg2;
};

namespace spdk_embedded {
namespace {

// Idle rounds before a reactor starts to nap, and the length of a nap.
constexpr uint32_t kIdleRoundsBeforeNap = 1000;
constexpr uint64_t kNapUs = 20;
constexpr unsigned long kTimerSlackNs = 1000;

enum class State { kUninitialized, kInitialized, kRunning, kExiting };

// The scheduler's context in each spdk_thread.
struct ThreadCtx {
    uint32_t lcore;
    bool resched;
};

struct Entry {
    spdk_thread *thread;
    ThreadCtx *ctx;
};

struct Reactor {
    uint32_t core = 0;
    std::vector<Entry> threads;  // touched only by the reactor's OS thread
    std::mutex event_lock;
    std::vector<spdk_event *> events;
    std::atomic<bool> has_events{false};
    uint64_t busy_tsc = 0;
    uint64_t idle_tsc = 0;
    uint64_t tsc_last = 0;
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

Reactors &reactors() {
    static Reactors r;
    return r;
}

Reactor *reactor_of(uint32_t core) {
    Reactors &r = reactors();
    if (core >= r.by_core.size()) {
        return nullptr;
    }
    return r.by_core[core].get();
}

void post_event(Reactor *reactor, spdk_event *event) {
    std::lock_guard guard(reactor->event_lock);
    reactor->events.push_back(event);
    reactor->has_events.store(true, std::memory_order_release);
}

bool run_events(Reactor *reactor) {
    if (!reactor->has_events.load(std::memory_order_acquire)) {
        return false;
    }
    std::vector<spdk_event *> events;
    {
        std::lock_guard guard(reactor->event_lock);
        events.swap(reactor->events);
        reactor->has_events.store(false, std::memory_order_relaxed);
    }
    for (spdk_event *event : events) {
        event->fn(event->arg1, event->arg2);
        delete event;
    }
    return !events.empty();
}

void place_thread(void *arg1, void * /*arg2*/) {
    auto *thread = static_cast<spdk_thread *>(arg1);
    Reactor *reactor = reactor_of(spdk_env_get_current_core());
    auto *ctx = static_cast<ThreadCtx *>(spdk_thread_get_ctx(thread));
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
    ctx->lcore = core;
    ctx->resched = false;
    post_event(reactor, new spdk_event{core, place_thread, thread, nullptr});
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
    if (reactor->has_events.load(std::memory_order_acquire)) {
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
        bool busy = run_events(reactor);
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

}  // namespace

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
        r.by_core[core] = std::make_unique<Reactor>();
        r.by_core[core]->core = core;
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
    reactor_run(reactor_of(r.main_core));
    spdk_env_thread_wait_all();
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
            for (spdk_event *event : reactor->events) {
                delete event;
            }
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
    return new (std::nothrow) spdk_event{lcore, fn, arg1, arg2};
}

void spdk_event_call(struct spdk_event *event) {
    spdk_embedded::Reactor *reactor = spdk_embedded::reactor_of(event->lcore);
    if (reactor == nullptr) {
        SPDK_ERRLOG("no reactor on core %u: event dropped\n", event->lcore);
        delete event;
        return;
    }
    spdk_embedded::post_event(reactor, event);
}

}  // extern "C"
