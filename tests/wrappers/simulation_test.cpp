// Seeded simulation (simulation.hpp, ThreadDriver's seeded schedule): the same seed
// replays the same run; seeds differ in their interleavings; and the wrappers'
// lifecycle rules hold over many seeds: a descriptor closed by a hot remove while
// I/O is in flight on two other threads closes only once its channels are put, so
// no I/O completes after it closed.
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
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/subsystems.hpp"
#include "spdkcpp/when_all.hpp"

#ifdef SPDKCPP_TEST_EMBEDDED
#include "spdkcpp_embedded/stats.h"
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

struct SimChannel {
    std::deque<spdk_bdev_io *> held;
    spdk_poller *poller = nullptr;
};

// Completes the oldest held I/O of this channel when the seed says so: busy while
// it holds any, so that the driver keeps polling until they are done.
int complete_some(void *arg) {
    auto *ch = static_cast<SimChannel *>(arg);
    if (ch->held.empty()) {
        return SPDK_POLLER_IDLE;
    }
    if (g_disk->driver->random(3) == 0) {
        spdk_bdev_io *io = ch->held.front();
        ch->held.pop_front();
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
    for (uint64_t i = 0; i < delay; ++i) {
        co_await yield();
    }
    int rc = 1;
    spdk_bdev_unregister(
        &g_disk->bdev, [](void *arg, int status) { *static_cast<int *>(arg) = status; }, &rc);
    // The unregistration ends once the descriptor closed (after its channels).
    for (uint32_t i = 0; rc == 1 && i < 1'000'000; ++i) {
        co_await yield();
    }
    co_return check(rc == 1 ? -ETIMEDOUT : rc, "unregistering Sim0");
}

Task<Result<void>> lifecycle(ThreadDriver &driver, ThreadRef w1, ThreadRef w2) {
    if (auto r = co_await init_subsystems(); !r) {
        co_return r;
    }
    Result<void> outcome = [&]() -> Result<void> { return register_disk(*g_disk); }();
    if (outcome) {
        auto desc = BdevDesc::open("Sim0", OpenMode::ReadWrite);
        if (!desc) {
            outcome = fail(desc.error());
        } else {
            auto [a, b, removed] =
                co_await when_all(writer(w1, *desc, 0), writer(w2, *desc, 8), remover(driver));
            if (!a || !b || !removed) {
                outcome = fail(!a ? a.error() : !b ? b.error() : removed.error());
            } else if (!g_disk->destructed) {
                outcome = fail(ErrorKind::Other, "Sim0 was never destructed");
            } else if (g_disk->completed_after_close != 0) {
                // The rule: a descriptor closes only after its channels' I/O.
                outcome = fail(ErrorKind::Other,
                               std::to_string(g_disk->completed_after_close) +
                                   " I/O of Sim0 completed after its descriptor closed");
            } else if (a->written + b->written == 0 && a->refused + b->refused == 0) {
                outcome = fail(ErrorKind::Other, "no writer did any I/O");
            }
        }
    }
    co_await fini_subsystems();
    co_return outcome;
}

Result<void> run_lifecycle(ThreadDriver &driver) {
    SimDisk disk;
    disk.driver = &driver;
    g_disk = &disk;
    auto app = driver.add_thread("app");
    auto w1 = driver.add_thread("w1");
    auto w2 = driver.add_thread("w2");
    if (!app || !w1 || !w2) {
        return fail(ErrorKind::OutOfMemory, "cannot create the scenario's threads");
    }
    auto r = driver.run(*app, lifecycle(driver, *w1, *w2));
    if (r && disk.outstanding != 0) {
        r = fail(ErrorKind::Other, std::to_string(disk.outstanding) + " I/O never completed");
    }
    return r;
}

#ifndef SPDKCPP_SIMULATION_WRONG_CLOSE_RULE
// (The wrong close rule's build runs only the scenario it breaks.)

// --- back-pressure: more I/O in flight than the bdev_io pool holds ------------------

constexpr uint32_t kLanesPerWriter = 20;

// kLanesPerWriter lanes, each writing a pattern to its own block and reading it
// back, four times; every lane's I/O starts at once.
Task<Result<void>> verify_lanes(ThreadRef thread, BdevDesc &desc, uint64_t first_block) {
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
        for (uint8_t round = 1; round <= 4; ++round) {
            out->fill(std::byte{static_cast<uint8_t>(block * 4 + round)});
            if (auto w = co_await desc.write(*ch, *out, block * kBlockSize); !w) {
                co_return w;
            }
            if (auto r = co_await desc.read(*ch, *in, block * kBlockSize); !r) {
                co_return r;
            }
            if (std::memcmp(in->data(), out->data(), kBlockSize) != 0) {
                co_return fail(ErrorKind::IoFailed,
                               "block " + std::to_string(block) + " read back other data");
            }
        }
        co_return Result<void>{};
    };
    std::vector<Task<Result<void>>> lanes;
    for (uint64_t i = 0; i < kLanesPerWriter; ++i) {
        lanes.push_back(lane(first_block + i));
    }
    for (auto &r : co_await when_all(std::move(lanes))) {
        if (!r) {
            co_return r;
        }
    }
    co_return Result<void>{};
}

Task<Result<void>> small_pool(ThreadRef w1, ThreadRef w2) {
    if (auto r = co_await init_subsystems(); !r) {
        co_return r;
    }
    Result<void> outcome = register_disk(*g_disk);
    if (outcome) {
        auto desc = BdevDesc::open("Sim0", OpenMode::ReadWrite);
        if (!desc) {
            outcome = fail(desc.error());
        } else {
            // Each thread's first channel fills that thread's spdk_bdev_io cache
            // from the pool, and fails (-ENOMEM, on SPDK too) once the other
            // thread's I/O holds the whole pool: a schedule the simulator found.
            // So both threads take a channel before any I/O starts.
            const ThreadRef app = ThreadRef::current();
            std::vector<Result<BdevChannel>> warm;
            for (ThreadRef t : {w1, w2}) {
                (void)co_await on(t);  // live threads: the hop cannot fail
                warm.push_back(desc->io_channel());
            }
            (void)co_await on(app);
            for (auto &ch : warm) {
                if (!ch) {
                    outcome = fail(ch.error());
                }
            }
            if (outcome) {
                auto [a, b] = co_await when_all(verify_lanes(w1, *desc, 0),
                                                verify_lanes(w2, *desc, kLanesPerWriter));
                outcome = !a ? a : b;
            }
        }
    }
    int rc = 1;
    if (spdk_bdev_get_by_name("Sim0") != nullptr) {
        spdk_bdev_unregister(
            &g_disk->bdev, [](void *arg, int status) { *static_cast<int *>(arg) = status; }, &rc);
        for (uint32_t i = 0; rc == 1 && i < 1'000'000; ++i) {
            co_await yield();
        }
        if (outcome && rc != 0) {
            outcome = check(rc == 1 ? -ETIMEDOUT : rc, "unregistering Sim0");
        }
    }
    co_await fini_subsystems();
    co_return outcome;
}

// A pool of 8 to 19 spdk_bdev_io (the seed picks) for 40 lanes, 20 a thread:
// submissions meet -ENOMEM and wait in place; every lane still reads back what it
// wrote, and the disk holds the whole pool at once, never more.
Result<void> run_small_pool(ThreadDriver &driver) {
    spdk_bdev_opts opts{};
    spdk_bdev_get_opts(&opts, sizeof(opts));
    spdk_bdev_opts saved = opts;
    const auto pool = static_cast<uint32_t>(8 + driver.random(12));
    opts.bdev_io_pool_size = pool;
    opts.bdev_io_cache_size = 1;
    if (const int rc = spdk_bdev_set_opts(&opts); rc != 0) {
        return fail(Error::from_errno(rc, "spdk_bdev_set_opts"));
    }
    SimDisk disk;
    disk.driver = &driver;
    g_disk = &disk;
    auto app = driver.add_thread("app");
    auto w1 = driver.add_thread("w1");
    auto w2 = driver.add_thread("w2");
    Result<void> r = app && w1 && w2 ? driver.run(*app, small_pool(*w1, *w2))
                                     : fail(ErrorKind::OutOfMemory, "threads");
    spdk_bdev_set_opts(&saved);
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

#ifndef SPDKCPP_SIMULATION_WRONG_CLOSE_RULE

// Each writer submits its kLanesPerWriter first writes at once (in one message,
// before any can complete) against a pool of at most 19: some wait for an
// spdk_bdev_io, in every seed.
TEST_F(Simulation, MoreIoThanThePoolHoldsWaitsAndReadsBackRightUnderEverySchedule) {
    static_assert(kLanesPerWriter > 8 + 11);
    const uint64_t seeds = seeds_from_env(200) / 2;
    auto report = simulate({.first_seed = 1, .seeds = seeds}, run_small_pool);
    EXPECT_FALSE(report.failure) << report.describe();
    EXPECT_EQ(report.seeds_run, seeds);
    std::printf("small-pool simulation: %s\n", report.describe().c_str());
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
}

#endif

}  // namespace
}  // namespace spdkcpp
