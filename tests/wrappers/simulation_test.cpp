// Seeded simulation (simulation.hpp, ThreadDriver's seeded schedule): the same seed
// replays the same run; seeds differ in their interleavings; and the wrappers'
// lifecycle rules hold over many seeds: a descriptor closed by a hot remove while
// I/O is in flight on two other threads closes only once its channels are put, so
// no I/O completes after it closed; I/O beyond a small bdev_io pool waits and
// lands; full message queues lose no release or resumption; a walk of an
// io_device's channels finishes before its unregistration. The simulated disk
// completes its I/O late and out of order, as the seed says.
//
// Built twice: as is, and with SPDKCPP_SIMULATION_WRONG_CLOSE_RULE, where the
// descriptor closes at the remove without waiting for its channels (a deliberately
// wrong rule, desc_state.hpp): there the simulator must find a seed that breaks the
// rule, and replay it.
//
// SPDKCPP_SIM_SEEDS sets how many seeds the lifecycle test runs (scripts/simulate.sh
// runs many more than CI does).
#include "spdkcpp/simulation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/io_device.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/subsystems.hpp"
#include "spdkcpp/when_all.hpp"

#ifdef SPDKCPP_TEST_EMBEDDED
#include "spdkcpp_embedded/stats.h"
#endif
#ifndef SPDKCPP_SIMULATION_WRONG_CLOSE_RULE
#include "error.hpp"  // the error bdev module (modules/error)
#endif

namespace spdkcpp {
namespace {

[[maybe_unused]] uint64_t seeds_from_env(uint64_t fallback) {
    const char *text = std::getenv("SPDKCPP_SIM_SEEDS");
    return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : fallback;
}

// --- a bdev whose I/O completes after delays the seed picks --------------------------

constexpr uint32_t kBlockSize = 512;
constexpr uint64_t kBlocks = 64;

// The disk of one seed: its bytes, and what the lifecycle checks look at.
struct SimDisk {
    spdk_bdev bdev{};
    std::array<std::byte, kBlocks * kBlockSize> data{};
    ThreadDriver *driver = nullptr;
    uint64_t outstanding = 0;  // I/O the module holds
    uint64_t max_outstanding = 0;
    // I/O completed once the bdev's last descriptor had closed: its unregistration
    // then takes the name away (as SPDK's does), so the module sees it.
    uint64_t completed_after_close = 0;
    bool destructed = false;
};
SimDisk *g_disk = nullptr;

// A new disk for a seed. It outlives the seed's driver, whose end still polls its
// channels when a seed stalled; the next seed's disk replaces it.
SimDisk &new_disk(ThreadDriver &driver) {
    static std::unique_ptr<SimDisk> disk;
    disk = std::make_unique<SimDisk>();
    disk->driver = &driver;
    g_disk = disk.get();
    return *disk;
}

struct SimChannel {
    std::deque<spdk_bdev_io *> held;
    spdk_poller *poller = nullptr;
};

// Completes one held I/O of this channel, late and out of order (which, and when,
// the seed says): busy while it holds any, so that the driver keeps polling until
// they are done.
int complete_some(void *arg) {
    auto *ch = static_cast<SimChannel *>(arg);
    if (ch->held.empty()) {
        return SPDK_POLLER_IDLE;
    }
    if (g_disk->driver->random(3) == 0) {
        const auto at = static_cast<std::ptrdiff_t>(g_disk->driver->random(ch->held.size()));
        spdk_bdev_io *io = ch->held[static_cast<std::size_t>(at)];
        ch->held.erase(ch->held.begin() + at);
        const uint64_t offset = io->u.bdev.offset_blocks * kBlockSize;
        auto *buf = static_cast<std::byte *>(io->u.bdev.iovs[0].iov_base);
        const std::size_t len = io->u.bdev.num_blocks * kBlockSize;
        if (io->type == SPDK_BDEV_IO_TYPE_WRITE) {
            std::memcpy(g_disk->data.data() + offset, buf, len);
        } else {
            std::memcpy(buf, g_disk->data.data() + offset, len);
        }
        --g_disk->outstanding;
        if (spdk_bdev_get_by_name("Sim0") == nullptr) {
            ++g_disk->completed_after_close;
        }
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
    }
    return SPDK_POLLER_BUSY;
}

int sim_channel_create(void * /*io_device*/, void *ctx) {
    auto *ch = new (ctx) SimChannel;
    ch->poller = spdk_poller_register(complete_some, ch, 0);
    return 0;
}

void sim_channel_destroy(void * /*io_device*/, void *ctx) {
    auto *ch = static_cast<SimChannel *>(ctx);
    spdk_poller_unregister(&ch->poller);
    ch->~SimChannel();
}

int sim_destruct(void * /*ctx*/) {
    g_disk->destructed = true;
    spdk_io_device_unregister(g_disk, nullptr);
    return 0;
}

void sim_submit(spdk_io_channel *ch, spdk_bdev_io *io) {
    auto *sim = static_cast<SimChannel *>(spdk_io_channel_get_ctx(ch));
    g_disk->max_outstanding = std::max(g_disk->max_outstanding, ++g_disk->outstanding);
    sim->held.push_back(io);
}

bool sim_supports(void * /*ctx*/, spdk_bdev_io_type type) {
    return type == SPDK_BDEV_IO_TYPE_READ || type == SPDK_BDEV_IO_TYPE_WRITE;
}

spdk_io_channel *sim_get_channel(void * /*ctx*/) {
    return spdk_get_io_channel(g_disk);
}

const spdk_bdev_fn_table kSimFns = [] {
    spdk_bdev_fn_table fns{};
    fns.destruct = sim_destruct;
    fns.submit_request = sim_submit;
    fns.io_type_supported = sim_supports;
    fns.get_io_channel = sim_get_channel;
    return fns;
}();

spdk_bdev_module g_sim_module = [] {
    spdk_bdev_module m{};
    m.name = "spdkcpp_sim";
    m.module_init = [] { return 0; };
    return m;
}();

// Once, before the first seed brings the bdev subsystem up. (Not with
// SPDK_BDEV_MODULE_REGISTER: its constructor may run before g_sim_module's
// initializer, and SPDK reads the name at once.)
void register_sim_module() {
    static const bool registered = [] {
        spdk_bdev_module_list_add(&g_sim_module);
        return true;
    }();
    (void)registered;
}

Result<void> register_disk(SimDisk &disk) {
    disk.bdev.name = const_cast<char *>("Sim0");
    disk.bdev.product_name = const_cast<char *>("simulated disk");
    disk.bdev.blocklen = kBlockSize;
    disk.bdev.blockcnt = kBlocks;
    disk.bdev.fn_table = &kSimFns;
    disk.bdev.module = &g_sim_module;
    spdk_io_device_register(&disk, sim_channel_create, sim_channel_destroy, sizeof(SimChannel),
                            "spdkcpp_sim");
    return check(spdk_bdev_register(&disk.bdev), "registering Sim0");
}

// Unregisters Sim0 and waits for the unregistration to end (once its last
// descriptor closed), by timed polls: a yield's message could find a full queue.
Task<Result<void>> unregister_disk() {
    int rc = 1;
    spdk_bdev_unregister(
        &g_disk->bdev, [](void *arg, int status) { *static_cast<int *>(arg) = status; }, &rc);
    for (uint32_t i = 0; rc == 1 && i < 1'000'000; ++i) {
        (void)co_await sleep(std::chrono::microseconds(1));
    }
    co_return check(rc == 1 ? -ETIMEDOUT : rc, "unregistering Sim0");
}

// Every scenario's threads: the app thread (SPDK's first) and two workers.
struct Threads {
    ThreadRef app, w1, w2;
};

Result<Threads> add_threads(ThreadDriver &driver) {
    auto app = driver.add_thread("app");
    auto w1 = driver.add_thread("w1");
    auto w2 = driver.add_thread("w2");
    if (!app || !w1 || !w2) {
        return fail(ErrorKind::OutOfMemory, "cannot create the scenario's threads");
    }
    return Threads{*app, *w1, *w2};
}

// A scenario's end: Sim0 unregistered if it is still there (and `stacked`, a bdev
// on it, gone with it), the subsystems finished; gives the scenario's outcome, or
// the first failure of its end.
Task<Result<void>> finish(Result<void> outcome, const char *stacked = nullptr) {
    if (spdk_bdev_get_by_name("Sim0") != nullptr) {
        if (auto r = co_await unregister_disk(); outcome && !r) {
            outcome = r;
        }
    }
    for (uint32_t i = 0;
         stacked != nullptr && spdk_bdev_get_by_name(stacked) != nullptr && i < 1000; ++i) {
        (void)co_await sleep(std::chrono::microseconds(1));
    }
    if (outcome && stacked != nullptr && spdk_bdev_get_by_name(stacked) != nullptr) {
        outcome = fail(ErrorKind::Other, std::string(stacked) + " outlived its base");
    }
    co_await fini_subsystems();
    co_return outcome;
}

// A scenario's course on Sim0: the subsystems up, the disk registered and opened,
// body(desc), then finish().
template <typename Body>
Task<Result<void>> with_sim0(Body body) {
    if (auto r = co_await init_subsystems(); !r) {
        co_return r;
    }
    Result<void> outcome = register_disk(*g_disk);
    if (outcome) {
        // (Not a co_await inside ?: — g++ 12 miscompiles that.)
        auto desc = BdevDesc::open("Sim0", OpenMode::ReadWrite);
        if (desc) {
            outcome = co_await body(*desc);
        } else {
            outcome = fail(desc.error());
        }
    }
    co_return co_await finish(std::move(outcome));
}

// --- the lifecycle scenario ------------------------------------------------------------

struct WorkerCounts {
    uint32_t written = 0;  // writes that completed
    uint32_t refused = 0;  // writes refused once the descriptor was closing
};

// Writes its 8 blocks over and over, two at a time in flight, until the descriptor
// refuses new I/O (Closed: the bdev is going away); every other failure is one.
Task<Result<WorkerCounts>> writer(ThreadRef thread, BdevDesc &desc, uint64_t first_block) {
    if (auto r = co_await on(thread); !r) {
        co_return fail(r.error());
    }
    WorkerCounts counts;
    auto ch = desc.io_channel();
    if (!ch) {
        if (ch.error().kind() != ErrorKind::Closed) {
            co_return fail(ch.error());
        }
        ++counts.refused;  // the remove came first
        co_return counts;
    }
    auto lane = [&](uint64_t block) -> Task<Result<void>> {
        auto buf = DmaBuf::alloc(kBlockSize);
        if (!buf) {
            co_return fail(buf.error());
        }
        for (uint32_t round = 0; round < 64; ++round, block = first_block + (block + 2) % 8) {
            buf->fill(std::byte{static_cast<uint8_t>(round)});
            auto w = co_await desc.write(*ch, *buf, block * kBlockSize);
            if (!w) {
                if (w.error().kind() != ErrorKind::Closed) {
                    co_return w;
                }
                ++counts.refused;
                co_return Result<void>{};
            }
            ++counts.written;
        }
        co_return Result<void>{};
    };
    auto [a, b] = co_await when_all(lane(first_block), lane(first_block + 1));
    if (!a || !b) {
        co_return fail(!a ? a.error() : b.error());
    }
    co_return counts;  // the channel is put here, on this thread
}

// Unregisters the disk after a number of yields the seed picks: the hot remove
// lands somewhere among the writers' I/O.
Task<Result<void>> remover(ThreadDriver &driver) {
    const uint64_t delay = driver.random(64);
    driver.note("hot remove of Sim0 after " + std::to_string(delay) + " yields");
    for (uint64_t i = 0; i < delay; ++i) {
        co_await yield();
    }
    co_return co_await unregister_disk();
}

Task<Result<void>> lifecycle(ThreadDriver &driver, ThreadRef w1, ThreadRef w2) {
    return with_sim0([&driver, w1, w2](BdevDesc &desc) -> Task<Result<void>> {
        auto [a, b, removed] =
            co_await when_all(writer(w1, desc, 0), writer(w2, desc, 8), remover(driver));
        if (!a || !b || !removed) {
            co_return fail(!a ? a.error() : !b ? b.error() : removed.error());
        }
        if (!g_disk->destructed) {
            co_return fail(ErrorKind::Other, "Sim0 was never destructed");
        }
        if (g_disk->completed_after_close != 0) {
            // The rule: a descriptor closes only after its channels' I/O.
            co_return fail(ErrorKind::Other,
                           std::to_string(g_disk->completed_after_close) +
                               " I/O of Sim0 completed after its descriptor closed");
        }
        if (a->written + b->written == 0 && a->refused + b->refused == 0) {
            co_return fail(ErrorKind::Other, "no writer did any I/O");
        }
        co_return Result<void>{};
    });
}

Result<void> run_lifecycle(ThreadDriver &driver) {
    SimDisk &disk = new_disk(driver);
    auto t = add_threads(driver);
    if (!t) {
        return fail(t.error());
    }
    auto r = driver.run(t->app, lifecycle(driver, t->w1, t->w2));
    if (r && disk.outstanding != 0) {
        r = fail(ErrorKind::Other, std::to_string(disk.outstanding) + " I/O never completed");
    }
    return r;
}

#ifndef SPDKCPP_SIMULATION_WRONG_CLOSE_RULE
// (The wrong close rule's build runs only the scenario it breaks.)

// On `thread`, with its channel of desc: body(channel, block, out, in) for `count`
// blocks from `first`, all at once, each lane with two buffers of a block; gives
// the first failure, if any.
template <typename Body>
Task<Result<void>> run_lanes(ThreadRef thread, BdevDesc &desc, uint64_t first, uint64_t count,
                             Body body) {
    if (auto r = co_await on(thread); !r) {
        co_return r;
    }
    auto ch = desc.io_channel();
    if (!ch) {
        co_return fail(ch.error());
    }
    auto lane = [&](uint64_t block) -> Task<Result<void>> {
        auto out = DmaBuf::alloc(kBlockSize);
        auto in = DmaBuf::alloc(kBlockSize);
        if (!out || !in) {
            co_return fail(ErrorKind::OutOfMemory, "lane buffers");
        }
        co_return co_await body(*ch, block, *out, *in);
    };
    std::vector<Task<Result<void>>> lanes;
    for (uint64_t i = 0; i < count; ++i) {
        lanes.push_back(lane(first + i));
    }
    for (auto &r : co_await when_all(std::move(lanes))) {
        if (!r) {
            co_return r;
        }
    }
    co_return Result<void>{};
}

// --- back-pressure: more I/O in flight than the bdev_io pool holds ------------------

constexpr uint32_t kLanesPerWriter = 20;

// kLanesPerWriter lanes, each writing a pattern to its own block and reading it
// back, four times; every lane's I/O starts at once.
Task<Result<void>> verify_lanes(ThreadRef thread, BdevDesc &desc, uint64_t first_block) {
    return run_lanes(
        thread, desc, first_block, kLanesPerWriter,
        [&desc](BdevChannel &ch, uint64_t block, DmaBuf &out, DmaBuf &in) -> Task<Result<void>> {
            for (uint8_t round = 1; round <= 4; ++round) {
                out.fill(std::byte{static_cast<uint8_t>(block * 4 + round)});
                if (auto w = co_await desc.write(ch, out, block * kBlockSize); !w) {
                    co_return w;
                }
                if (auto r = co_await desc.read(ch, in, block * kBlockSize); !r) {
                    co_return r;
                }
                if (std::memcmp(in.data(), out.data(), kBlockSize) != 0) {
                    co_return fail(ErrorKind::IoFailed,
                                   "block " + std::to_string(block) + " read back other data");
                }
            }
            co_return Result<void>{};
        });
}

Task<Result<void>> small_pool(ThreadRef w1, ThreadRef w2) {
    return with_sim0([w1, w2](BdevDesc &desc) -> Task<Result<void>> {
        // Each thread's first channel fills that thread's spdk_bdev_io cache from
        // the pool, and fails (-ENOMEM, on SPDK too) once the other thread's I/O
        // holds the whole pool: a schedule the simulator found. So both threads
        // take a channel before any I/O starts.
        const ThreadRef app = ThreadRef::current();
        std::vector<Result<BdevChannel>> warm;
        for (ThreadRef t : {w1, w2}) {
            (void)co_await on(t);  // live threads: the hop cannot fail
            warm.push_back(desc.io_channel());
        }
        (void)co_await on(app);
        for (auto &ch : warm) {
            if (!ch) {
                co_return fail(ch.error());
            }
        }
        auto [a, b] =
            co_await when_all(verify_lanes(w1, desc, 0), verify_lanes(w2, desc, kLanesPerWriter));
        co_return !a ? a : b;
    });
}

// A pool of kMaxPool / 2 to kMaxPool spdk_bdev_io (the harness's fault, by seed)
// for 40 lanes, 20 a thread: submissions meet -ENOMEM and wait in place; every
// lane still reads back what it wrote, and the disk holds the whole pool at once,
// never more.
constexpr uint32_t kMaxPool = 19;

Result<void> run_small_pool(ThreadDriver &driver) {
    spdk_bdev_opts opts{};
    spdk_bdev_get_opts(&opts, sizeof(opts));
    const uint32_t pool = opts.bdev_io_pool_size;
    if (pool > kMaxPool || opts.bdev_io_cache_size != 1) {
        return fail(ErrorKind::Other, "the bdev_io pool fault is not in force");
    }
    SimDisk &disk = new_disk(driver);
    auto t = add_threads(driver);
    Result<void> r = t ? driver.run(t->app, small_pool(t->w1, t->w2)) : fail(t.error());
    // The pool ran dry (the disk held all of it at once), and never held more.
    if (r && disk.max_outstanding != pool) {
        r = fail(ErrorKind::Other, "the disk held at most " + std::to_string(disk.max_outstanding) +
                                       " I/O at once from a pool of " + std::to_string(pool));
    }
    return r;
}

#endif

// SPDK's GPT module would read the new disk's first blocks: auto-examine off.
class Simulation : public ::testing::Test {
  protected:
    void SetUp() override {
        register_sim_module();
        spdk_bdev_get_opts(&defaults_, sizeof(defaults_));
        spdk_bdev_opts opts = defaults_;
        opts.bdev_auto_examine = false;
        ASSERT_EQ(spdk_bdev_set_opts(&opts), 0);
    }
    void TearDown() override { spdk_bdev_set_opts(&defaults_); }

    spdk_bdev_opts defaults_{};
};

// A scenario of message ping-pong between three threads: per-thread order holds
// under every schedule, and what it records depends on the schedule.
Result<void> ping_pong(ThreadDriver &driver, std::string &log) {
    std::vector<ThreadRef> threads;
    for (const char *name : {"a", "b", "c"}) {
        auto t = driver.add_thread(name);
        if (!t) {
            return fail(t.error());
        }
        threads.push_back(*t);
    }
    std::array<std::vector<int>, 3> received;
    for (int i = 0; i < 12; ++i) {
        const std::size_t to = static_cast<std::size_t>(i) % 3;
        if (auto r = threads[to].send([&, to, i] {
                received[to].push_back(i);
                log += std::to_string(i) + ",";
            });
            !r) {
            return fail(r.error());
        }
    }
    driver.run_until_idle();
    for (std::size_t t = 0; t < 3; ++t) {
        for (std::size_t k = 1; k < received[t].size(); ++k) {
            if (received[t][k] < received[t][k - 1]) {
                return fail(ErrorKind::Other, "messages to one thread ran out of order");
            }
        }
        if (received[t].size() != 4) {
            return fail(ErrorKind::Other, "a message was lost");
        }
    }
    return {};
}

TEST_F(Simulation, TheSameSeedReplaysTheSameRunAndSeedsDiffer) {
    std::vector<std::string> logs;
    auto report = simulate({.first_seed = 7, .seeds = 1}, [&](ThreadDriver &d) {
        logs.emplace_back();
        return ping_pong(d, logs.back());
    });
    auto again = simulate({.first_seed = 7, .seeds = 1}, [&](ThreadDriver &d) {
        logs.emplace_back();
        return ping_pong(d, logs.back());
    });
    ASSERT_FALSE(report.failure) << report.describe();
    ASSERT_FALSE(again.failure) << again.describe();
    ASSERT_EQ(logs.size(), 2U);
    EXPECT_EQ(logs[0], logs[1]);

    std::set<std::string> orders;
    auto many = simulate({.first_seed = 1, .seeds = 50}, [&](ThreadDriver &d) {
        std::string log;
        auto r = ping_pong(d, log);
        orders.insert(log);
        return r;
    });
    ASSERT_FALSE(many.failure) << many.describe();
    EXPECT_EQ(many.seeds_run, 50U);
    EXPECT_GT(orders.size(), 10U) << "seeds should order the threads' messages differently";
    EXPECT_GT(many.interleavings, 10U);
}

// Waits until the test opens it, from outside any simulation.
struct Gate {
    static inline std::coroutine_handle<> waiting;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { waiting = h; }
    void await_resume() const noexcept {}
};

TEST_F(Simulation, ATaskThatCanNeverFinishFailsItsSeedAsStalled) {
    auto report = simulate({.first_seed = 3, .seeds = 5}, [](ThreadDriver &d) -> Result<void> {
        auto app = d.add_thread("app");
        if (!app) {
            return fail(app.error());
        }
        auto blocked = []() -> Task<Result<void>> {
            co_await Gate{};  // nothing in the simulation opens it
            co_return Result<void>{};
        };
        return d.run(*app, blocked());
    });
    ASSERT_TRUE(report.failure);
    EXPECT_EQ(report.failure->seed, 3U);
    EXPECT_EQ(report.failure->error.kind(), ErrorKind::Stalled);
    EXPECT_FALSE(report.failure->trace.empty());
    // The stalled task, detached, ends and frees its frame once let go.
    ASSERT_TRUE(Gate::waiting);
    std::exchange(Gate::waiting, nullptr).resume();
}

#ifdef SPDKCPP_TEST_EMBEDDED
// What a seed leaves behind once its driver ended fails it: DMA memory never
// freed, an io_device never unregistered, a channel never put.
TEST_F(Simulation, WhatASeedLeavesBehindFailsIt) {
    void *leaked = nullptr;
    int device = 0;
    auto report = simulate({.first_seed = 4, .seeds = 3}, [&](ThreadDriver &d) -> Result<void> {
        auto app = d.add_thread("app");
        if (!app) {
            return fail(app.error());
        }
        if (d.seed() == 5U) {  // the first seed leaves nothing
            d.on(*app, [&] {
                leaked = spdk_dma_malloc(4096, 4096, nullptr);
                spdk_io_device_register(
                    &device, [](void *, void *) { return 0; }, [](void *, void *) {}, 8,
                    "forgotten");
                (void)spdk_get_io_channel(&device);
            });
        }
        return {};
    });
    ASSERT_TRUE(report.failure);
    EXPECT_EQ(report.failure->seed, 5U);
    EXPECT_EQ(report.seeds_run, 2U);
    EXPECT_EQ(report.failure->error.context(),
              "left behind: 1 DMA allocations never freed, 1 io_devices never unregistered, 1 "
              "channels never put");
    spdk_dma_free(leaked);  // the test's own check at exit sees nothing left
}
#endif

#ifndef SPDKCPP_SIMULATION_WRONG_CLOSE_RULE

// The harness's faults are chosen per seed, in force while its scenario runs, and
// named in its failure; the same seed chooses the same.
TEST_F(Simulation, TheFaultsASeedChoseAreInForceAndNamedInItsFailure) {
    Faults faults{.bdev_io_pool = 16};
#ifdef SPDKCPP_TEST_EMBEDDED
    faults.message_queue = 8;
#endif
    std::vector<uint32_t> pools;
    auto failing = [&](ThreadDriver &) -> Result<void> {
        spdk_bdev_opts opts{};
        spdk_bdev_get_opts(&opts, sizeof(opts));
        pools.push_back(opts.bdev_io_pool_size);
        return fail(ErrorKind::Other, "on purpose");
    };
    std::vector<std::vector<std::string>> named;
    for (const uint64_t seed : {5, 5, 6, 7, 8, 9}) {
        auto report = simulate({.first_seed = seed, .seeds = 1, .faults = faults}, failing);
        ASSERT_TRUE(report.failure);
        named.push_back(report.failure->faults);
        const std::string pool = "bdev_io pool of " + std::to_string(pools.back());
        EXPECT_NE(std::find(named.back().begin(), named.back().end(), pool), named.back().end())
            << report.describe();
        EXPECT_GE(pools.back(), 8U);
        EXPECT_LE(pools.back(), 16U);
#ifdef SPDKCPP_TEST_EMBEDDED
        ASSERT_EQ(named.back().size(), 2U);
        EXPECT_EQ(named.back()[0].rfind("message queues of ", 0), 0U);
#endif
    }
    EXPECT_EQ(named[0], named[1]);
    EXPECT_GT(std::set<uint32_t>(pools.begin(), pools.end()).size(), 1U)
        << "seeds should choose different pools";
    spdk_bdev_opts after{};
    spdk_bdev_get_opts(&after, sizeof(after));
    EXPECT_EQ(after.bdev_io_pool_size, defaults_.bdev_io_pool_size);
}

// Each writer submits its kLanesPerWriter first writes at once (in one message,
// before any can complete) against a pool of at most 19: some wait for an
// spdk_bdev_io, in every seed.
TEST_F(Simulation, MoreIoThanThePoolHoldsWaitsAndReadsBackRightUnderEverySchedule) {
    static_assert(kLanesPerWriter > kMaxPool);
    const uint64_t seeds = seeds_from_env(200) / 2;
    auto report = simulate({.first_seed = 1, .seeds = seeds, .faults = {.bdev_io_pool = kMaxPool}},
                           run_small_pool);
    EXPECT_FALSE(report.failure) << report.describe();
    EXPECT_EQ(report.seeds_run, seeds);
    std::printf("small-pool simulation: %s\n", report.describe().c_str());
    // Each seed's pool is given back.
    spdk_bdev_opts after{};
    spdk_bdev_get_opts(&after, sizeof(after));
    EXPECT_EQ(after.bdev_io_pool_size, defaults_.bdev_io_pool_size);
    EXPECT_EQ(after.bdev_io_cache_size, defaults_.bdev_io_cache_size);
}

TEST_F(Simulation, HotRemoveWithIoInFlightOnTwoThreadsClosesAfterTheChannels) {
#ifdef SPDKCPP_TEST_EMBEDDED
    spdkcpp_embedded_mem_stats before{};
    spdkcpp_embedded_get_mem_stats(&before);
#endif
    const uint64_t seeds = seeds_from_env(200);
    auto report = simulate({.first_seed = 1, .seeds = seeds}, run_lifecycle);
    EXPECT_FALSE(report.failure) << report.describe();
    EXPECT_EQ(report.seeds_run, seeds);
    EXPECT_GT(report.interleavings, seeds / 2) << report.describe();
    std::printf("lifecycle simulation: %s\n", report.describe().c_str());
#ifdef SPDKCPP_TEST_EMBEDDED
    spdkcpp_embedded_mem_stats after{};
    spdkcpp_embedded_get_mem_stats(&after);
    EXPECT_EQ(after.allocations_in_use, before.allocations_in_use) << "DMA memory leaked";
#endif
}

#else

// The wrong rule (the descriptor closes at the remove, channels or not) breaks only
// where the remove lands while a write is in the disk: the simulator finds such a
// seed, and the seed alone fails again the same way.
TEST_F(Simulation, FindsTheWrongCloseRuleAndReplaysItBySeed) {
    auto report = simulate({.first_seed = 1, .seeds = 500}, run_lifecycle);
    ASSERT_TRUE(report.failure) << "500 seeds did not break the wrong rule: " << report.describe();
    EXPECT_NE(report.failure->error.context().find("completed after its descriptor closed"),
              std::string::npos)
        << report.describe();
    std::printf("found: %s\n", report.describe().c_str());
    auto replay = simulate({.first_seed = report.failure->seed, .seeds = 1}, run_lifecycle);
    ASSERT_TRUE(replay.failure);
    EXPECT_EQ(replay.failure->error.context(), report.failure->error.context());
    EXPECT_EQ(replay.failure->trace, report.failure->trace);
    // The scenario's own fault, named, and the same in the replay.
    ASSERT_EQ(report.failure->faults.size(), 1U);
    EXPECT_EQ(report.failure->faults[0].rfind("hot remove of Sim0 after ", 0), 0U);
    EXPECT_EQ(replay.failure->faults, report.failure->faults);
}

#endif

#ifndef SPDKCPP_SIMULATION_WRONG_CLOSE_RULE

// --- full message queues -----------------------------------------------------------
// (The embedded runtime only: on SPDK the harness refuses the fault.)
#ifdef SPDKCPP_TEST_EMBEDDED

struct HopCounts {
    uint64_t hops = 0;
    uint64_t refused = 0;  // hops that found the target's queue full
};

// Moves the caller to `to`, trying again after a timed poll while `to`'s queue is
// full; the caller must then run on `to`.
Task<Result<void>> hop(ThreadRef to, HopCounts &counts) {
    for (;;) {
        auto r = co_await on(to);
        if (r) {
            if (!to.is_current()) {
                co_return fail(ErrorKind::WrongThread, "a hop resumed on another thread");
            }
            ++counts.hops;
            co_return r;
        }
        if (r.error().kind() != ErrorKind::OutOfMemory) {
            co_return r;
        }
        ++counts.refused;
        if (auto slept = co_await sleep(std::chrono::microseconds(1)); !slept) {
            co_return slept;
        }
    }
}

constexpr uint32_t kHopRounds = 4;

// Each round: a channel on `home`, a write, then over to `away`, where the
// channel is dropped: its put goes home by a message that must not be lost.
Task<Result<void>> hopper(ThreadRef home, ThreadRef away, BdevDesc &desc, uint64_t block,
                          HopCounts &counts) {
    auto buf = DmaBuf::alloc(kBlockSize);
    if (!buf) {
        co_return fail(buf.error());
    }
    for (uint32_t round = 0; round < kHopRounds; ++round) {
        if (auto r = co_await hop(home, counts); !r) {
            co_return r;
        }
        auto ch = desc.io_channel();
        if (!ch) {
            co_return fail(ch.error());
        }
        buf->fill(std::byte{static_cast<uint8_t>(block + round)});
        if (auto w = co_await desc.write(*ch, *buf, block * kBlockSize); !w) {
            co_return w;
        }
        if (auto r = co_await hop(away, counts); !r) {
            co_return r;
        }
    }
    co_return Result<void>{};
}

constexpr uint64_t kHoppers = 16;

// The descriptor closes (in finish) only once every channel was put: a put lost
// to a full queue would hold the unregistration for ever.
Task<Result<void>> crowded(ThreadRef w1, ThreadRef w2, HopCounts &counts) {
    return with_sim0([w1, w2, &counts](BdevDesc &desc) -> Task<Result<void>> {
        const ThreadRef app = ThreadRef::current();
        std::vector<Task<Result<void>>> hoppers;
        for (uint64_t i = 0; i < kHoppers; ++i) {
            hoppers.push_back(i % 2 == 0 ? hopper(w1, w2, desc, i, counts)
                                         : hopper(w2, w1, desc, i, counts));
        }
        // The last hopper ends on a worker: its resumption of this task is a
        // message to the app thread, retried while the app's queue is full.
        for (auto &r : co_await when_all(std::move(hoppers))) {
            if (!r) {
                co_return r;
            }
        }
        if (!app.is_current()) {
            co_return fail(ErrorKind::WrongThread, "when_all resumed off the app thread");
        }
        for (uint64_t block = 0; block < kHoppers; ++block) {
            const auto want = std::byte{static_cast<uint8_t>(block + kHopRounds - 1)};
            if (g_disk->data[block * kBlockSize] != want) {
                co_return fail(ErrorKind::IoFailed,
                               "block " + std::to_string(block) + " does not hold its last write");
            }
        }
        co_return Result<void>{};
    });
}

Result<void> run_crowded(ThreadDriver &driver, HopCounts &total) {
    SimDisk &disk = new_disk(driver);
    auto t = add_threads(driver);
    if (!t) {
        return fail(t.error());
    }
    HopCounts counts;
    auto r = driver.run(t->app, crowded(t->w1, t->w2, counts));
    total.refused += counts.refused;
    total.hops += counts.hops;
    if (r && counts.hops != kHoppers * kHopRounds * 2) {
        r = fail(ErrorKind::Other, std::to_string(counts.hops) + " hops of " +
                                       std::to_string(kHoppers * kHopRounds * 2));
    }
    if (r && !disk.destructed) {
        r = fail(ErrorKind::Other, "Sim0 was never destructed");
    }
    return r;
}

// Message queues of 2 to 16 (the seed picks): hops find them full and try again;
// the wrappers' own messages (a channel's put, when_all's resumption) are retried,
// never lost nor run on another thread; every write lands, every channel is put.
TEST_F(Simulation, FullMessageQueuesRefuseHopsAndLoseNoReleaseOrResumption) {
    spdkcpp_embedded_mem_stats before{};
    spdkcpp_embedded_get_mem_stats(&before);
    HopCounts total;
    const uint64_t seeds = seeds_from_env(200) / 2;
    auto report = simulate({.first_seed = 1, .seeds = seeds, .faults = {.message_queue = 16}},
                           [&](ThreadDriver &d) { return run_crowded(d, total); });
    EXPECT_FALSE(report.failure) << report.describe();
    EXPECT_EQ(report.seeds_run, seeds);
    // The fault was reached: sends found full queues.
    EXPECT_GT(total.refused, 0U) << report.describe();
    std::printf("full-queue simulation: %s; %llu hops refused\n", report.describe().c_str(),
                static_cast<unsigned long long>(total.refused));
    spdkcpp_embedded_mem_stats after{};
    spdkcpp_embedded_get_mem_stats(&after);
    EXPECT_EQ(after.allocations_in_use, before.allocations_in_use) << "DMA memory leaked";
}

#else

TEST_F(Simulation, TheMessageQueueFaultIsRefusedOnSpdk) {
    auto report = simulate({.seeds = 1, .faults = {.message_queue = 16}},
                           [](ThreadDriver &) -> Result<void> { return {}; });
    ASSERT_TRUE(report.failure);
    EXPECT_EQ(report.failure->error.kind(), ErrorKind::NotSupported);
    EXPECT_EQ(report.seeds_run, 0U);
}

#endif

// --- I/O errors injected through the error bdev ----------------------------------------

struct InjectedCounts {
    uint64_t failed_writes = 0;
    uint64_t failed_reads = 0;
};

constexpr uint64_t kFaultLanes = 8;  // per thread
constexpr uint32_t kFaultRounds = 4;

// Each lane writes its block and reads it back, kFaultRounds times. A write or a
// read may fail (IoFailed: an injected error); every read that succeeds must give
// what the last successful write left on the disk.
Task<Result<void>> faulty_lanes(ThreadRef thread, BdevDesc &desc, uint64_t first_block,
                                InjectedCounts &counts) {
    return run_lanes(
        thread, desc, first_block, kFaultLanes,
        [&desc, &counts](BdevChannel &ch, uint64_t block, DmaBuf &out,
                         DmaBuf &in) -> Task<Result<void>> {
            auto on_disk = std::byte{0};  // the simulated disk starts zeroed
            for (uint32_t round = 1; round <= kFaultRounds; ++round) {
                const auto pattern = std::byte{static_cast<uint8_t>(block * kFaultRounds + round)};
                out.fill(pattern);
                if (auto w = co_await desc.write(ch, out, block * kBlockSize); w) {
                    on_disk = pattern;
                } else if (w.error().kind() == ErrorKind::IoFailed) {
                    ++counts.failed_writes;
                } else {
                    co_return w;
                }
                auto r = co_await desc.read(ch, in, block * kBlockSize);
                if (!r) {
                    if (r.error().kind() != ErrorKind::IoFailed) {
                        co_return r;
                    }
                    ++counts.failed_reads;
                    continue;
                }
                const auto *bytes = in.data();
                if (std::any_of(bytes, bytes + kBlockSize,
                                [&](std::byte b) { return b != on_disk; })) {
                    co_return fail(ErrorKind::IoFailed, "block " + std::to_string(block) +
                                                            " read back other than it holds");
                }
            }
            co_return Result<void>{};
        });
}

// The seed's injection into EE_Sim0: failures or NOMEM, of reads, writes or all,
// 1 to 8 of them, some only at a queue depth.
error_bdev::Injection choose_injection(ThreadDriver &driver) {
    using error_bdev::ErrorType;
    using error_bdev::InjectTarget;
    constexpr std::array targets{InjectTarget::Read, InjectTarget::Write, InjectTarget::All};
    constexpr std::array depths{0U, 0U, 1U, 2U};
    error_bdev::Injection injection;
    injection.type = driver.random(2) == 0 ? ErrorType::Failure : ErrorType::NoMemory;
    injection.target = targets[driver.random(targets.size())];
    injection.count = 1 + static_cast<uint32_t>(driver.random(8));
    injection.queue_depth = depths[driver.random(depths.size())];
    static constexpr std::array<const char *, 3> target_names{"reads", "writes", "all I/O"};
    driver.note(
        std::string(injection.type == ErrorType::Failure ? "failure" : "nomem") + " of the next " +
        std::to_string(injection.count) + " " +
        target_names[static_cast<std::size_t>(
            injection.target == InjectTarget::All ? 2 : injection.target == InjectTarget::Write)] +
        " of EE_Sim0 at queue depth " + std::to_string(injection.queue_depth));
    return injection;
}

// What must have failed: an injected failure takes exactly `count` I/O of each
// type it names (at queue depth 0; at most that many at a depth, as the depth may
// not be reached); NOMEM is retried by the bdev layer and fails nothing.
Result<void> check_injected(const error_bdev::Injection &injection, const InjectedCounts &counts) {
    using error_bdev::ErrorType;
    using error_bdev::InjectTarget;
    const bool failing = injection.type == ErrorType::Failure;
    const bool reads = failing && injection.target != InjectTarget::Write;
    const bool writes = failing && injection.target != InjectTarget::Read;
    auto expect = [&](bool hit, uint64_t failed, const char *what) -> Result<void> {
        const uint64_t want = hit ? injection.count : 0;
        const bool ok = injection.queue_depth == 0 ? failed == want : failed <= want;
        if (!ok) {
            return fail(ErrorKind::Other, std::to_string(failed) + " " + what + " failed, " +
                                              std::to_string(want) + " injected");
        }
        return {};
    };
    if (auto r = expect(reads, counts.failed_reads, "reads"); !r) {
        return r;
    }
    return expect(writes, counts.failed_writes, "writes");
}

Task<Result<void>> injected(ThreadDriver &driver, ThreadRef w1, ThreadRef w2,
                            InjectedCounts &counts) {
    if (auto r = co_await init_subsystems(); !r) {
        co_return r;
    }
    Result<void> outcome = register_disk(*g_disk);
    error_bdev::ErrorModule *module = error_bdev::module.get();
    if (outcome && module == nullptr) {
        outcome = fail(ErrorKind::Other, "the error module did not start");
    }
    if (outcome) {
        outcome = module->create("Sim0", std::nullopt);
    }
    const error_bdev::Injection injection = choose_injection(driver);
    if (outcome) {
        outcome = module->inject("EE_Sim0", injection);
    }
    if (outcome) {
        auto desc = BdevDesc::open("EE_Sim0", OpenMode::ReadWrite);
        if (!desc) {
            outcome = fail(desc.error());
        } else {
            auto [a, b] = co_await when_all(faulty_lanes(w1, *desc, 0, counts),
                                            faulty_lanes(w2, *desc, kFaultLanes, counts));
            outcome = !a ? a : b;
            if (outcome) {
                outcome = check_injected(injection, counts);
            }
        }
    }
    // Removing the base takes the error bdev with it.
    co_return co_await finish(std::move(outcome), "EE_Sim0");
}

Result<void> run_injected(ThreadDriver &driver, InjectedCounts &total) {
    SimDisk &disk = new_disk(driver);
    auto t = add_threads(driver);
    if (!t) {
        return fail(t.error());
    }
    InjectedCounts counts;
    auto r = driver.run(t->app, injected(driver, t->w1, t->w2, counts));
    total.failed_reads += counts.failed_reads;
    total.failed_writes += counts.failed_writes;
    if (r && disk.outstanding != 0) {
        r = fail(ErrorKind::Other, std::to_string(disk.outstanding) + " I/O never completed");
    }
    return r;
}

// Failures and NOMEM injected by seed through the error bdev, on a disk that
// completes late and out of order: exactly the injected I/O fail, NOMEM is
// retried, and no read gives other than the disk holds. (Not with a small
// bdev_io pool: a stacked I/O holds an spdk_bdev_io while it waits for a second
// one for its base, and SPDK wakes a waiter only for an spdk_bdev_io freed on its
// own thread, so once every I/O of a thread waits, it waits for ever: the
// simulator found such seeds, on SPDK too. Stacked bdevs need a pool larger than
// the I/O above and below them together.)
TEST_F(Simulation, InjectedIoErrorsFailExactlyTheirIoAndLoseNoData) {
    InjectedCounts total;
    auto report = simulate({.first_seed = 1, .seeds = seeds_from_env(200)},
                           [&](ThreadDriver &d) { return run_injected(d, total); });
    EXPECT_FALSE(report.failure) << report.describe();
    EXPECT_GT(total.failed_reads, 0U);
    EXPECT_GT(total.failed_writes, 0U);
    std::printf("injected-error simulation: %s; %llu reads and %llu writes failed\n",
                report.describe().c_str(), static_cast<unsigned long long>(total.failed_reads),
                static_cast<unsigned long long>(total.failed_writes));
}

// --- for_each_channel while the device is unregistered -----------------------------

struct Tally {
    uint32_t created = 0;
    uint32_t destroyed = 0;
    uint32_t visits = 0;
    uint32_t visited_twice = 0;
};

struct Slot {
    explicit Slot(const std::shared_ptr<Tally> &t) : tally(t.get()) { ++tally->created; }
    Slot(const Slot &) = delete;
    Slot &operator=(const Slot &) = delete;
    ~Slot() {
        ++tally->destroyed;
        tally->visits += visits;
        tally->visited_twice += visits > 1 ? 1 : 0;
    }
    Tally *tally;
    uint32_t visits = 0;
};

// Holds a channel of the device on `thread` for as many yields as the seed says.
Task<Result<void>> holder(ThreadRef thread, IoDevice<Slot> &dev, uint64_t hold) {
    if (auto r = co_await on(thread); !r) {
        co_return r;
    }
    auto ch = dev.channel();
    if (!ch) {
        // The unregistration came first: the device hands out no channel.
        co_return ch.error().kind() == ErrorKind::Closed ? Result<void>{} : fail(ch.error());
    }
    for (uint64_t i = 0; i < hold; ++i) {
        co_await yield();
    }
    co_return Result<void>{};  // the channel is put here, on its thread
}

// Two threads hold channels for a while, the app thread walks them, and the
// device is unregistered at a point the seed picks: before the walk (Closed),
// during it (the walk finishes first), or after it.
Task<Result<void>> walk_while_unregistering(ThreadDriver &driver, ThreadRef w1, ThreadRef w2,
                                            const std::shared_ptr<Tally> &tally) {
    auto dev = IoDevice<Slot>::create("walked", tally);
    if (!dev) {
        co_return fail(dev.error());
    }
    const ThreadRef app = ThreadRef::current();
    const uint64_t hold1 = driver.random(16);
    const uint64_t hold2 = driver.random(16);
    const uint64_t delay = driver.random(24);
    driver.note("channels held " + std::to_string(hold1) + " and " + std::to_string(hold2) +
                " yields; io_device unregistered after " + std::to_string(delay));
    auto walk = [&]() -> Task<Result<void>> {
        co_await yield();
        auto r = co_await dev->for_each_channel([](Slot &slot) { ++slot.visits; });
        if (!app.is_current()) {
            co_return fail(ErrorKind::WrongThread, "for_each_channel continued off its thread");
        }
        if (!r && r.error().kind() != ErrorKind::Closed) {
            co_return r;
        }
        co_return Result<void>{};
    };
    auto unregister = [&]() -> Task<Result<void>> {
        for (uint64_t i = 0; i < delay; ++i) {
            co_await yield();
        }
        dev->unregister();
        co_return Result<void>{};
    };
    auto [a, b, c, d] =
        co_await when_all(holder(w1, *dev, hold1), holder(w2, *dev, hold2), walk(), unregister());
    for (auto *r : {&a, &b, &c, &d}) {
        if (!*r) {
            co_return *r;
        }
    }
    co_return Result<void>{};
}

Result<void> run_walk(ThreadDriver &driver) {
    auto t = add_threads(driver);
    if (!t) {
        return fail(t.error());
    }
    auto tally = std::make_shared<Tally>();
    auto r = driver.run(t->app, walk_while_unregistering(driver, t->w1, t->w2, tally));
    if (!r) {
        return r;
    }
    if (tally->created != tally->destroyed) {
        return fail(ErrorKind::Other, std::to_string(tally->created) + " channels made, " +
                                          std::to_string(tally->destroyed) + " destroyed");
    }
    if (tally->visited_twice != 0) {
        return fail(ErrorKind::Other, "a channel was visited twice by one walk");
    }
    // The device's copy of the tally goes with its registration, once the walk
    // and the channels let the unregistration finish.
    if (tally.use_count() != 1) {
        return fail(ErrorKind::Other, "the io_device's registration was never freed");
    }
    return {};
}

TEST_F(Simulation, ForEachChannelDuringUnregisterFinishesFirstAndEveryChannelGoes) {
    auto report = simulate({.first_seed = 1, .seeds = seeds_from_env(200)}, run_walk);
    EXPECT_FALSE(report.failure) << report.describe();
    EXPECT_GT(report.interleavings, 50U) << report.describe();
    std::printf("for_each_channel simulation: %s\n", report.describe().c_str());
}

#endif

}  // namespace
}  // namespace spdkcpp
