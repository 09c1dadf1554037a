// Conformance of the app framework (spdk/event.h): options, the command line, and
// spdk_app_start/stop with real reactors. Each test starts an application, does
// one thing and stops it; nothing waits on a timer.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "internal/rpc.hpp"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/init.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"
#include "thread_test_util.hpp"

namespace {

using spdk_test::LogCapture;

// --- a subsystem and an RPC method, to see the order of start-up and shut-down -------

std::vector<std::string> g_order;

void app_test_init() {
    g_order.emplace_back("subsystem init");
    spdk_subsystem_init_next(0);
}
void app_test_fini() {
    g_order.emplace_back("subsystem fini");
    spdk_subsystem_fini_next();
}
spdk_subsystem g_app_test_subsystem = {"app_test", app_test_init, app_test_fini, nullptr, {}};
SPDK_SUBSYSTEM_REGISTER(g_app_test_subsystem)

int rpc_app_test_set(const nlohmann::json &params, std::string &error) {
    if (!params.contains("size") || !params["size"].is_number_unsigned()) {
        error = "size: missing or not a positive integer";
        return -EINVAL;
    }
    g_order.push_back(std::string("config ") + std::to_string(params["size"].get<unsigned>()) +
                      (spdk_thread_is_app_thread(nullptr) ? " on app thread" : " elsewhere"));
    return 0;
}
SPDK_EMBEDDED_RPC_REGISTER("app_test_set", rpc_app_test_set, SPDK_RPC_RUNTIME);

// Allowed before the subsystems are initialized only, as bdev_set_options.
int rpc_app_test_early(const nlohmann::json & /*params*/, std::string & /*error*/) {
    g_order.emplace_back("early config");
    return 0;
}
SPDK_EMBEDDED_RPC_REGISTER("app_test_early", rpc_app_test_early, SPDK_RPC_STARTUP);

spdk_app_opts make_opts(const char *mask = "0x1") {
    spdk_app_opts opts{};
    spdk_app_opts_init(&opts, sizeof(opts));
    opts.name = "event_test";
    opts.reactor_mask = mask;
    opts.no_huge = true;
    opts.print_level = SPDK_LOG_WARN;
    // No RPC socket: tests run in parallel, and must not need SPDK's default path.
    opts.rpc_addr = nullptr;
    return opts;
}

class AppTest : public ::testing::Test {
  protected:
    void SetUp() override { g_order.clear(); }
    void TearDown() override {
        spdk_app_fini();
        EXPECT_EQ(spdk_thread_get_count(), 0U);
    }
};

// --- options ---------------------------------------------------------------------------

TEST(AppOpts, InitFillsSpdksDefaults) {
    spdk_app_opts opts;
    std::memset(&opts, 0x5a, sizeof(opts));
    spdk_app_opts_init(&opts, sizeof(opts));
    EXPECT_EQ(opts.opts_size, sizeof(opts));
    EXPECT_EQ(opts.name, nullptr);
    EXPECT_EQ(opts.reactor_mask, nullptr);
    EXPECT_EQ(opts.json_config_file, nullptr);
    EXPECT_EQ(opts.shm_id, -1);
    EXPECT_EQ(opts.mem_size, -1);
    EXPECT_EQ(opts.main_core, -1);
    EXPECT_EQ(opts.mem_channel, -1);
    EXPECT_TRUE(opts.enable_coredump);
    EXPECT_STREQ(opts.rpc_addr, SPDK_DEFAULT_RPC_ADDR);
    EXPECT_EQ(opts.print_level, SPDK_LOG_INFO);
    EXPECT_EQ(opts.rpc_log_level, SPDK_LOG_DISABLED);
    EXPECT_EQ(opts.json_data, nullptr);
    EXPECT_EQ(opts.json_data_size, 0U);
    EXPECT_FALSE(opts.disable_signal_handlers);
    EXPECT_FALSE(opts.disable_cpumask_locks);
    EXPECT_EQ(opts.msg_mempool_size, 0U);
}

TEST(AppOpts, InitLeavesFieldsPastOptsSizeAlone) {
    spdk_app_opts opts;
    std::memset(&opts, 0x5a, sizeof(opts));
    const size_t older = offsetof(spdk_app_opts, msg_mempool_size);
    spdk_app_opts_init(&opts, older);
    EXPECT_EQ(opts.opts_size, older);
    EXPECT_EQ(opts.shm_id, -1);
    uint8_t tail[sizeof(opts) - older];
    std::memcpy(tail, reinterpret_cast<uint8_t *>(&opts) + older, sizeof(tail));
    for (uint8_t byte : tail) {
        EXPECT_EQ(byte, 0x5a);
    }
}

TEST(AppOpts, LayoutIsSpdks) {
    EXPECT_EQ(sizeof(spdk_app_opts), 253U);
    EXPECT_EQ(offsetof(spdk_app_opts, shutdown_cb), 56U);
    EXPECT_EQ(offsetof(spdk_app_opts, print_level), 96U);
    EXPECT_EQ(offsetof(spdk_app_opts, opts_size), 176U);
    EXPECT_EQ(offsetof(spdk_app_opts, json_data), 236U);
    EXPECT_EQ(offsetof(spdk_app_opts, disable_cpumask_locks), 252U);
}

// --- start and stop ----------------------------------------------------------------------

struct StartCheck {
    bool called = false;
    bool on_app_thread = false;
    uint32_t core = UINT32_MAX;
    uint32_t main_core = UINT32_MAX;
    int stop_rc = 0;
};

TEST_F(AppTest, StartRunsStartFnOnTheAppThreadAfterSubsystemsAndReturnsTheStopRc) {
    spdk_app_opts opts = make_opts();
    StartCheck check;
    check.stop_rc = 7;
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            auto *c = static_cast<StartCheck *>(arg);
            c->called = true;
            c->on_app_thread = spdk_get_thread() != nullptr &&
                               spdk_get_thread() == spdk_thread_get_app_thread() &&
                               spdk_thread_is_app_thread(nullptr);
            c->core = spdk_env_get_current_core();
            c->main_core = spdk_env_get_main_core();
            g_order.emplace_back("start_fn");
            spdk_app_stop(c->stop_rc);
        },
        &check);
    EXPECT_EQ(rc, 7);
    EXPECT_TRUE(check.called);
    EXPECT_TRUE(check.on_app_thread);
    EXPECT_EQ(check.core, check.main_core);
    EXPECT_EQ(g_order, (std::vector<std::string>{"subsystem init", "start_fn", "subsystem fini"}));
}

TEST_F(AppTest, FirstNonZeroStopRcWins) {
    spdk_app_opts opts = make_opts();
    const int rc = spdk_app_start(
        &opts,
        [](void *) {
            spdk_app_stop(4);
            spdk_app_stop(9);
        },
        nullptr);
    EXPECT_EQ(rc, 4);
}

TEST_F(AppTest, BadArgumentsAndCoreMaskAreRefused) {
    LogCapture log;
    bool called = false;
    auto start = [](void *arg) {
        *static_cast<bool *>(arg) = true;
        spdk_app_stop(0);
    };
    EXPECT_NE(spdk_app_start(nullptr, start, &called), 0);
    spdk_app_opts opts = make_opts();
    EXPECT_NE(spdk_app_start(&opts, nullptr, &called), 0);
    opts.name = nullptr;
    EXPECT_NE(spdk_app_start(&opts, start, &called), 0);
    opts = make_opts("0xZZ");
    EXPECT_NE(spdk_app_start(&opts, start, &called), 0);
    EXPECT_TRUE(log.contains("0xZZ"));
    opts = make_opts("[0-");
    EXPECT_NE(spdk_app_start(&opts, start, &called), 0);
    opts = make_opts();
    opts.main_core = 5;  // not in the mask
    EXPECT_NE(spdk_app_start(&opts, start, &called), 0);
    opts = make_opts();
    opts.delay_subsystem_init = true;  // needs an RPC server, and there is none
    EXPECT_NE(spdk_app_start(&opts, start, &called), 0);
    EXPECT_FALSE(called);
    // And the framework still starts afterwards.
    opts = make_opts();
    EXPECT_EQ(spdk_app_start(&opts, start, &called), 0);
    EXPECT_TRUE(called);
}

TEST_F(AppTest, OptionsOfAnOlderLayoutAreHonoured) {
    // A caller built when spdk_app_opts ended before msg_mempool_size.
    spdk_app_opts opts = make_opts();
    opts.opts_size = offsetof(spdk_app_opts, msg_mempool_size);
    opts.json_data = reinterpret_cast<void *>(0x1);  // past opts_size: must be ignored
    opts.json_data_size = 1;
    opts.shm_id = 42;
    int shm_id = 0;
    EXPECT_EQ(spdk_app_start(
                  &opts,
                  [](void *arg) {
                      *static_cast<int *>(arg) = spdk_app_get_shm_id();
                      spdk_app_stop(0);
                  },
                  &shm_id),
              0);
    EXPECT_EQ(shm_id, 42);
}

// A thread on the second reactor, a poller on it and a message bouncing between it
// and the app thread.
struct Bounce {
    spdk_thread *app = nullptr;
    spdk_thread *worker = nullptr;
    spdk_poller *poller = nullptr;
    std::atomic<int> poller_runs{0};
    int hits = 0;
    uint32_t app_core = UINT32_MAX;
    uint32_t worker_core = UINT32_MAX;
};

void bounce(void *arg);

void finish_worker(void *arg) {
    auto *b = static_cast<Bounce *>(arg);
    spdk_poller_unregister(&b->poller);
    spdk_thread_exit(spdk_get_thread());
    spdk_thread_send_msg(
        b->app, [](void *) { spdk_app_stop(0); }, nullptr);
}

void bounce(void *arg) {
    auto *b = static_cast<Bounce *>(arg);
    if (spdk_get_thread() == b->worker) {
        b->worker_core = spdk_env_get_current_core();
        spdk_thread_send_msg(b->app, bounce, b);
        return;
    }
    b->app_core = spdk_env_get_current_core();
    if (++b->hits == 100 && b->poller_runs.load() > 0) {
        spdk_thread_send_msg(b->worker, finish_worker, b);
        return;
    }
    spdk_thread_send_msg(b->worker, bounce, b);
}

TEST_F(AppTest, MessagesBounceBetweenThreadsOnTwoReactors) {
    spdk_app_opts opts = make_opts("0x3");
    Bounce b;
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            auto *bb = static_cast<Bounce *>(arg);
            bb->app = spdk_get_thread();
            spdk_cpuset core1{};
            spdk_cpuset_set_cpu(&core1, 1, true);
            bb->worker = spdk_thread_create("worker", &core1);
            spdk_thread_send_msg(
                bb->worker,
                [](void *a) {
                    auto *w = static_cast<Bounce *>(a);
                    w->poller = spdk_poller_register(
                        [](void *p) -> int {
                            static_cast<Bounce *>(p)->poller_runs.fetch_add(1);
                            return SPDK_POLLER_IDLE;
                        },
                        w, 0);
                    bounce(w);
                },
                bb);
        },
        &b);
    EXPECT_EQ(rc, 0);
    EXPECT_GE(b.hits, 100);
    EXPECT_EQ(b.app_core, 0U);
    EXPECT_EQ(b.worker_core, 1U);
    EXPECT_GT(b.poller_runs.load(), 0);
}

struct Placement {
    std::atomic<int> reported{0};
    uint32_t cores[4] = {};
    spdk_thread *threads[4] = {};
};

TEST_F(AppTest, ThreadsWithoutACpumaskAreSpreadRoundRobin) {
    spdk_app_opts opts = make_opts("0x3");
    Placement p;
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            auto *pl = static_cast<Placement *>(arg);
            for (auto &t : pl->threads) {
                t = spdk_thread_create(nullptr, nullptr);
            }
            for (int i = 0; i < 4; ++i) {
                struct Ask {
                    Placement *pl;
                    int i;
                };
                spdk_thread_send_msg(
                    pl->threads[i],
                    [](void *a) {
                        auto *ask = static_cast<Ask *>(a);
                        ask->pl->cores[ask->i] = spdk_env_get_current_core();
                        spdk_thread_exit(spdk_get_thread());
                        if (ask->pl->reported.fetch_add(1) == 3) {
                            spdk_app_stop(0);
                        }
                        delete ask;
                    },
                    new Ask{pl, i});
            }
        },
        &p);
    EXPECT_EQ(rc, 0);
    int on_core[2] = {0, 0};
    for (uint32_t core : p.cores) {
        ASSERT_LT(core, 2U);
        ++on_core[core];
    }
    EXPECT_EQ(on_core[0], 2);
    EXPECT_EQ(on_core[1], 2);
}

TEST_F(AppTest, ThreadMovesWhenItsCpumaskChanges) {
    spdk_app_opts opts = make_opts("0x3");
    struct Move {
        spdk_thread *thread = nullptr;
        uint32_t before = UINT32_MAX;
        uint32_t after = UINT32_MAX;
        int set_rc = -1;
    } m;
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            auto *mv = static_cast<Move *>(arg);
            spdk_cpuset core0{};
            spdk_cpuset_set_cpu(&core0, 0, true);
            mv->thread = spdk_thread_create("mover", &core0);
            spdk_thread_send_msg(
                mv->thread,
                [](void *a) {
                    auto *m2 = static_cast<Move *>(a);
                    m2->before = spdk_env_get_current_core();
                    spdk_cpuset core1{};
                    spdk_cpuset_set_cpu(&core1, 1, true);
                    m2->set_rc = spdk_thread_set_cpumask(&core1);
                    spdk_thread_send_msg(
                        spdk_get_thread(),
                        [](void *a2) {
                            auto *m3 = static_cast<Move *>(a2);
                            m3->after = spdk_env_get_current_core();
                            spdk_thread_exit(spdk_get_thread());
                            spdk_app_stop(0);
                        },
                        m2);
                },
                mv);
        },
        &m);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(m.set_rc, 0);
    EXPECT_EQ(m.before, 0U);
    EXPECT_EQ(m.after, 1U);
}

TEST_F(AppTest, StopFromAnotherReactorAndThreadsLeftRunningAreExited) {
    LogCapture log;
    spdk_app_opts opts = make_opts("0x3");
    const int rc = spdk_app_start(
        &opts,
        [](void *) {
            spdk_cpuset core1{};
            spdk_cpuset_set_cpu(&core1, 1, true);
            spdk_thread *t = spdk_thread_create("left_running", &core1);
            spdk_thread_send_msg(
                t, [](void *) { spdk_app_stop(5); }, nullptr);
        },
        nullptr);
    EXPECT_EQ(rc, 5);
    EXPECT_TRUE(log.contains("left_running"));
    // Only the app thread is left, until spdk_app_fini.
    EXPECT_EQ(spdk_thread_get_count(), 1U);
}

TEST_F(AppTest, EventsRunOnTheirReactor) {
    spdk_app_opts opts = make_opts("0x3");
    struct Ev {
        uint32_t core = UINT32_MAX;
        void *arg2 = nullptr;
        bool had_thread = true;
        bool bad_core_refused = false;
        const spdk_cpuset *mask_seen = nullptr;
        uint32_t mask_count = 0;
        int parsed = -1;
        uint32_t parsed_count = 0;
    } ev;
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            auto *e = static_cast<Ev *>(arg);
            e->bad_core_refused = spdk_event_allocate(7, nullptr, nullptr, nullptr) == nullptr;
            e->mask_seen = spdk_app_get_core_mask();
            e->mask_count = spdk_cpuset_count(e->mask_seen);
            spdk_cpuset parsed{};
            e->parsed = spdk_app_parse_core_mask("0xff", &parsed);
            e->parsed_count = spdk_cpuset_count(&parsed);
            spdk_event *event = spdk_event_allocate(
                1,
                [](void *a1, void *a2) {
                    auto *e2 = static_cast<Ev *>(a1);
                    e2->core = spdk_env_get_current_core();
                    e2->arg2 = a2;
                    e2->had_thread = spdk_get_thread() != nullptr;
                    spdk_app_stop(0);
                },
                e, &e->core);
            spdk_event_call(event);
        },
        &ev);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(ev.core, 1U);
    EXPECT_EQ(ev.arg2, &ev.core);
    EXPECT_FALSE(ev.had_thread);
    EXPECT_TRUE(ev.bad_core_refused);
    EXPECT_EQ(ev.mask_count, 2U);
    EXPECT_EQ(ev.parsed, 0);
    EXPECT_EQ(ev.parsed_count, 2U);  // restricted to the application's cores
}

// More events than a reactor's ring holds (65,536) queued before it runs any: none
// is lost and they run in the order they were called.
TEST_F(AppTest, EventsPastTheRingRunInOrder) {
    spdk_app_opts opts = make_opts("0x1");
    struct Ev {
        uint32_t next = 0;
        uint32_t out_of_order = 0;
        bool refused = false;
    } ev;
    static constexpr uint32_t kEvents = 70'000;
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            auto *e = static_cast<Ev *>(arg);
            for (uint32_t i = 0; i < kEvents; ++i) {
                spdk_event *event = spdk_event_allocate(
                    0,
                    [](void *a1, void *a2) {
                        auto *e2 = static_cast<Ev *>(a1);
                        const auto index = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(a2));
                        if (index != e2->next) {
                            ++e2->out_of_order;
                        }
                        if (++e2->next == kEvents) {
                            spdk_app_stop(0);
                        }
                    },
                    e, reinterpret_cast<void *>(static_cast<uintptr_t>(i)));
                if (event == nullptr) {
                    e->refused = true;
                    spdk_app_stop(1);
                    return;
                }
                spdk_event_call(event);
            }
        },
        &ev);
    EXPECT_EQ(rc, 0);
    EXPECT_FALSE(ev.refused);
    EXPECT_EQ(ev.next, kEvents);
    EXPECT_EQ(ev.out_of_order, 0U);
}

// spdk_event_call from a reactor and from an OS thread that is none: each producer's
// events run on the target reactor in the order that producer called them.
TEST_F(AppTest, EventsFromEveryThreadRunInOrderPerProducer) {
    spdk_app_opts opts = make_opts("0x3");
    static constexpr uint32_t kPerProducer = 20'000;
    struct Ev {
        uint32_t next[2] = {0, 0};  // touched on core 1 only
        uint32_t out_of_order = 0;
        uint32_t wrong_core = 0;
        std::atomic<bool> refused{false};
        std::thread outsider;
    } ev;
    struct Arg {
        Ev *ev;
        uint32_t producer;
    };
    static Arg args[2];
    args[0] = Arg{&ev, 0};
    args[1] = Arg{&ev, 1};
    // Posts kPerProducer events, numbered by their index, for producer p.
    static auto post = [](Ev *e, uint32_t p) {
        for (uint32_t i = 0; i < kPerProducer; ++i) {
            spdk_event *event = spdk_event_allocate(
                1,
                [](void *a1, void *a2) {
                    auto *a = static_cast<Arg *>(a1);
                    Ev *e2 = a->ev;
                    if (spdk_env_get_current_core() != 1) {
                        ++e2->wrong_core;
                    }
                    if (static_cast<uint32_t>(reinterpret_cast<uintptr_t>(a2)) !=
                        e2->next[a->producer]) {
                        ++e2->out_of_order;
                    }
                    ++e2->next[a->producer];
                    if (e2->next[0] + e2->next[1] == 2 * kPerProducer) {
                        spdk_app_stop(0);
                    }
                },
                &args[p], reinterpret_cast<void *>(static_cast<uintptr_t>(i)));
            if (event == nullptr) {
                e->refused = true;
                return;
            }
            spdk_event_call(event);
        }
    };
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            auto *e = static_cast<Ev *>(arg);
            e->outsider = std::thread([e] { post(e, 1); });
            post(e, 0);
        },
        &ev);
    ev.outsider.join();
    EXPECT_EQ(rc, 0);
    EXPECT_FALSE(ev.refused);
    EXPECT_EQ(ev.next[0], kPerProducer);
    EXPECT_EQ(ev.next[1], kPerProducer);
    EXPECT_EQ(ev.out_of_order, 0U);
    EXPECT_EQ(ev.wrong_core, 0U);
}

TEST_F(AppTest, StartsAgainAfterFini) {
    for (const char *mask : {"0x1", "0x3", "0x1"}) {
        spdk_app_opts opts = make_opts(mask);
        uint32_t count = 0;
        EXPECT_EQ(spdk_app_start(
                      &opts,
                      [](void *arg) {
                          *static_cast<uint32_t *>(arg) = spdk_env_get_core_count();
                          spdk_app_stop(0);
                      },
                      &count),
                  0);
        EXPECT_EQ(count, std::string(mask) == "0x3" ? 2U : 1U);
        spdk_app_fini();
    }
}

// --- shutdown ----------------------------------------------------------------------------

TEST_F(AppTest, SigintStopsTheApplication) {
    spdk_app_opts opts = make_opts();
    const int rc = spdk_app_start(
        &opts, [](void *) { std::raise(SIGINT); }, nullptr);
    EXPECT_EQ(rc, 0);
    // The process' own handler is back.
    struct sigaction now {};
    sigaction(SIGINT, nullptr, &now);
    EXPECT_EQ(now.sa_handler, SIG_DFL);
}

std::atomic<int> g_shutdown_calls{0};
std::atomic<bool> g_shutdown_on_app_thread{false};

TEST_F(AppTest, SigtermCallsTheShutdownCallbackOnTheAppThread) {
    g_shutdown_calls = 0;
    spdk_app_opts opts = make_opts();
    opts.shutdown_cb = [] {
        g_shutdown_calls.fetch_add(1);
        g_shutdown_on_app_thread = spdk_thread_is_app_thread(nullptr);
        spdk_app_stop(3);
    };
    const int rc = spdk_app_start(
        &opts,
        [](void *) {
            std::raise(SIGTERM);
            std::raise(SIGTERM);  // a second signal does not call the callback again
        },
        nullptr);
    EXPECT_EQ(rc, 3);
    EXPECT_EQ(g_shutdown_calls.load(), 1);
    EXPECT_TRUE(g_shutdown_on_app_thread.load());
}

TEST_F(AppTest, StartShutdownActsLikeASignal) {
    g_shutdown_calls = 0;
    spdk_app_opts opts = make_opts();
    opts.shutdown_cb = [] {
        g_shutdown_calls.fetch_add(1);
        spdk_app_stop(0);
    };
    EXPECT_EQ(spdk_app_start(
                  &opts, [](void *) { spdk_app_start_shutdown(); }, nullptr),
              0);
    EXPECT_EQ(g_shutdown_calls.load(), 1);
}

// --- JSON configuration -------------------------------------------------------------

std::string write_temp(const std::string &name, const std::string &text) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

// spdk_app_start(opts) with a start function that sets *called and stops at once.
int start_noting_call(spdk_app_opts *opts, bool *called) {
    return spdk_app_start(
        opts,
        [](void *arg) {
            *static_cast<bool *>(arg) = true;
            spdk_app_stop(0);
        },
        called);
}

TEST_F(AppTest, ConfigInMemoryIsAppliedBeforeStartFn) {
    std::string config =
        R"({"subsystems": [{"subsystem": "app_test", "config": [
            {"method": "app_test_set", "params": {"size": 8}}]}]})";
    spdk_app_opts opts = make_opts();
    opts.json_data = config.data();
    opts.json_data_size = config.size();
    const int rc = spdk_app_start(
        &opts,
        [](void *) {
            g_order.emplace_back("start_fn");
            spdk_app_stop(0);
        },
        nullptr);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(g_order, (std::vector<std::string>{"subsystem init", "config 8 on app thread",
                                                 "start_fn", "subsystem fini"}));
}

TEST_F(AppTest, ConfigIsAppliedInStartupStateThenInRuntimeState) {
    // As SPDK's app framework: STARTUP methods before the subsystems are
    // initialized, RUNTIME methods after, each once, in the order of the file.
    std::string config =
        R"({"subsystems": [{"subsystem": "app_test", "config": [
            {"method": "app_test_set", "params": {"size": 1}},
            {"method": "app_test_early"}]}]})";
    spdk_app_opts opts = make_opts();
    opts.json_data = config.data();
    opts.json_data_size = config.size();
    uint32_t state_at_start = 0;
    const int rc = spdk_app_start(
        &opts,
        [](void *arg) {
            *static_cast<uint32_t *>(arg) = spdk_rpc_get_state();
            spdk_app_stop(0);
        },
        &state_at_start);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(state_at_start, static_cast<uint32_t>(SPDK_RPC_RUNTIME));
    EXPECT_EQ(g_order, (std::vector<std::string>{"early config", "subsystem init",
                                                 "config 1 on app thread", "subsystem fini"}));
}

TEST_F(AppTest, ConfigFileIsApplied) {
    const std::string path = write_temp("event_test_ok.json",
                                        R"({"subsystems": [{"subsystem": "app_test", "config": [
            {"method": "app_test_set", "params": {"size": 4}}]}]})");
    spdk_app_opts opts = make_opts();
    opts.json_config_file = path.c_str();
    EXPECT_EQ(spdk_app_start(
                  &opts, [](void *) { spdk_app_stop(0); }, nullptr),
              0);
    EXPECT_EQ(g_order, (std::vector<std::string>{"subsystem init", "config 4 on app thread",
                                                 "subsystem fini"}));
    std::remove(path.c_str());
}

TEST_F(AppTest, MalformedConfigFileFailsTheStartAndNamesTheFile) {
    LogCapture log;
    const std::string path = write_temp("event_test_bad.json", R"({"subsystems": [ )");
    spdk_app_opts opts = make_opts();
    opts.json_config_file = path.c_str();
    bool called = false;
    const int rc = start_noting_call(&opts, &called);
    EXPECT_NE(rc, 0);
    EXPECT_FALSE(called);
    EXPECT_TRUE(log.contains(path)) << log.text();
    // As SPDK, the configuration is first read before the subsystems are initialized
    // (for its STARTUP methods): the start fails before any was.
    EXPECT_TRUE(g_order.empty());
    std::remove(path.c_str());
}

TEST_F(AppTest, FailingConfigMethodNamesFileMethodAndParameter) {
    LogCapture log;
    const std::string path = write_temp("event_test_fail.json",
                                        R"({"subsystems": [{"subsystem": "app_test", "config": [
            {"method": "app_test_set", "params": {"size": -1}}]}]})");
    spdk_app_opts opts = make_opts();
    opts.json_config_file = path.c_str();
    bool called = false;
    const int rc = start_noting_call(&opts, &called);
    EXPECT_NE(rc, 0);
    EXPECT_FALSE(called);
    const std::string text = log.text();
    EXPECT_NE(text.find(path), std::string::npos) << text;
    EXPECT_NE(text.find("app_test_set"), std::string::npos) << text;
    EXPECT_NE(text.find("size"), std::string::npos) << text;
    std::remove(path.c_str());
}

TEST_F(AppTest, IgnoredConfigErrorsLetTheApplicationStart) {
    LogCapture log;
    std::string config =
        R"({"subsystems": [{"subsystem": "app_test", "config": [
            {"method": "app_test_set", "params": {}},
            {"method": "app_test_set", "params": {"size": 2}}]}]})";
    spdk_app_opts opts = make_opts();
    opts.json_data = config.data();
    opts.json_data_size = config.size();
    opts.json_config_ignore_errors = true;
    EXPECT_EQ(spdk_app_start(
                  &opts, [](void *) { spdk_app_stop(0); }, nullptr),
              0);
    EXPECT_EQ(g_order, (std::vector<std::string>{"subsystem init", "config 2 on app thread",
                                                 "subsystem fini"}));
    EXPECT_TRUE(log.contains("size: missing"));
}

TEST_F(AppTest, MissingConfigFileFailsTheStart) {
    LogCapture log;
    spdk_app_opts opts = make_opts();
    opts.json_config_file = "/nonexistent/dir/config.json";
    EXPECT_NE(spdk_app_start(
                  &opts, [](void *) { spdk_app_stop(0); }, nullptr),
              0);
    EXPECT_TRUE(log.contains("/nonexistent/dir/config.json"));
    EXPECT_TRUE(g_order.empty());
}

// --- the command line ------------------------------------------------------------------

struct Args {
    std::vector<std::string> storage;
    std::vector<char *> argv;
    explicit Args(std::initializer_list<const char *> list) {
        for (const char *s : list) {
            storage.emplace_back(s);
        }
        for (auto &s : storage) {
            argv.push_back(s.data());
        }
        argv.push_back(nullptr);
    }
    int argc() const { return static_cast<int>(argv.size()) - 1; }
};

std::vector<std::pair<int, std::string>> g_app_args;

int collect_app_arg(int ch, char *arg) {
    g_app_args.emplace_back(ch, arg != nullptr ? arg : "");
    return ch == 'z' ? -EINVAL : 0;
}

void app_usage_text() {
    std::printf(" -x <val>  an application option\n");
}

TEST(AppParseArgs, CommonOptionsFillTheOptions) {
    const std::string config = write_temp("event_test_args.json", "{}");
    Args args{"prog",
              "-m",
              "0x3",
              "-c",
              config.c_str(),
              "-s",
              "64",
              "--no-huge",
              "--no-pci",
              "-r",
              "/tmp/x.sock",
              "-i",
              "3",
              "-p",
              "1",
              "-e",
              "0x10",
              "-L",
              "all",
              "--json-ignore-init-errors",
              "--silence-noticelog"};
    spdk_app_opts opts{};
    spdk_app_opts_init(&opts, sizeof(opts));
    ASSERT_EQ(spdk_app_parse_args(args.argc(), args.argv.data(), &opts, nullptr, nullptr, nullptr,
                                  nullptr),
              SPDK_APP_PARSE_ARGS_SUCCESS);
    EXPECT_STREQ(opts.reactor_mask, "0x3");
    EXPECT_STREQ(opts.json_config_file, config.c_str());
    EXPECT_EQ(opts.mem_size, 64);
    EXPECT_TRUE(opts.no_huge);
    EXPECT_TRUE(opts.no_pci);
    EXPECT_STREQ(opts.rpc_addr, "/tmp/x.sock");
    EXPECT_EQ(opts.shm_id, 3);
    EXPECT_EQ(opts.main_core, 1);
    EXPECT_STREQ(opts.tpoint_group_mask, "0x10");
    EXPECT_TRUE(opts.json_config_ignore_errors);
    EXPECT_EQ(opts.print_level, SPDK_LOG_WARN);
    spdk_log_clear_flag("all");
    std::remove(config.c_str());
}

TEST(AppParseArgs, LongFormsAndJson) {
    Args args{"prog",       "--cpumask", "[0,1]",    "--json", "/dev/null",
              "--mem-size", "1G",        "--shm-id", "-2"};
    spdk_app_opts opts{};
    spdk_app_opts_init(&opts, sizeof(opts));
    ASSERT_EQ(spdk_app_parse_args(args.argc(), args.argv.data(), &opts, nullptr, nullptr, nullptr,
                                  nullptr),
              SPDK_APP_PARSE_ARGS_SUCCESS);
    EXPECT_STREQ(opts.reactor_mask, "[0,1]");
    EXPECT_STREQ(opts.json_config_file, "/dev/null");
    EXPECT_EQ(opts.mem_size, 1024);  // a size with a unit is converted to MB
    EXPECT_EQ(opts.shm_id, -2);
}

TEST(AppParseArgs, ApplicationOptionsGoToItsParser) {
    g_app_args.clear();
    const struct option long_opts[] = {{"flavour", required_argument, nullptr, 'f'},
                                       {nullptr, 0, nullptr, 0}};
    Args args{"prog", "-x", "42", "-m", "0x1", "--flavour", "mint", "-q"};
    spdk_app_opts opts{};
    spdk_app_opts_init(&opts, sizeof(opts));
    ASSERT_EQ(spdk_app_parse_args(args.argc(), args.argv.data(), &opts, "x:f:q", long_opts,
                                  collect_app_arg, app_usage_text),
              SPDK_APP_PARSE_ARGS_SUCCESS);
    EXPECT_EQ(g_app_args,
              (std::vector<std::pair<int, std::string>>{{'x', "42"}, {'f', "mint"}, {'q', ""}}));
    EXPECT_STREQ(opts.reactor_mask, "0x1");
}

TEST(AppParseArgs, BadCommandLinesFail) {
    LogCapture log;
    const std::vector<std::vector<const char *>> bad = {
        {"prog", "--no-such-option"},
        {"prog", "-Q"},
        {"prog", "-m"},  // missing argument
        {"prog", "-s", "lots"},
        {"prog", "-L", "no_such_log_flag"},
        {"prog", "-m", "0x1", "--lcores", "0@1"},
        {"prog", "-i", "abc"},
        {"prog", "-p", "-1"},
        {"prog", "--num-trace-entries", "3"},
        {"prog", "-z"},  // the application's parser refuses it
    };
    for (const auto &line : bad) {
        std::vector<std::string> storage(line.begin(), line.end());
        std::vector<char *> argv;
        for (auto &s : storage) {
            argv.push_back(s.data());
        }
        argv.push_back(nullptr);
        spdk_app_opts opts{};
        spdk_app_opts_init(&opts, sizeof(opts));
        EXPECT_EQ(spdk_app_parse_args(static_cast<int>(storage.size()), argv.data(), &opts, "z",
                                      nullptr, collect_app_arg, nullptr),
                  SPDK_APP_PARSE_ARGS_FAIL)
            << storage.back();
    }
}

TEST(AppParseArgs, ConflictingApplicationLetterFails) {
    LogCapture log;
    Args args{"prog"};
    spdk_app_opts opts{};
    spdk_app_opts_init(&opts, sizeof(opts));
    EXPECT_EQ(spdk_app_parse_args(args.argc(), args.argv.data(), &opts, "ab:m:", nullptr,
                                  collect_app_arg, nullptr),
              SPDK_APP_PARSE_ARGS_FAIL);
    EXPECT_TRUE(log.contains("-m"));
    // Options but no parser.
    EXPECT_EQ(
        spdk_app_parse_args(args.argc(), args.argv.data(), &opts, "a", nullptr, nullptr, nullptr),
        SPDK_APP_PARSE_ARGS_FAIL);
}

TEST(AppParseArgs, HelpPrintsUsage) {
    Args args{"prog", "-h"};
    spdk_app_opts opts{};
    spdk_app_opts_init(&opts, sizeof(opts));
    ::testing::internal::CaptureStdout();
    const auto rc = spdk_app_parse_args(args.argc(), args.argv.data(), &opts, "x:", nullptr,
                                        collect_app_arg, app_usage_text);
    const std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(rc, SPDK_APP_PARSE_ARGS_HELP);
    EXPECT_NE(out.find("--cpumask"), std::string::npos);
    EXPECT_NE(out.find("an application option"), std::string::npos);
    ::testing::internal::CaptureStdout();
    spdk_app_usage();
    EXPECT_NE(::testing::internal::GetCapturedStdout().find("--json"), std::string::npos);
}

TEST(AppParseArgs, UnreadableConfigIsDropped) {
    LogCapture log;
    Args args{"prog"};
    spdk_app_opts opts{};
    spdk_app_opts_init(&opts, sizeof(opts));
    opts.json_config_file = "/nonexistent/config.json";
    EXPECT_EQ(spdk_app_parse_args(args.argc(), args.argv.data(), &opts, nullptr, nullptr, nullptr,
                                  nullptr),
              SPDK_APP_PARSE_ARGS_SUCCESS);
    EXPECT_EQ(opts.json_config_file, nullptr);
}

}  // namespace
