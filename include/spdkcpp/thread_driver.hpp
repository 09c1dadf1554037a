// ThreadDriver: deterministic control of spdk_threads for tests.
//
// One OS thread drives every spdk_thread in the order the test chooses: poll this
// thread, run everything until idle, advance virtual time. Cross-thread behaviour
// is tested without races or sleeps. Built only on SPDK's public API
// (spdk_thread_lib_init without a scheduler, spdk_thread_poll with an explicit
// `now`), so the same test runs on the embedded runtime and on real SPDK.
//
// Seeded (create(Schedule{.seed = N})), the driver is a simulator: the seed picks
// which thread runs at each step and how many of its messages the step takes, and
// run() moves virtual time on to the next timed poller when every thread is idle.
// Only orders SPDK allows arise (a thread's messages stay in order, a poller never
// runs beside itself: each step is one spdk_thread_poll), and the same seed gives
// the same run, step for step. simulation.hpp runs a scenario over many seeds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "spdk/env.h"
#include "spdk/thread.h"
#include "spdkcpp/env.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

// How a driver orders its threads' work: as the test says (no seed), or as a seed
// says (a simulation).
struct Schedule {
    std::optional<uint64_t> seed;
    uint32_t max_msgs_per_step = 4;  // a seeded step runs 1 to this many messages
    std::size_t trace_steps = 32;    // the last steps trace() shows
    // Messages each thread's queue holds (SPDK's msg_mempool_size; a send to a
    // full queue fails with -ENOMEM). 0: SPDK's default.
    std::size_t message_queue = 0;
};

class ThreadDriver {
  public:
    // Holds SPDK's environment (an Env: one core, no hugepages) and initializes
    // SPDK's thread library, with this driver as the scheduler of every thread
    // created from now on, by the test or by the code under test. One driver at a
    // time per process.
    static Result<ThreadDriver> create(Schedule schedule = {}) {
        if (current() != nullptr) {
            return fail(ErrorKind::Busy, "another ThreadDriver is active");
        }
        auto env = Env::init({.name = "spdkcpp_thread_driver"});
        if (!env) {
            return fail(std::move(env.error()));
        }
        auto state = std::make_unique<State>();
        state->now = spdk_get_ticks();
        state->start = state->now;
        state->schedule = schedule;
        state->rng = schedule.seed.value_or(0);
        state->max_msgs = std::max<uint32_t>(schedule.max_msgs_per_step, 1);
        current() = state.get();
        if (const int rc = spdk_thread_lib_init_ext(
                &ThreadDriver::thread_op, &ThreadDriver::supported, 0,
                schedule.message_queue != 0 ? schedule.message_queue
                                            : SPDK_DEFAULT_MSG_MEMPOOL_SIZE);
            rc != 0) {
            current() = nullptr;
            return fail(Error::from_errno(rc, "spdk_thread_lib_init_ext"));
        }
        return ThreadDriver(std::move(*env), std::move(state));
    }

    ThreadDriver(const ThreadDriver &) = delete;
    ThreadDriver &operator=(const ThreadDriver &) = delete;
    ThreadDriver(ThreadDriver &&) noexcept = default;
    ThreadDriver &operator=(ThreadDriver &&) = delete;

    // Exits every thread, polls them until they have exited, destroys them and
    // finishes the thread library.
    ~ThreadDriver() {
        if (!state_) {
            return;
        }
        for (spdk_thread *t : state_->threads) {
            spdk_set_thread(t);
            if (!spdk_thread_is_exited(t)) {
                spdk_thread_exit(t);
            }
        }
        spdk_set_thread(nullptr);
        for (int round = 0; round < 100'000 && !state_->threads.empty(); ++round) {
            poll_all();
        }
        spdk_thread_lib_fini();
        current() = nullptr;
    }

    // A new thread polled by this driver. The first one is SPDK's app thread.
    Result<ThreadRef> add_thread(const std::string &name) {
        spdk_thread *t = spdk_thread_create(name.c_str(), nullptr);
        if (t == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot create thread '" + name + "'");
        }
        if (!state_->clock_probed) {
            probe_clock(t);
        }
        return ThreadRef(t);
    }

    // True when timed pollers follow the driver's virtual clock exactly, as on the
    // embedded runtime, which stamps a new poller with its thread's clock. Real
    // SPDK stamps it with the real clock (spdk_get_ticks()), so there the driver's
    // clock never falls behind the real one: advance() still moves time forward
    // and due pollers run, but a poller's first period is measured from the real
    // time it was registered at. Known once the first thread exists.
    [[nodiscard]] bool exact_virtual_time() const noexcept { return state_->exact; }

    // Threads alive (created and not yet destroyed).
    [[nodiscard]] std::size_t thread_count() const noexcept { return state_->threads.size(); }

    // The seed of a seeded driver.
    [[nodiscard]] std::optional<uint64_t> seed() const noexcept { return state_->schedule.seed; }

    // The next number of the seed's stream (splitmix64): for a scenario's own
    // choices (a fault, a delay), so that the seed decides them too. Without a seed
    // the stream starts at 0.
    uint64_t random() noexcept {
        uint64_t z = (state_->rng += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // A number in [0, n) from the seed's stream (n > 0).
    uint64_t random(uint64_t n) noexcept { return random() % n; }

    // Names a fault or a choice this run made ("hot remove of Sim0 after 12
    // yields"), for the report of a failing seed.
    void note(std::string what) { state_->notes.push_back(std::move(what)); }
    [[nodiscard]] const std::vector<std::string> &notes() const noexcept { return state_->notes; }

    // Steps polled so far, and a fingerprint of their order (which thread ran at
    // each step, and whether it did work): runs with equal fingerprints took the
    // same interleaving.
    [[nodiscard]] uint64_t steps() const noexcept { return state_->steps; }
    [[nodiscard]] uint64_t fingerprint() const noexcept { return state_->fingerprint; }

    // The last steps, oldest first: "#step thread msgs=N busy|idle t=ticks", the
    // time counted from the driver's start (left out where the clock is real, as it
    // is no seed's to replay).
    [[nodiscard]] std::string trace() const {
        std::string out;
        const auto &t = state_->trace;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const Step &step = t[(state_->trace_next + i) % t.size()];
            out += "#" + std::to_string(step.number) + " " + step.thread +
                   " msgs=" + std::to_string(step.max_msgs) + (step.busy ? " busy" : " idle") +
                   (state_->exact ? " t=" + std::to_string(step.now - state_->start) : "") + "\n";
        }
        return out;
    }

    // Polls one thread once (up to max_msgs messages, then its pollers) at the
    // driver's virtual time. True when it did any work.
    bool poll(ThreadRef thread, uint32_t max_msgs = 0) { return step(thread.raw(), max_msgs); }

    // Polls every thread, round after round, until two whole rounds in a row do no
    // work; threads that have exited are destroyed, as a reactor does. Returns the
    // number of rounds that did work. (A poller may do work and still say it was
    // idle: SPDK's bdev NOMEM poller resubmits the queued I/O and says idle as it
    // unregisters. The second round sees what that work started.)
    std::size_t run_until_idle(std::size_t max_rounds = 1'000'000) {
        std::size_t rounds = 0;
        for (int idle = 0; rounds < max_rounds && idle < 2;) {
            if (poll_all()) {
                ++rounds;
                idle = 0;
            } else {
                ++idle;
            }
        }
        return rounds;
    }

    // Moves virtual time forward, then runs until idle: timed pollers due in
    // that span run.
    void advance(std::chrono::microseconds span) {
        state_->now =
            clock() + static_cast<uint64_t>(span.count()) * spdk_get_ticks_hz() / 1'000'000;
        run_until_idle();
    }

    [[nodiscard]] uint64_t now() const noexcept { return state_->now; }

    // How long run() keeps polling, where the clock is real, for a task that waits
    // on timed pollers (SPDK loads a JSON config through an RPC socket polled
    // every 100 µs).
    static constexpr std::chrono::seconds kRealTimeRunLimit{10};

    // Runs fn with `thread` as the current spdk_thread (as code inside a message
    // would), for set-up done from the test body.
    template <typename F>
    decltype(auto) on(ThreadRef thread, F &&fn) {
        struct Restore {
            explicit Restore(spdk_thread *t) noexcept : previous(t) {}
            Restore(const Restore &) = delete;
            Restore &operator=(const Restore &) = delete;
            ~Restore() { spdk_set_thread(previous); }
            spdk_thread *previous;
        } restore(spdk_get_thread());
        spdk_set_thread(thread.raw());
        return std::forward<F>(fn)();
    }

    // Runs the threads until done() holds or nothing can run any more, and gives
    // done(). Every thread is run until idle; seeded, with exact virtual time,
    // while done() does not hold and a timed poller is due later, time moves on to
    // it, as a discrete-event simulator (up to a day of virtual time). Where the
    // clock is real (see exact_virtual_time), the threads are polled on while timed
    // pollers exist, as real time passes, up to kRealTimeRunLimit. For code in
    // callback style; run() is this for a Task.
    template <typename Done>
    requires std::is_invocable_r_v<bool, Done &>
    bool run_until(Done &&done) {
        run_until_idle();
        if (state_->schedule.seed && state_->exact) {
            const uint64_t limit = state_->now + 86'400 * spdk_get_ticks_hz();
            while (!done()) {
                const uint64_t next = next_expiration();
                if (next == 0 || next > limit) {
                    break;
                }
                state_->now = std::max(state_->now, next);
                run_until_idle();
            }
        }
        if (!state_->exact) {
            // Here a timed poller comes due in any round, even a last idle one,
            // and may say idle after doing work: stop only after a run that did
            // none while no timed poller could come due.
            const uint64_t limit =
                spdk_get_ticks() + kRealTimeRunLimit.count() * spdk_get_ticks_hz();
            while (!done() && spdk_get_ticks() < limit) {
                const bool timers = any_timed_pollers();
                if (run_until_idle() == 0 && !timers) {
                    break;
                }
            }
        }
        return done();
    }

    // What run() gives for a task of T: a task that returns a Result gives that
    // Result itself (its own failure and the driver's share one error channel), any
    // other T comes inside a Result.
    template <typename T>
    using RunResult = std::conditional_t<is_result_v<T>, T, Result<T>>;

    // Starts task on thread, runs (run_until) until it finishes and gives its
    // value. The driver's own failures: Stalled when the task is still waiting
    // once nothing can run any more (it then runs on, detached), or the thread
    // refusing the task's start.
    template <typename T>
    requires(!std::is_void_v<T>) RunResult<T> run(ThreadRef thread, Task<T> task) {
        bool finished = false;
        detail::notify_on_finish(
            task, [](void *flag) { *static_cast<bool *>(flag) = true; }, &finished);
        auto &promise = detail::TaskAccess::handle(task).promise();
        if (const int rc = spdk_thread_send_msg(thread.raw(), &detail::resume_handle,
                                                detail::TaskAccess::handle(task).address());
            rc != 0) {
            promise.started = false;
            return fail(Error::from_errno(rc, "spdk_thread_send_msg: the task did not start"));
        }
        if (!run_until([&] { return finished; })) {
            // It runs on detached (the Task is dropped here) and frees itself at its
            // end: `finished` is gone by then.
            promise.notify = nullptr;
            promise.notify_ctx = nullptr;
            return fail(ErrorKind::Stalled,
                        "the task is still waiting after every thread went idle");
        }
        return promise.take();
    }

  private:
    struct Step {
        uint64_t number = 0;
        std::string thread;
        uint32_t max_msgs = 0;
        bool busy = false;
        uint64_t now = 0;
    };

    struct State {
        std::vector<spdk_thread *> threads;
        uint64_t now = 0;
        uint64_t start = 0;
        bool clock_probed = false;
        bool exact = true;
        Schedule schedule;
        uint64_t rng = 0;
        uint32_t max_msgs = 1;
        uint64_t steps = 0;
        uint64_t fingerprint = 0xcbf29ce484222325ULL;  // FNV-1a
        std::vector<Step> trace;  // a ring of the last schedule.trace_steps steps
        std::vector<std::string> notes;
        std::size_t trace_next = 0;
    };

    // One poll of one thread, counted, fingerprinted and traced.
    bool step(spdk_thread *thread, uint32_t max_msgs) {
        const bool busy = spdk_thread_poll(thread, max_msgs, clock()) > 0;
        State &s = *state_;
        const auto index = static_cast<uint64_t>(
            std::find(s.threads.begin(), s.threads.end(), thread) - s.threads.begin());
        for (const uint64_t v : {index, static_cast<uint64_t>(busy)}) {
            s.fingerprint = (s.fingerprint ^ v) * 0x100000001b3ULL;
        }
        ++s.steps;
        if (s.schedule.seed && s.schedule.trace_steps > 0) {
            Step entry{s.steps, spdk_thread_get_name(thread), max_msgs, busy, s.now};
            if (s.trace.size() < s.schedule.trace_steps) {
                s.trace.push_back(std::move(entry));
            } else {
                s.trace[s.trace_next] = std::move(entry);
                s.trace_next = (s.trace_next + 1) % s.trace.size();
            }
        }
        return busy;
    }

    // The earliest time a timed poller of any thread is due; 0 for none.
    uint64_t next_expiration() const {
        uint64_t next = 0;
        for (spdk_thread *t : state_->threads) {
            const uint64_t due = spdk_thread_next_poller_expiration(t);
            if (due != 0 && (next == 0 || due < next)) {
                next = due;
            }
        }
        return next;
    }

    // The time every poll is given: the virtual clock, kept from falling behind
    // the real one where pollers are stamped with the real clock.
    uint64_t clock() noexcept {
        if (!state_->exact) {
            state_->now = std::max(state_->now, spdk_get_ticks());
        }
        return state_->now;
    }

    // Finds out which clock stamps a new timed poller: the thread is polled once
    // at a time one second behind the real clock, and a poller registered then is
    // due one period after that time (exact) or after the real one.
    void probe_clock(spdk_thread *thread) {
        state_->clock_probed = true;
        const uint64_t hz = spdk_get_ticks_hz();
        const uint64_t behind = state_->now - hz;
        spdk_thread_poll(thread, 0, behind);
        spdk_poller *probe = on(ThreadRef(thread), [] {
            return spdk_poller_register([](void *) -> int { return SPDK_POLLER_IDLE; }, nullptr, 1);
        });
        const uint64_t due = spdk_thread_next_poller_expiration(thread);
        on(ThreadRef(thread), [&] { spdk_poller_unregister(&probe); });
        state_->exact = due < behind + hz / 2;
        // An unregistered timed poller is freed when it comes due.
        state_->now = std::max({state_->now, due, spdk_get_ticks()});
        state_->start = state_->now;  // virtual time runs from here (trace())
        spdk_thread_poll(thread, 0, state_->now);
    }

    bool any_timed_pollers() const { return next_expiration() != 0; }

    ThreadDriver(Env env, std::unique_ptr<State> state) noexcept
        : env_(std::move(env)), state_(std::move(state)) {}

    static State *&current() noexcept {
        static State *state = nullptr;
        return state;
    }

    // SPDK's scheduling hook: every new thread joins the driver's list.
    static int thread_op(spdk_thread *thread, spdk_thread_op op) {
        if (op != SPDK_THREAD_OP_NEW || current() == nullptr) {
            return -ENOTSUP;
        }
        current()->threads.push_back(thread);
        return 0;
    }
    static bool supported(spdk_thread_op op) { return op == SPDK_THREAD_OP_NEW; }

    // A round: every thread once, in order; seeded, as many steps as there are
    // threads, each on a thread and with a message budget the seed picks, then,
    // when none of them did work, every thread once to be sure all are idle.
    bool poll_all() {
        bool busy = false;
        auto &threads = state_->threads;
        if (state_->schedule.seed) {
            const std::size_t n = threads.size();
            for (std::size_t i = 0; i < n && !threads.empty(); ++i) {
                spdk_thread *t = threads[random(threads.size())];
                busy = step(t, 1 + static_cast<uint32_t>(random(state_->max_msgs))) || busy;
            }
        }
        if (!busy) {
            for (std::size_t i = 0; i < threads.size(); ++i) {
                busy = step(threads[i], 0) || busy;
            }
        }
        std::erase_if(threads, [](spdk_thread *t) {
            if (!spdk_thread_is_exited(t)) {
                return false;
            }
            spdk_thread_destroy(t);
            return true;
        });
        return busy;
    }

    Env env_;  // outlives the thread library, which is finished first
    std::unique_ptr<State> state_;
};

}  // namespace spdkcpp
