// Conformance of the embedded runtime's threads, messages, pollers, I/O devices and
// channels with SPDK's documented behaviour. Threads are driven by hand from the
// test's OS thread (spdk_thread_poll with an explicit `now`), so every test is
// deterministic; the few multi-OS-thread tests check the message ring under load.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include "spdk/env.h"
#include "spdk/thread.h"
#include "thread_test_util.hpp"

namespace {

using spdk_test::LogCapture;

// Records values in order; used as message/poller context.
struct Trace {
    std::vector<int> values;
    std::vector<spdk_thread *> threads;
};

struct Note {
    Trace *trace;
    int value;
};

void note_msg(void *arg) {
    auto *note = static_cast<Note *>(arg);
    note->trace->values.push_back(note->value);
    note->trace->threads.push_back(spdk_get_thread());
}

void count_msg(void *arg) {
    ++*static_cast<int *>(arg);
}

void nop_msg(void * /*arg*/) {}

int busy_poller(void *arg) {
    ++*static_cast<int *>(arg);
    return SPDK_POLLER_BUSY;
}

int idle_poller(void *arg) {
    ++*static_cast<int *>(arg);
    return SPDK_POLLER_IDLE;
}

// A lib initialized without a scheduler, an app thread current on the test's OS
// thread, and a clock the test advances by hand.
class ThreadTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
        app_ = spdk_thread_create("app", nullptr);
        ASSERT_NE(app_, nullptr);
        spdk_set_thread(app_);
        now_ = spdk_get_ticks();
        hz_ = spdk_get_ticks_hz();
    }

    void TearDown() override {
        for (spdk_thread *t : threads_) {
            finish(t);
        }
        spdk_set_thread(app_);
        spdk_thread_exit(app_);
        for (int i = 0; i < 100 && !spdk_thread_is_exited(app_); ++i) {
            poll(app_);
        }
        EXPECT_TRUE(spdk_thread_is_exited(app_));
        spdk_thread_destroy(app_);
        spdk_set_thread(nullptr);
        spdk_thread_lib_fini();
    }

    spdk_thread *make(const char *name) {
        spdk_thread *t = spdk_thread_create(name, nullptr);
        EXPECT_NE(t, nullptr);
        threads_.push_back(t);
        return t;
    }

    // Exits and destroys t (if not done by the test).
    void finish(spdk_thread *t) {
        if (t == nullptr || destroyed(t)) {
            return;
        }
        spdk_thread *prev = spdk_get_thread();
        spdk_set_thread(t);
        spdk_thread_exit(t);
        spdk_set_thread(prev);
        for (int i = 0; i < 1000 && !spdk_thread_is_exited(t); ++i) {
            poll(t);
            poll(app_);
        }
        EXPECT_TRUE(spdk_thread_is_exited(t)) << spdk_thread_get_name(t);
        spdk_thread_destroy(t);
        destroyed_.push_back(t);
    }
    bool destroyed(spdk_thread *t) const {
        for (spdk_thread *d : destroyed_) {
            if (d == t) {
                return true;
            }
        }
        return false;
    }

    int poll(spdk_thread *t, uint32_t max_msgs = 0) { return spdk_thread_poll(t, max_msgs, now_); }

    // Polls the app thread and every live thread until a whole round does nothing.
    void drain() {
        for (int round = 0; round < 10000; ++round) {
            int work = poll(app_);
            for (spdk_thread *t : threads_) {
                if (!destroyed(t)) {
                    work += poll(t);
                }
            }
            if (work == 0) {
                return;
            }
        }
        ADD_FAILURE() << "threads did not become idle";
    }

    uint64_t us(uint64_t n) const { return n * hz_ / 1'000'000; }

    spdk_thread *app_ = nullptr;
    std::vector<spdk_thread *> threads_;
    std::vector<spdk_thread *> destroyed_;
    uint64_t now_ = 0;
    uint64_t hz_ = 0;
};

// --- library and thread life cycle ------------------------------------------------

TEST_F(ThreadTest, FirstThreadIsTheAppThread) {
    spdk_thread *t = make("worker");
    EXPECT_EQ(spdk_thread_get_app_thread(), app_);
    EXPECT_TRUE(spdk_thread_is_app_thread(app_));
    EXPECT_FALSE(spdk_thread_is_app_thread(t));
    spdk_set_thread(app_);
    EXPECT_TRUE(spdk_thread_is_app_thread(nullptr));
    spdk_set_thread(t);
    EXPECT_FALSE(spdk_thread_is_app_thread(nullptr));
}

TEST_F(ThreadTest, IdsAreUniqueIncreasingAndFound) {
    spdk_thread *a = make("a");
    spdk_thread *b = make("b");
    EXPECT_GE(spdk_thread_get_id(app_), 1U);
    EXPECT_GT(spdk_thread_get_id(a), spdk_thread_get_id(app_));
    EXPECT_GT(spdk_thread_get_id(b), spdk_thread_get_id(a));
    EXPECT_EQ(spdk_thread_get_by_id(spdk_thread_get_id(a)), a);
    EXPECT_EQ(spdk_thread_get_by_id(spdk_thread_get_id(b)), b);
    EXPECT_EQ(spdk_thread_get_by_id(0), nullptr);
    EXPECT_EQ(spdk_thread_get_by_id(spdk_thread_get_id(b) + 1000), nullptr);
    EXPECT_EQ(spdk_thread_get_count(), 3U);
    EXPECT_STREQ(spdk_thread_get_name(a), "a");
}

TEST_F(ThreadTest, NamesAndCpumasks) {
    spdk_thread *unnamed = spdk_thread_create(nullptr, nullptr);
    ASSERT_NE(unnamed, nullptr);
    threads_.push_back(unnamed);
    EXPECT_GT(std::strlen(spdk_thread_get_name(unnamed)), 0U);

    // The mask is copied; NULL means every core.
    spdk_cpuset mask{};
    spdk_cpuset_set_cpu(&mask, 1, true);
    spdk_thread *pinned = spdk_thread_create("pinned", &mask);
    ASSERT_NE(pinned, nullptr);
    threads_.push_back(pinned);
    spdk_cpuset_set_cpu(&mask, 2, true);
    EXPECT_TRUE(spdk_cpuset_get_cpu(spdk_thread_get_cpumask(pinned), 1));
    EXPECT_FALSE(spdk_cpuset_get_cpu(spdk_thread_get_cpumask(pinned), 2));
    EXPECT_EQ(spdk_cpuset_count(spdk_thread_get_cpumask(pinned)), 1U);
    EXPECT_EQ(spdk_cpuset_count(spdk_thread_get_cpumask(app_)), SPDK_CPUSET_SIZE);
    // Without a scheduler the mask cannot be changed.
    EXPECT_EQ(spdk_thread_set_cpumask(&mask), -ENOTSUP);
}

TEST_F(ThreadTest, NoSchedulerContextWithoutCtxSize) {
    EXPECT_EQ(spdk_thread_get_ctx(app_), nullptr);
}

TEST_F(ThreadTest, PollMakesTheThreadCurrentAndRestoresThePrevious) {
    spdk_thread *t = make("worker");
    struct Seen {
        spdk_thread *during = nullptr;
    } seen;
    ASSERT_EQ(
        spdk_thread_send_msg(
            t, [](void *arg) { static_cast<Seen *>(arg)->during = spdk_get_thread(); }, &seen),
        0);
    spdk_set_thread(app_);
    EXPECT_EQ(poll(t), 1);
    EXPECT_EQ(seen.during, t);
    EXPECT_EQ(spdk_get_thread(), app_);
    spdk_set_thread(nullptr);
    EXPECT_EQ(poll(t), 0);
    EXPECT_EQ(spdk_get_thread(), nullptr);
}

TEST(ThreadLib, CreateBeforeInitFails) {
    LogCapture log;
    EXPECT_EQ(spdk_thread_create("early", nullptr), nullptr);
    EXPECT_TRUE(log.contains("spdk_thread_lib_init"));
}

TEST(ThreadLib, InitTwiceIsRefused) {
    ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
    EXPECT_NE(spdk_thread_lib_init(nullptr, 0), 0);
    spdk_thread_lib_fini();
    ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
    spdk_thread_lib_fini();
}

TEST(ThreadLib, OpCallbacksComeInPairs) {
    auto op = [](spdk_thread *, spdk_thread_op) { return 0; };
    auto supported = [](spdk_thread_op) { return true; };
    EXPECT_EQ(spdk_thread_lib_init_ext(op, nullptr, 0, 1024), -EINVAL);
    EXPECT_EQ(spdk_thread_lib_init_ext(nullptr, supported, 0, 1024), -EINVAL);
}

struct NewThreadLog {
    std::vector<spdk_thread *> created;
    int rc = 0;
};
NewThreadLog g_new_threads;

TEST(ThreadLib, NewThreadFnSeesEveryThreadAndCanRefuse) {
    g_new_threads = {};
    ASSERT_EQ(spdk_thread_lib_init(
                  [](spdk_thread *t) {
                      g_new_threads.created.push_back(t);
                      return g_new_threads.rc;
                  },
                  sizeof(uint64_t) * 4),
              0);
    spdk_thread *app = spdk_thread_create("app", nullptr);
    ASSERT_NE(app, nullptr);
    ASSERT_EQ(g_new_threads.created.size(), 1U);
    EXPECT_EQ(g_new_threads.created[0], app);

    // The scheduler's context: zeroed, and maps back to its thread.
    auto *ctx = static_cast<uint64_t *>(spdk_thread_get_ctx(app));
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(ctx[0] | ctx[1] | ctx[2] | ctx[3], 0U);
    EXPECT_EQ(spdk_thread_get_from_ctx(ctx), app);

    {
        LogCapture log;
        g_new_threads.rc = -EBUSY;
        EXPECT_EQ(spdk_thread_create("refused", nullptr), nullptr);
        EXPECT_EQ(spdk_thread_get_count(), 1U);
        EXPECT_TRUE(log.contains("refused"));
    }
    spdk_set_thread(app);
    spdk_thread_exit(app);
    spdk_thread_poll(app, 0, 0);
    EXPECT_TRUE(spdk_thread_is_exited(app));
    spdk_thread_destroy(app);
    spdk_thread_lib_fini();
}

TEST(ThreadLib, OpNewSchedulesThreads) {
    static std::vector<spdk_thread *> scheduled;
    scheduled.clear();
    ASSERT_EQ(spdk_thread_lib_init_ext(
                  [](spdk_thread *t, spdk_thread_op op) {
                      if (op == SPDK_THREAD_OP_NEW) {
                          scheduled.push_back(t);
                          return 0;
                      }
                      return -ENOTSUP;
                  },
                  [](spdk_thread_op op) { return op == SPDK_THREAD_OP_NEW; }, 0,
                  SPDK_DEFAULT_MSG_MEMPOOL_SIZE),
              0);
    spdk_thread *app = spdk_thread_create("app", nullptr);
    ASSERT_NE(app, nullptr);
    EXPECT_EQ(scheduled, std::vector<spdk_thread *>{app});
    spdk_set_thread(app);
    // RESCHED is not supported by this scheduler.
    spdk_cpuset mask{};
    EXPECT_EQ(spdk_thread_set_cpumask(&mask), -ENOTSUP);
    spdk_thread_exit(app);
    spdk_thread_poll(app, 0, 0);
    spdk_thread_destroy(app);
    spdk_thread_lib_fini();
}

TEST(ThreadLib, FiniReleasesWhatTheProgramLeftBehind) {
    LogCapture log;
    ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
    spdk_thread *app = spdk_thread_create("app", nullptr);
    spdk_thread *left = spdk_thread_create("left_behind", nullptr);
    ASSERT_NE(left, nullptr);
    spdk_set_thread(left);
    static int device;
    spdk_io_device_register(
        &device, [](void *, void *) { return 0; }, [](void *, void *) {}, 8, "leftover_dev");
    ASSERT_NE(spdk_get_io_channel(&device), nullptr);
    int runs = 0;
    ASSERT_NE(spdk_poller_register(busy_poller, &runs, 0), nullptr);
    // A device whose unregistration waits for the channel the left thread holds.
    static int pending_device;
    static int unregistered;
    unregistered = 0;
    spdk_io_device_register(
        &pending_device, [](void *, void *) { return 0; }, [](void *, void *) {}, 0, "pending");
    ASSERT_NE(spdk_get_io_channel(&pending_device), nullptr);
    spdk_set_thread(app);
    spdk_io_device_unregister(&pending_device, [](void *) { ++unregistered; });
    spdk_thread_lib_fini();  // ASan/LSan check that all of it is freed
    EXPECT_EQ(unregistered, 0);
    EXPECT_EQ(spdk_get_thread(), nullptr);
    EXPECT_TRUE(log.contains("left_behind"));
    EXPECT_TRUE(log.contains("leftover_dev"));
    // And the library can start over.
    ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
    spdk_thread *again = spdk_thread_create("again", nullptr);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(spdk_thread_get_app_thread(), again);
    EXPECT_EQ(spdk_thread_get_count(), 1U);
    spdk_thread_lib_fini();
}

// --- messages ---------------------------------------------------------------------------

TEST_F(ThreadTest, MessagesRunInOrderOnTheTargetThread) {
    spdk_thread *t = make("worker");
    Trace trace;
    std::vector<Note> notes;
    notes.reserve(20);
    for (int i = 0; i < 20; ++i) {
        notes.push_back(Note{&trace, i});
    }
    for (auto &note : notes) {
        ASSERT_EQ(spdk_thread_send_msg(t, note_msg, &note), 0);
    }
    EXPECT_TRUE(trace.values.empty());  // nothing runs inside send
    drain();
    ASSERT_EQ(trace.values.size(), 20U);
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(trace.values[i], i);
        EXPECT_EQ(trace.threads[i], t);
    }
}

TEST_F(ThreadTest, PollRunsABatchOfAtMostEightMessages) {
    spdk_thread *t = make("worker");
    int count = 0;
    for (int i = 0; i < 30; ++i) {
        ASSERT_EQ(spdk_thread_send_msg(t, count_msg, &count), 0);
    }
    EXPECT_EQ(poll(t), 1);
    EXPECT_EQ(count, 8);  // 0 means the default batch of 8
    EXPECT_EQ(poll(t, 3), 1);
    EXPECT_EQ(count, 11);
    EXPECT_EQ(poll(t, 100), 1);
    EXPECT_EQ(count, 19);  // capped at 8
    EXPECT_FALSE(spdk_thread_is_idle(t));
    drain();
    EXPECT_EQ(count, 30);
    EXPECT_TRUE(spdk_thread_is_idle(t));
    EXPECT_EQ(poll(t), 0);
}

TEST_F(ThreadTest, AMessageSentDuringAPollRunsInTheNextPoll) {
    spdk_thread *t = make("worker");
    struct Chain {
        int first = 0;
        int second = 0;
    } chain;
    ASSERT_EQ(spdk_thread_send_msg(
                  t,
                  [](void *arg) {
                      auto *c = static_cast<Chain *>(arg);
                      ++c->first;
                      spdk_thread_send_msg(
                          spdk_get_thread(), [](void *a) { ++static_cast<Chain *>(a)->second; }, c);
                  },
                  &chain),
              0);
    EXPECT_EQ(poll(t), 1);
    EXPECT_EQ(chain.first, 1);
    EXPECT_EQ(chain.second, 0);
    EXPECT_EQ(poll(t), 1);
    EXPECT_EQ(chain.second, 1);
}

TEST_F(ThreadTest, ExecMsgRunsInlineOnlyOnTheSameThread) {
    spdk_thread *t = make("worker");
    int count = 0;
    spdk_set_thread(t);
    EXPECT_EQ(spdk_thread_exec_msg(t, count_msg, &count), 0);
    EXPECT_EQ(count, 1);
    spdk_set_thread(app_);
    EXPECT_EQ(spdk_thread_exec_msg(t, count_msg, &count), 0);
    EXPECT_EQ(count, 1);
    drain();
    EXPECT_EQ(count, 2);
}

TEST_F(ThreadTest, BadMessageArgumentsAreRefused) {
    LogCapture log;
    EXPECT_EQ(spdk_thread_send_msg(nullptr, nop_msg, nullptr), -EINVAL);
    EXPECT_EQ(spdk_thread_send_msg(app_, nullptr, nullptr), -EINVAL);
}

TEST(ThreadQueue, FullQueueRefusesThenDeliversInOrder) {
    LogCapture log;
    // A pool of 16 messages gives each thread a ring of 16.
    ASSERT_EQ(spdk_thread_lib_init_ext(nullptr, nullptr, 0, 16), 0);
    spdk_thread *t = spdk_thread_create("small", nullptr);
    ASSERT_NE(t, nullptr);
    Trace trace;
    std::vector<Note> notes;
    for (int i = 0; i < 40; ++i) {
        notes.push_back(Note{&trace, i});
    }
    int sent = 0;
    while (sent < 40 && spdk_thread_send_msg(t, note_msg, &notes[sent]) == 0) {
        ++sent;
    }
    EXPECT_EQ(sent, 16);
    EXPECT_EQ(spdk_thread_send_msg(t, note_msg, &notes[sent]), -ENOMEM);
    EXPECT_EQ(spdk_thread_send_msg(t, note_msg, &notes[sent]), -ENOMEM);
    EXPECT_EQ(log.count("is full"), 1U);  // logged once per thread
    // One poll frees 8 slots; the ring wraps around and order holds.
    EXPECT_EQ(spdk_thread_poll(t, 0, 0), 1);
    while (sent < 40 && spdk_thread_send_msg(t, note_msg, &notes[sent]) == 0) {
        ++sent;
    }
    EXPECT_EQ(sent, 24);
    while (spdk_thread_poll(t, 0, 0) != 0) {
        while (sent < 40 && spdk_thread_send_msg(t, note_msg, &notes[sent]) == 0) {
            ++sent;
        }
    }
    EXPECT_EQ(sent, 40);
    ASSERT_EQ(trace.values.size(), 40U);
    for (int i = 0; i < 40; ++i) {
        EXPECT_EQ(trace.values[i], i);
    }
    spdk_set_thread(t);
    spdk_thread_exit(t);
    spdk_thread_poll(t, 0, 0);
    spdk_thread_destroy(t);
    spdk_thread_lib_fini();
}

// A message the runtime itself must not lose (a channel's release) waits behind a
// full ring in a side queue; it runs after every message queued before it, even
// when one poll's batch leaves older ones in the ring.
TEST(ThreadQueue, ASideQueuedMessageRunsAfterTheOlderOnesInTheRing) {
    LogCapture log;
    ASSERT_EQ(spdk_thread_lib_init_ext(nullptr, nullptr, 0, 16), 0);  // rings of 16
    spdk_thread *t = spdk_thread_create("small", nullptr);
    ASSERT_NE(t, nullptr);
    static Trace trace;
    trace.values.clear();
    static int device;
    spdk_set_thread(t);
    spdk_io_device_register(
        &device, [](void *, void *) { return 0; },
        [](void *, void *) { trace.values.push_back(-1); }, 0, "side_queue_dev");
    spdk_io_channel *ch = spdk_get_io_channel(&device);
    ASSERT_NE(ch, nullptr);
    std::vector<Note> notes;
    for (int i = 0; i < 16; ++i) {
        notes.push_back(Note{&trace, i});
    }
    for (Note &note : notes) {
        ASSERT_EQ(spdk_thread_send_msg(t, note_msg, &note), 0);
    }
    spdk_put_io_channel(ch);  // the ring is full: its release goes to the side queue
    EXPECT_EQ(spdk_thread_poll(t, 0, 0), 1);  // a batch of 8 leaves 8 in the ring
    while (spdk_thread_poll(t, 0, 0) != 0) {
    }
    std::vector<int> expected(16);
    std::iota(expected.begin(), expected.end(), 0);
    expected.push_back(-1);  // the channel is destroyed last
    EXPECT_EQ(trace.values, expected);
    spdk_io_device_unregister(&device, nullptr);
    spdk_thread_exit(t);
    while (!spdk_thread_is_exited(t)) {
        spdk_thread_poll(t, 0, 0);
    }
    spdk_thread_destroy(t);
    spdk_thread_lib_fini();
}

TEST_F(ThreadTest, DefaultQueueHoldsSpdksRingSize) {
    LogCapture log;
    spdk_thread *t = make("worker");
    int count = 0;
    int sent = 0;
    while (spdk_thread_send_msg(t, count_msg, &count) == 0) {
        ++sent;
    }
    EXPECT_EQ(sent, 65536);
    while (poll(t) != 0) {
    }
    EXPECT_EQ(count, 65536);
    EXPECT_EQ(spdk_thread_send_msg(t, count_msg, &count), 0);
    drain();
    EXPECT_EQ(count, 65537);
}

TEST_F(ThreadTest, ChannelReleaseIsDeliveredEvenWhenTheQueueIsFull) {
    LogCapture log;
    spdk_thread *t = make("worker");
    static int device;
    static int destroyed;
    destroyed = 0;
    spdk_io_device_register(
        &device, [](void *, void *) { return 0; }, [](void *, void *) { ++destroyed; }, 0,
        "full_dev");
    spdk_set_thread(t);
    spdk_io_channel *ch = spdk_get_io_channel(&device);
    ASSERT_NE(ch, nullptr);
    int count = 0;
    while (spdk_thread_send_msg(t, count_msg, &count) == 0) {
    }
    spdk_put_io_channel(ch);  // its release message cannot be lost
    spdk_set_thread(app_);
    drain();
    EXPECT_EQ(count, 65536);
    EXPECT_EQ(destroyed, 1);
    spdk_io_device_unregister(&device, nullptr);
}

TEST_F(ThreadTest, CriticalMessageRunsFirstAndOneAtATime) {
    spdk_thread *t = make("worker");
    static std::vector<int> order;
    order.clear();
    static int ordinary = 1;
    ASSERT_EQ(spdk_thread_send_msg(
                  t, [](void *arg) { order.push_back(*static_cast<int *>(arg)); }, &ordinary),
              0);
    ASSERT_EQ(spdk_thread_send_critical_msg(t,
                                            [](void *arg) {
                                                EXPECT_EQ(arg, nullptr);
                                                order.push_back(0);
                                            }),
              0);
    EXPECT_EQ(spdk_thread_send_critical_msg(t, [](void *) { order.push_back(99); }), -EIO);
    EXPECT_FALSE(spdk_thread_is_idle(t));
    EXPECT_EQ(poll(t), 1);
    EXPECT_EQ(order, (std::vector<int>{0, 1}));
    EXPECT_EQ(spdk_thread_send_critical_msg(t, [](void *) { order.push_back(2); }), 0);
    drain();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(ThreadRing, ManyProducersKeepPerSenderOrder) {
    LogCapture log;  // keeps the -ENOMEM report out of the output
    // A small ring, so that producers wrap around it and meet a full queue.
    ASSERT_EQ(spdk_thread_lib_init_ext(nullptr, nullptr, 0, 256), 0);
    spdk_thread *t = spdk_thread_create("consumer", nullptr);
    ASSERT_NE(t, nullptr);
    constexpr int kProducers = 4;
    constexpr int kPerProducer = 5000;
    struct Item {
        int producer;
        int seq;
        std::vector<int> *last;
        int *errors;
    };
    std::vector<int> last(kProducers, -1);
    int errors = 0;
    std::vector<std::vector<Item>> items(kProducers);
    for (int p = 0; p < kProducers; ++p) {
        for (int s = 0; s < kPerProducer; ++s) {
            items[p].push_back(Item{p, s, &last, &errors});
        }
    }
    std::atomic<int> done{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            for (auto &item : items[p]) {
                while (spdk_thread_send_msg(
                           t,
                           [](void *arg) {
                               auto *it = static_cast<Item *>(arg);
                               if ((*it->last)[it->producer] != it->seq - 1) {
                                   ++*it->errors;
                               }
                               (*it->last)[it->producer] = it->seq;
                           },
                           &item) != 0) {
                    std::this_thread::yield();
                }
            }
            done.fetch_add(1);
        });
    }
    while (done.load() < kProducers || !spdk_thread_is_idle(t)) {
        spdk_thread_poll(t, 0, 0);
    }
    for (auto &p : producers) {
        p.join();
    }
    EXPECT_EQ(errors, 0);
    for (int p = 0; p < kProducers; ++p) {
        EXPECT_EQ(last[p], kPerProducer - 1);
    }
    spdk_set_thread(t);
    spdk_thread_exit(t);
    spdk_thread_poll(t, 0, 0);
    spdk_thread_destroy(t);
    spdk_thread_lib_fini();
}

TEST(ThreadRing, PingPongBetweenTwoPolledOsThreads) {
    ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
    spdk_thread *a = spdk_thread_create("a", nullptr);
    spdk_thread *b = spdk_thread_create("b", nullptr);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    struct Game {
        spdk_thread *a;
        spdk_thread *b;
        int hits = 0;  // touched only by the spdk_thread that holds the ball
        std::atomic<bool> over{false};
    } game{a, b};
    constexpr int kRounds = 2000;
    static void (*volley)(void *) = [](void *arg) {
        auto *g = static_cast<Game *>(arg);
        if (++g->hits == kRounds) {
            g->over.store(true);
            return;
        }
        spdk_thread *other = spdk_get_thread() == g->a ? g->b : g->a;
        while (spdk_thread_send_msg(other, volley, g) != 0) {
        }
    };
    ASSERT_EQ(spdk_thread_send_msg(a, volley, &game), 0);
    std::thread other_os_thread([&] {
        while (!game.over.load()) {
            spdk_thread_poll(b, 0, 0);
        }
    });
    while (!game.over.load()) {
        spdk_thread_poll(a, 0, 0);
    }
    other_os_thread.join();
    EXPECT_EQ(game.hits, kRounds);
    for (spdk_thread *t : {a, b}) {
        spdk_set_thread(t);
        spdk_thread_exit(t);
        spdk_thread_poll(t, 0, 0);
        EXPECT_TRUE(spdk_thread_is_exited(t));
        spdk_thread_destroy(t);
    }
    spdk_thread_lib_fini();
}

// --- exit and destroy ----------------------------------------------------------------------

TEST_F(ThreadTest, ExitedThreadRefusesMessagesPollersAndChannels) {
    LogCapture log;
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    EXPECT_TRUE(spdk_thread_is_running(t));
    EXPECT_EQ(spdk_thread_exit(t), 0);
    EXPECT_FALSE(spdk_thread_is_running(t));
    EXPECT_FALSE(spdk_thread_is_exited(t));
    EXPECT_EQ(spdk_thread_exit(t), 0);  // again: no effect
    spdk_set_thread(app_);
    poll(t);
    EXPECT_TRUE(spdk_thread_is_exited(t));
    int count = 0;
    EXPECT_EQ(spdk_thread_send_msg(t, count_msg, &count), -EIO);
    EXPECT_EQ(spdk_thread_send_critical_msg(t, nop_msg), -EIO);
    EXPECT_TRUE(log.contains("worker"));
    static int device;
    spdk_io_device_register(
        &device, [](void *, void *) { return 0; }, [](void *, void *) {}, 0, "dev");
    spdk_set_thread(t);
    EXPECT_EQ(spdk_poller_register(busy_poller, &count, 0), nullptr);
    EXPECT_EQ(spdk_get_io_channel(&device), nullptr);
    EXPECT_EQ(poll(t), 0);  // an exited thread does nothing
    spdk_set_thread(app_);
    spdk_io_device_unregister(&device, nullptr);
    const uint32_t before = spdk_thread_get_count();
    spdk_thread_destroy(t);
    destroyed_.push_back(t);
    EXPECT_EQ(spdk_thread_get_count(), before - 1);
}

TEST_F(ThreadTest, ExitingThreadKeepsRunningMessagesUntilItsPollersAndChannelsAreGone) {
    spdk_thread *t = make("worker");
    static int device;
    spdk_io_device_register(
        &device, [](void *, void *) { return 0; }, [](void *, void *) {}, 0, "dev");
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(idle_poller, &runs, 0);
    ASSERT_NE(poller, nullptr);
    spdk_io_channel *ch = spdk_get_io_channel(&device);
    ASSERT_NE(ch, nullptr);
    spdk_thread_exit(t);
    spdk_set_thread(app_);
    int count = 0;
    ASSERT_EQ(spdk_thread_send_msg(t, count_msg, &count), 0);
    poll(t);
    poll(t);
    EXPECT_EQ(count, 1);
    EXPECT_FALSE(spdk_thread_is_exited(t));
    // Pollers keep running while the thread exits.
    EXPECT_GE(runs, 2);
    spdk_set_thread(t);
    spdk_poller_unregister(&poller);
    spdk_set_thread(app_);
    poll(t);
    EXPECT_FALSE(spdk_thread_is_exited(t));  // the channel is still held
    spdk_set_thread(t);
    spdk_put_io_channel(ch);
    spdk_set_thread(app_);
    poll(t);
    EXPECT_TRUE(spdk_thread_is_exited(t));
    spdk_io_device_unregister(&device, nullptr);
    drain();
}

TEST_F(ThreadTest, ExitTimesOutWhenAPollerIsNeverUnregistered) {
    LogCapture log;
    spdk_thread *t = make("stubborn");
    spdk_set_thread(t);
    int runs = 0;
    ASSERT_NE(spdk_poller_register(idle_poller, &runs, 0), nullptr);
    spdk_thread_exit(t);
    spdk_set_thread(app_);
    poll(t);
    EXPECT_FALSE(spdk_thread_is_exited(t));
    now_ += 4 * hz_;
    poll(t);
    EXPECT_FALSE(spdk_thread_is_exited(t));
    now_ += 2 * hz_;
    poll(t);
    EXPECT_TRUE(spdk_thread_is_exited(t));
    EXPECT_TRUE(log.contains("stubborn"));
}

TEST_F(ThreadTest, ExitAndDestroyMisuseIsRefused) {
    LogCapture log;
    spdk_thread *t = make("worker");
    spdk_set_thread(app_);
    EXPECT_EQ(spdk_thread_exit(t), -EINVAL);  // not from inside t
    EXPECT_TRUE(spdk_thread_is_running(t));
    spdk_thread_destroy(t);  // not exited: refused
    EXPECT_TRUE(log.contains("not exited"));
    EXPECT_EQ(spdk_thread_get_by_id(spdk_thread_get_id(t)), t);
    int count = 0;
    EXPECT_EQ(spdk_thread_send_msg(t, count_msg, &count), 0);
    drain();
    EXPECT_EQ(count, 1);
}

TEST_F(ThreadTest, DestroyingTheCurrentThreadClearsIt) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    spdk_thread_exit(t);
    poll(t);
    spdk_set_thread(t);
    spdk_thread_destroy(t);
    destroyed_.push_back(t);
    EXPECT_EQ(spdk_get_thread(), nullptr);
}

// --- spdk_for_each_thread -------------------------------------------------------------------

TEST_F(ThreadTest, ForEachThreadVisitsRunningThreadsInOrderThenCompletesOnTheCaller) {
    spdk_thread *a = make("a");
    spdk_thread *b = make("b");
    spdk_thread *gone = make("gone");
    spdk_thread *c = make("c");
    spdk_set_thread(gone);
    spdk_thread_exit(gone);
    poll(gone);
    spdk_set_thread(b);
    struct Walk {
        std::vector<spdk_thread *> visited;
        spdk_thread *completed_on = nullptr;
        int completions = 0;
    } walk;
    spdk_for_each_thread(
        [](void *arg) { static_cast<Walk *>(arg)->visited.push_back(spdk_get_thread()); }, &walk,
        [](void *arg) {
            auto *w = static_cast<Walk *>(arg);
            w->completed_on = spdk_get_thread();
            ++w->completions;
        });
    EXPECT_TRUE(walk.visited.empty());
    spdk_set_thread(app_);
    drain();
    EXPECT_EQ(walk.visited, (std::vector<spdk_thread *>{app_, a, b, c}));
    EXPECT_EQ(walk.completions, 1);
    EXPECT_EQ(walk.completed_on, b);
}

TEST_F(ThreadTest, ForEachThreadOutsideAThreadCompletesAtOnce) {
    LogCapture log;
    spdk_set_thread(nullptr);
    int completions = 0;
    spdk_for_each_thread(nop_msg, &completions, count_msg);
    EXPECT_EQ(completions, 1);
}

TEST_F(ThreadTest, ThreadWaitsForItsForEachThreadBeforeExiting) {
    spdk_thread *t = make("walker");
    spdk_set_thread(t);
    int completions = 0;
    spdk_for_each_thread(nop_msg, &completions, count_msg);
    spdk_thread_exit(t);
    spdk_set_thread(app_);
    poll(t);
    EXPECT_FALSE(spdk_thread_is_exited(t));
    drain();
    EXPECT_EQ(completions, 1);
    EXPECT_TRUE(spdk_thread_is_exited(t));
}

// --- pollers ------------------------------------------------------------------------------

TEST_F(ThreadTest, ActivePollersRunOnEveryPollNewestFirst) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    static std::vector<int> order;
    order.clear();
    static int one = 1;
    static int two = 2;
    auto record = [](void *arg) -> int {
        order.push_back(*static_cast<int *>(arg));
        return SPDK_POLLER_IDLE;
    };
    spdk_poller *p1 = spdk_poller_register(record, &one, 0);
    spdk_poller *p2 = SPDK_POLLER_REGISTER(record, &two, 0);
    ASSERT_NE(p1, nullptr);
    ASSERT_NE(p2, nullptr);
    EXPECT_TRUE(spdk_thread_has_active_pollers(t));
    EXPECT_TRUE(spdk_thread_has_pollers(t));
    EXPECT_FALSE(spdk_thread_is_idle(t));
    EXPECT_STREQ(spdk_poller_get_name(p2), "record");
    EXPECT_NE(spdk_poller_get_id(p1), spdk_poller_get_id(p2));
    EXPECT_EQ(poll(t), 0);  // both idle
    EXPECT_EQ(poll(t), 0);
    EXPECT_EQ(order, (std::vector<int>{2, 1, 2, 1}));
    spdk_poller_unregister(&p1);
    spdk_poller_unregister(&p2);
    EXPECT_EQ(p1, nullptr);
    EXPECT_EQ(p2, nullptr);
    poll(t);
    EXPECT_EQ(order.size(), 4U);
    EXPECT_FALSE(spdk_thread_has_pollers(t));
    EXPECT_TRUE(spdk_thread_is_idle(t));
}

TEST_F(ThreadTest, PollerReturnDecidesWhetherThePollDidWork) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    int idle_runs = 0;
    int busy_runs = 0;
    spdk_poller *idle = spdk_poller_register(idle_poller, &idle_runs, 0);
    EXPECT_EQ(poll(t), 0);
    spdk_poller *busy = spdk_poller_register(busy_poller, &busy_runs, 0);
    EXPECT_EQ(poll(t), 1);
    EXPECT_EQ(idle_runs, 2);
    EXPECT_EQ(busy_runs, 1);
    spdk_poller_unregister(&idle);
    spdk_poller_unregister(&busy);
    poll(t);
}

TEST_F(ThreadTest, PollerRegisteredOutsideAThreadFails) {
    LogCapture log;
    spdk_set_thread(nullptr);
    int runs = 0;
    EXPECT_EQ(spdk_poller_register(busy_poller, &runs, 0), nullptr);
    spdk_set_thread(app_);
    EXPECT_EQ(spdk_poller_register(nullptr, &runs, 0), nullptr);
}

TEST_F(ThreadTest, TimedPollersFollowTheThreadsClock) {
    spdk_thread *t = make("worker");
    poll(t);  // the thread's clock is now_
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 1000);
    ASSERT_NE(poller, nullptr);
    EXPECT_EQ(spdk_poller_get_period_ticks(poller), us(1000));
    EXPECT_EQ(spdk_thread_next_poller_expiration(t), now_ + us(1000));
    EXPECT_FALSE(spdk_thread_has_active_pollers(t));
    EXPECT_TRUE(spdk_thread_has_pollers(t));
    const uint64_t start = now_;
    now_ = start + us(1000) - 1;
    EXPECT_EQ(poll(t), 0);
    EXPECT_EQ(runs, 0);
    now_ = start + us(1000);
    EXPECT_EQ(poll(t), 1);
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(poll(t), 0);  // not due again yet
    now_ = start + us(2000);
    poll(t);
    EXPECT_EQ(runs, 2);
    // A late poll runs it once and schedules the next run a period after it.
    now_ = start + us(10500);
    poll(t);
    EXPECT_EQ(runs, 3);
    EXPECT_EQ(spdk_thread_next_poller_expiration(t), now_ + us(1000));
    // Unregistered, it leaves the timers at once (SPDK keeps it until it is due).
    spdk_poller_unregister(&poller);
    poll(t);
    EXPECT_EQ(spdk_thread_next_poller_expiration(t), 0U);
    EXPECT_FALSE(spdk_thread_has_pollers(t));
    EXPECT_TRUE(spdk_thread_is_idle(t));
}

TEST_F(ThreadTest, TimerSetBeforeTheFirstPollCountsFromIt) {
    // Any clock will do: here one that starts at 1000 ticks.
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 100);
    EXPECT_EQ(spdk_thread_poll(t, 0, 1000), 0);
    EXPECT_EQ(spdk_thread_next_poller_expiration(t), 1000 + us(100));
    EXPECT_EQ(spdk_thread_poll(t, 0, 1000 + us(100) - 1), 0);
    EXPECT_EQ(runs, 0);
    EXPECT_EQ(spdk_thread_poll(t, 0, 1000 + us(100)), 1);
    EXPECT_EQ(runs, 1);
    spdk_set_thread(t);
    spdk_poller_unregister(&poller);
    spdk_thread_poll(t, 0, 1000 + us(100));
    now_ = 1000 + us(100);
}

TEST_F(ThreadTest, TimedPollersRunInDueOrder) {
    spdk_thread *t = make("worker");
    poll(t);
    spdk_set_thread(t);
    static std::vector<int> order;
    order.clear();
    static int ids[3] = {0, 1, 2};
    auto record = [](void *arg) -> int {
        order.push_back(*static_cast<int *>(arg));
        return SPDK_POLLER_BUSY;
    };
    spdk_poller *slow = spdk_poller_register(record, &ids[0], 300);
    spdk_poller *fast = spdk_poller_register(record, &ids[1], 100);
    spdk_poller *mid = spdk_poller_register(record, &ids[2], 200);
    const uint64_t start = now_;
    now_ = start + us(300);
    poll(t);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 0}));
    spdk_poller_unregister(&slow);
    spdk_poller_unregister(&fast);
    spdk_poller_unregister(&mid);
    poll(t);
}

TEST_F(ThreadTest, PollerRegisteredInAMessageUsesThePollsNow) {
    spdk_thread *t = make("worker");
    struct Ctx {
        spdk_poller *poller = nullptr;
        int runs = 0;
    } ctx;
    ASSERT_EQ(spdk_thread_send_msg(
                  t,
                  [](void *arg) {
                      auto *c = static_cast<Ctx *>(arg);
                      c->poller = spdk_poller_register(busy_poller, &c->runs, 50);
                  },
                  &ctx),
              0);
    const uint64_t start = now_ + us(7);
    now_ = start;
    poll(t);
    ASSERT_NE(ctx.poller, nullptr);
    EXPECT_EQ(spdk_thread_next_poller_expiration(t), start + us(50));
    now_ = start + us(50);
    poll(t);
    EXPECT_EQ(ctx.runs, 1);
    spdk_set_thread(t);
    spdk_poller_unregister(&ctx.poller);
    poll(t);
}

TEST_F(ThreadTest, PollerMayUnregisterItselfFromItsCallback) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    struct Self {
        spdk_poller *poller = nullptr;
        int runs = 0;
    } self;
    self.poller = spdk_poller_register(
        [](void *arg) -> int {
            auto *s = static_cast<Self *>(arg);
            if (++s->runs == 3) {
                spdk_poller_unregister(&s->poller);
            }
            return SPDK_POLLER_BUSY;
        },
        &self, 0);
    for (int i = 0; i < 6; ++i) {
        poll(t);
    }
    EXPECT_EQ(self.runs, 3);
    EXPECT_EQ(self.poller, nullptr);
    EXPECT_FALSE(spdk_thread_has_pollers(t));
}

TEST_F(ThreadTest, TimedPollerMayUnregisterItselfFromItsCallback) {
    spdk_thread *t = make("worker");
    poll(t);
    spdk_set_thread(t);
    struct Self {
        spdk_poller *poller = nullptr;
        int runs = 0;
    } self;
    self.poller = spdk_poller_register(
        [](void *arg) -> int {
            auto *s = static_cast<Self *>(arg);
            ++s->runs;
            spdk_poller_unregister(&s->poller);
            return SPDK_POLLER_BUSY;
        },
        &self, 10);
    now_ += us(10);
    poll(t);
    now_ += us(10);
    poll(t);
    EXPECT_EQ(self.runs, 1);
    EXPECT_FALSE(spdk_thread_has_pollers(t));
}

TEST_F(ThreadTest, UnregisteringTwiceIsHarmless) {
    LogCapture log;
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 0);
    spdk_poller *copy = poller;
    spdk_poller_unregister(&poller);
    EXPECT_EQ(poller, nullptr);
    spdk_poller_unregister(&poller);  // NULL: nothing to do
    spdk_poller_unregister(&copy);    // the same poller again, before it is freed
    EXPECT_TRUE(log.contains("twice"));
    EXPECT_EQ(copy, nullptr);
    spdk_poller_unregister(nullptr);
    poll(t);
    EXPECT_EQ(runs, 0);
    EXPECT_FALSE(spdk_thread_has_pollers(t));
}

TEST_F(ThreadTest, PollerCannotBeTouchedFromAnotherThread) {
    LogCapture log;
    spdk_thread *t = make("owner");
    spdk_thread *other = make("intruder");
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 0);
    spdk_set_thread(other);
    spdk_poller_unregister(&poller);
    EXPECT_NE(poller, nullptr);  // refused: kept for its owner
    spdk_poller_pause(poller);
    spdk_set_thread(nullptr);
    spdk_poller_unregister(&poller);
    EXPECT_NE(poller, nullptr);
    EXPECT_TRUE(log.contains("intruder"));
    EXPECT_TRUE(log.contains("owner"));
    poll(t);
    EXPECT_EQ(runs, 1);  // neither unregistered nor paused
    spdk_set_thread(t);
    spdk_poller_unregister(&poller);
    EXPECT_EQ(poller, nullptr);
    poll(t);
    EXPECT_EQ(runs, 1);
}

TEST_F(ThreadTest, PausedPollersDoNotRunUntilResumed) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 0);
    poll(t);
    EXPECT_EQ(runs, 1);
    spdk_poller_pause(poller);
    spdk_poller_pause(poller);  // idempotent
    poll(t);
    poll(t);
    EXPECT_EQ(runs, 1);
    EXPECT_STREQ(spdk_poller_get_state_str(poller), "paused");
    EXPECT_TRUE(spdk_thread_has_pollers(t));
    EXPECT_FALSE(spdk_thread_has_active_pollers(t));
    EXPECT_TRUE(spdk_thread_is_idle(t));
    spdk_poller_resume(poller);
    spdk_poller_resume(poller);  // idempotent
    poll(t);
    EXPECT_EQ(runs, 2);
    // Pause then resume before a poll: it never stops.
    spdk_poller_pause(poller);
    spdk_poller_resume(poller);
    poll(t);
    EXPECT_EQ(runs, 3);
    spdk_poller_unregister(&poller);
    poll(t);
}

TEST_F(ThreadTest, PollerMayPauseItself) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    struct Self {
        spdk_poller *poller = nullptr;
        int runs = 0;
    } self;
    self.poller = spdk_poller_register(
        [](void *arg) -> int {
            auto *s = static_cast<Self *>(arg);
            ++s->runs;
            spdk_poller_pause(s->poller);
            return SPDK_POLLER_BUSY;
        },
        &self, 0);
    poll(t);
    poll(t);
    EXPECT_EQ(self.runs, 1);
    spdk_poller_resume(self.poller);
    poll(t);
    EXPECT_EQ(self.runs, 2);
    spdk_poller_unregister(&self.poller);
    poll(t);
}

TEST_F(ThreadTest, ResumedTimedPollerWaitsAFullPeriod) {
    spdk_thread *t = make("worker");
    poll(t);
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 100);
    spdk_poller_pause(poller);
    now_ += us(100);
    poll(t);  // due: moved to the paused list instead of running
    EXPECT_EQ(runs, 0);
    now_ += us(500);
    poll(t);
    EXPECT_EQ(runs, 0);
    spdk_poller_resume(poller);
    poll(t);
    EXPECT_EQ(runs, 0);
    EXPECT_EQ(spdk_thread_next_poller_expiration(t), now_ + us(100));
    now_ += us(100);
    poll(t);
    EXPECT_EQ(runs, 1);
    spdk_poller_unregister(&poller);
    poll(t);
}

TEST_F(ThreadTest, UnregisteringAPausedPollerFreesIt) {
    spdk_thread *t = make("worker");
    poll(t);  // the thread's clock is now_
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *active = spdk_poller_register(busy_poller, &runs, 0);
    spdk_poller *timed = spdk_poller_register(busy_poller, &runs, 100);
    spdk_poller_pause(active);
    poll(t);
    spdk_poller_pause(timed);
    now_ += us(100);
    poll(t);
    EXPECT_EQ(runs, 0);
    spdk_poller_unregister(&active);
    spdk_poller_unregister(&timed);
    poll(t);
    EXPECT_EQ(runs, 0);
    EXPECT_FALSE(spdk_thread_has_pollers(t));  // and ASan sees no leak
    spdk_thread_exit(t);
    poll(t);
    EXPECT_TRUE(spdk_thread_is_exited(t));
}

TEST_F(ThreadTest, PausedPollerKeepsTheThreadFromExiting) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 0);
    spdk_poller_pause(poller);
    poll(t);
    spdk_set_thread(t);
    spdk_thread_exit(t);
    poll(t);
    EXPECT_FALSE(spdk_thread_is_exited(t));
    spdk_set_thread(t);
    spdk_poller_unregister(&poller);
    poll(t);
    EXPECT_TRUE(spdk_thread_is_exited(t));
}

TEST_F(ThreadTest, PollerRegisteredByAPollerRunsFromTheNextRound) {
    spdk_thread *t = make("worker");
    spdk_set_thread(t);
    struct Ctx {
        spdk_poller *parent = nullptr;
        spdk_poller *child = nullptr;
        int child_runs = 0;
    } ctx;
    ctx.parent = spdk_poller_register(
        [](void *arg) -> int {
            auto *c = static_cast<Ctx *>(arg);
            if (c->child == nullptr) {
                c->child = spdk_poller_register(busy_poller, &c->child_runs, 0);
            }
            return SPDK_POLLER_BUSY;
        },
        &ctx, 0);
    poll(t);
    EXPECT_NE(ctx.child, nullptr);
    EXPECT_EQ(ctx.child_runs, 0);
    poll(t);
    EXPECT_EQ(ctx.child_runs, 1);
    spdk_poller_unregister(&ctx.parent);
    spdk_poller_unregister(&ctx.child);
    poll(t);
}

TEST_F(ThreadTest, PollerStatistics) {
    spdk_thread *t = make("worker");
    spdk_thread_stats stats{};
    poll(t);
    spdk_set_thread(t);
    int runs = 0;
    spdk_poller *poller = spdk_poller_register(busy_poller, &runs, 0);
    now_ += 100;
    poll(t);
    spdk_set_thread(t);
    ASSERT_EQ(spdk_thread_get_stats(&stats), 0);
    EXPECT_GT(stats.busy_tsc, 0U);
    EXPECT_EQ(spdk_thread_get_last_tsc(t), now_);
    spdk_poller_unregister(&poller);
    poll(t);
    spdk_set_thread(nullptr);
    EXPECT_EQ(spdk_thread_get_stats(&stats), -EINVAL);
}

// --- I/O devices and channels --------------------------------------------------------------

struct Device {
    int created = 0;
    int destroyed = 0;
    int unregistered = 0;
    int fail_create = 0;
    std::vector<spdk_thread *> created_on;
    std::vector<spdk_thread *> destroyed_on;
    spdk_thread *unregistered_on = nullptr;
};

struct ChannelCtx {
    uint64_t magic;
    Device *dev;
    uint8_t pad[40];
};

int dev_create(void *io_device, void *ctx_buf) {
    auto *dev = static_cast<Device *>(io_device);
    auto *ctx = static_cast<ChannelCtx *>(ctx_buf);
    EXPECT_EQ(ctx->magic, 0U);  // the context starts zeroed
    if (dev->fail_create != 0) {
        return dev->fail_create;
    }
    ctx->magic = 0xfeed;
    ctx->dev = dev;
    ++dev->created;
    dev->created_on.push_back(spdk_get_thread());
    return 0;
}

void dev_destroy(void *io_device, void *ctx_buf) {
    auto *dev = static_cast<Device *>(io_device);
    auto *ctx = static_cast<ChannelCtx *>(ctx_buf);
    EXPECT_EQ(ctx->magic, 0xfeedU);
    ++dev->destroyed;
    dev->destroyed_on.push_back(spdk_get_thread());
}

void dev_unregistered(void *io_device) {
    auto *dev = static_cast<Device *>(io_device);
    ++dev->unregistered;
    dev->unregistered_on = spdk_get_thread();
}

class ChannelTest : public ThreadTest {
  protected:
    void register_dev(Device *dev, const char *name = "test_dev") {
        spdk_io_device_register(dev, dev_create, dev_destroy, sizeof(ChannelCtx), name);
    }
};

TEST_F(ChannelTest, OneReferenceCountedChannelPerDeviceAndThread) {
    spdk_thread *t = make("worker");
    Device dev;
    register_dev(&dev);
    spdk_io_channel *app_ch = spdk_get_io_channel(&dev);
    ASSERT_NE(app_ch, nullptr);
    EXPECT_EQ(spdk_get_io_channel(&dev), app_ch);
    EXPECT_EQ(spdk_io_channel_get_ref_count(app_ch), 2);
    EXPECT_EQ(dev.created, 1);
    EXPECT_EQ(dev.created_on, std::vector<spdk_thread *>{app_});
    spdk_set_thread(t);
    spdk_io_channel *t_ch = spdk_get_io_channel(&dev);
    ASSERT_NE(t_ch, nullptr);
    EXPECT_NE(t_ch, app_ch);
    EXPECT_EQ(dev.created, 2);
    EXPECT_EQ(spdk_io_channel_get_thread(t_ch), t);
    EXPECT_EQ(spdk_io_channel_get_io_device(t_ch), &dev);
    EXPECT_STREQ(spdk_io_channel_get_io_device_name(t_ch), "test_dev");
    // The context follows the channel header and maps back to it.
    auto *ctx = static_cast<ChannelCtx *>(spdk_io_channel_get_ctx(t_ch));
    EXPECT_EQ(reinterpret_cast<uint8_t *>(ctx),
              reinterpret_cast<uint8_t *>(t_ch) + SPDK_IO_CHANNEL_STRUCT_SIZE);
    EXPECT_EQ(ctx->magic, 0xfeedU);
    EXPECT_EQ(spdk_io_channel_from_ctx(ctx), t_ch);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ctx) % alignof(uint64_t), 0U);
    EXPECT_EQ(spdk_io_channel_ref(t_ch), t_ch);
    EXPECT_EQ(spdk_io_channel_get_ref_count(t_ch), 2);

    spdk_put_io_channel(t_ch);
    spdk_put_io_channel(t_ch);
    EXPECT_EQ(dev.destroyed, 0);  // the last release goes through a message
    poll(t);
    EXPECT_EQ(dev.destroyed, 1);
    EXPECT_EQ(dev.destroyed_on, std::vector<spdk_thread *>{t});
    spdk_set_thread(app_);
    spdk_put_io_channel(app_ch);
    spdk_put_io_channel(app_ch);
    drain();
    EXPECT_EQ(dev.destroyed, 2);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, GetBeforeTheReleaseMessageRunsRevivesTheChannel) {
    Device dev;
    register_dev(&dev);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    spdk_put_io_channel(ch);
    spdk_io_channel *again = spdk_get_io_channel(&dev);
    EXPECT_EQ(again, ch);
    drain();
    EXPECT_EQ(dev.destroyed, 0);
    EXPECT_EQ(dev.created, 1);
    spdk_put_io_channel(again);
    drain();
    EXPECT_EQ(dev.destroyed, 1);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, FailedCreateGivesNullAndIsRetried) {
    LogCapture log;
    Device dev;
    register_dev(&dev, "flaky");
    dev.fail_create = -ENOMEM;
    EXPECT_EQ(spdk_get_io_channel(&dev), nullptr);
    EXPECT_TRUE(log.contains("flaky"));
    dev.fail_create = 0;
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    ASSERT_NE(ch, nullptr);
    EXPECT_EQ(spdk_io_channel_get_ref_count(ch), 1);
    spdk_put_io_channel(ch);
    drain();
    EXPECT_EQ(dev.destroyed, 1);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, ReleaseFromAnotherThreadIsRefused) {
    LogCapture log;
    spdk_thread *t = make("owner");
    spdk_thread *other = make("stranger");
    Device dev;
    register_dev(&dev);
    spdk_set_thread(t);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    ASSERT_NE(ch, nullptr);
    spdk_set_thread(other);
    spdk_put_io_channel(ch);
    EXPECT_EQ(spdk_io_channel_ref(ch), nullptr);
    spdk_set_thread(nullptr);
    spdk_put_io_channel(ch);
    EXPECT_TRUE(log.contains("stranger"));
    spdk_set_thread(app_);
    drain();
    EXPECT_EQ(dev.destroyed, 0);
    EXPECT_EQ(spdk_io_channel_get_ref_count(ch), 1);
    spdk_set_thread(t);
    spdk_put_io_channel(ch);
    spdk_put_io_channel(nullptr);
    drain();
    EXPECT_EQ(dev.destroyed, 1);
    EXPECT_EQ(dev.destroyed_on, std::vector<spdk_thread *>{t});
    spdk_set_thread(app_);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, ReleasingMoreThanTakenIsRefused) {
    LogCapture log;
    Device dev;
    register_dev(&dev);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    spdk_put_io_channel(ch);
    spdk_put_io_channel(ch);  // before the release message: still valid memory
    EXPECT_TRUE(log.contains("more often than taken"));
    drain();
    EXPECT_EQ(dev.destroyed, 1);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, UnregisterWaitsForTheLastChannel) {
    LogCapture log;
    spdk_thread *t = make("worker");
    Device dev;
    register_dev(&dev);
    spdk_set_thread(t);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    spdk_set_thread(app_);
    spdk_io_device_unregister(&dev, dev_unregistered);
    drain();
    EXPECT_EQ(dev.unregistered, 0);
    // No new channel of an unregistered device, not even on another thread.
    EXPECT_EQ(spdk_get_io_channel(&dev), nullptr);
    spdk_set_thread(t);
    spdk_put_io_channel(ch);
    spdk_set_thread(app_);
    poll(t);
    EXPECT_EQ(dev.destroyed, 1);
    EXPECT_EQ(dev.unregistered, 0);  // its callback runs through a message
    drain();
    EXPECT_EQ(dev.unregistered, 1);
    EXPECT_EQ(dev.unregistered_on, app_);  // on the unregistering thread
}

TEST_F(ChannelTest, UnregisterWithoutChannelsCompletesThroughAMessage) {
    spdk_thread *t = make("worker");
    Device dev;
    register_dev(&dev);
    spdk_set_thread(t);
    spdk_io_device_unregister(&dev, dev_unregistered);
    EXPECT_EQ(dev.unregistered, 0);
    spdk_set_thread(app_);
    drain();
    EXPECT_EQ(dev.unregistered, 1);
    EXPECT_EQ(dev.unregistered_on, t);
    // The address can be registered again.
    register_dev(&dev);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    EXPECT_NE(ch, nullptr);
    spdk_put_io_channel(ch);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, UnregisterTwiceOrUnknownIsRefused) {
    LogCapture log;
    Device dev;
    register_dev(&dev);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    spdk_io_device_unregister(&dev, dev_unregistered);
    spdk_io_device_unregister(&dev, dev_unregistered);
    EXPECT_TRUE(log.contains("not registered"));
    int unknown;
    spdk_io_device_unregister(&unknown, dev_unregistered);
    spdk_put_io_channel(ch);
    drain();
    EXPECT_EQ(dev.unregistered, 1);
}

TEST_F(ChannelTest, DuplicateRegistrationIsRefused) {
    LogCapture log;
    Device dev;
    register_dev(&dev, "first");
    register_dev(&dev, "second");
    EXPECT_TRUE(log.contains("already registered"));
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    EXPECT_STREQ(spdk_io_channel_get_io_device_name(ch), "first");
    spdk_put_io_channel(ch);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, DeviceCallsOutsideAThreadAreRefused) {
    LogCapture log;
    Device dev;
    spdk_set_thread(nullptr);
    register_dev(&dev);
    EXPECT_EQ(spdk_get_io_channel(&dev), nullptr);
    spdk_set_thread(app_);
    EXPECT_EQ(spdk_get_io_channel(&dev), nullptr);  // it was never registered
    spdk_io_device_register(nullptr, dev_create, dev_destroy, 0, "null");
    spdk_io_device_register(&dev, nullptr, dev_destroy, 0, "no_create");
    EXPECT_EQ(spdk_get_io_channel(&dev), nullptr);
}

TEST_F(ChannelTest, ChannelKeepsItsThreadFromExiting) {
    spdk_thread *t = make("worker");
    Device dev;
    register_dev(&dev);
    spdk_set_thread(t);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    spdk_thread_exit(t);
    poll(t);
    EXPECT_FALSE(spdk_thread_is_exited(t));
    spdk_set_thread(t);
    // An exiting thread may still take and release channels.
    spdk_io_channel *more = spdk_get_io_channel(&dev);
    EXPECT_EQ(more, ch);
    spdk_put_io_channel(more);
    spdk_put_io_channel(ch);
    poll(t);
    EXPECT_TRUE(spdk_thread_is_exited(t));
    spdk_set_thread(app_);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, PendingUnregisterKeepsTheThreadFromExiting) {
    spdk_thread *t = make("worker");
    Device dev;
    register_dev(&dev);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    spdk_set_thread(t);
    spdk_io_device_unregister(&dev, dev_unregistered);
    spdk_thread_exit(t);
    poll(t);
    EXPECT_FALSE(spdk_thread_is_exited(t));
    spdk_set_thread(app_);
    spdk_put_io_channel(ch);
    drain();
    EXPECT_EQ(dev.unregistered, 1);
    EXPECT_EQ(dev.unregistered_on, t);
    EXPECT_TRUE(spdk_thread_is_exited(t));
}

// --- spdk_for_each_channel -------------------------------------------------------------

struct ChannelWalk {
    std::vector<spdk_thread *> visited;
    std::vector<spdk_io_channel *> channels;
    spdk_thread *completed_on = nullptr;
    int status = 1;
    int completions = 0;
    int fail_at = -1;  // visit index that reports an error
};

void walk_visit(spdk_io_channel_iter *i) {
    auto *w = static_cast<ChannelWalk *>(spdk_io_channel_iter_get_ctx(i));
    spdk_io_channel *ch = spdk_io_channel_iter_get_channel(i);
    EXPECT_EQ(spdk_io_channel_get_thread(ch), spdk_get_thread());
    EXPECT_EQ(spdk_io_channel_get_io_device(ch), spdk_io_channel_iter_get_io_device(i));
    const int index = static_cast<int>(w->visited.size());
    w->visited.push_back(spdk_get_thread());
    w->channels.push_back(ch);
    spdk_for_each_channel_continue(i, index == w->fail_at ? -EAGAIN : 0);
}

void walk_done(spdk_io_channel_iter *i, int status) {
    auto *w = static_cast<ChannelWalk *>(spdk_io_channel_iter_get_ctx(i));
    EXPECT_EQ(spdk_io_channel_iter_get_channel(i), nullptr);
    w->completed_on = spdk_get_thread();
    w->status = status;
    ++w->completions;
}

TEST_F(ChannelTest, ForEachChannelVisitsHoldersInIdOrderAndCompletesOnTheCaller) {
    spdk_thread *a = make("a");
    spdk_thread *b = make("b");
    spdk_thread *c = make("c");
    Device dev;
    register_dev(&dev);
    std::vector<spdk_io_channel *> chans;
    for (spdk_thread *t : {c, a}) {  // taken out of id order; b holds none
        spdk_set_thread(t);
        chans.push_back(spdk_get_io_channel(&dev));
    }
    spdk_set_thread(b);
    ChannelWalk walk;
    spdk_for_each_channel(&dev, walk_visit, &walk, walk_done);
    EXPECT_TRUE(walk.visited.empty());
    spdk_set_thread(app_);
    drain();
    EXPECT_EQ(walk.visited, (std::vector<spdk_thread *>{a, c}));
    EXPECT_EQ(walk.channels, (std::vector<spdk_io_channel *>{chans[1], chans[0]}));
    EXPECT_EQ(walk.completions, 1);
    EXPECT_EQ(walk.status, 0);
    EXPECT_EQ(walk.completed_on, b);
    spdk_set_thread(c);
    spdk_put_io_channel(chans[0]);
    spdk_set_thread(a);
    spdk_put_io_channel(chans[1]);
    spdk_set_thread(app_);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, ForEachChannelStopsAtTheFirstError) {
    spdk_thread *a = make("a");
    spdk_thread *b = make("b");
    Device dev;
    register_dev(&dev);
    std::vector<spdk_io_channel *> chans;
    for (spdk_thread *t : {app_, a, b}) {
        spdk_set_thread(t);
        chans.push_back(spdk_get_io_channel(&dev));
    }
    spdk_set_thread(app_);
    ChannelWalk walk;
    walk.fail_at = 1;
    spdk_for_each_channel(&dev, walk_visit, &walk, walk_done);
    drain();
    EXPECT_EQ(walk.visited, (std::vector<spdk_thread *>{app_, a}));
    EXPECT_EQ(walk.status, -EAGAIN);
    EXPECT_EQ(walk.completed_on, app_);
    int i = 0;
    for (spdk_thread *t : {app_, a, b}) {
        spdk_set_thread(t);
        spdk_put_io_channel(chans[i++]);
    }
    spdk_set_thread(app_);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, ForEachChannelWithoutChannelsOrDevice) {
    LogCapture log;
    Device dev;
    register_dev(&dev);
    ChannelWalk empty;
    spdk_for_each_channel(&dev, walk_visit, &empty, walk_done);
    EXPECT_EQ(empty.completions, 0);  // completion is a message too
    drain();
    EXPECT_EQ(empty.completions, 1);
    EXPECT_EQ(empty.status, 0);
    EXPECT_TRUE(empty.visited.empty());
    int unknown;
    ChannelWalk missing;
    spdk_for_each_channel(&unknown, walk_visit, &missing, walk_done);
    drain();
    EXPECT_EQ(missing.completions, 1);
    EXPECT_EQ(missing.status, -ENODEV);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, ForEachChannelSkipsAChannelReleasedMeanwhile) {
    spdk_thread *a = make("a");
    spdk_thread *b = make("b");
    Device dev;
    register_dev(&dev);
    spdk_set_thread(a);
    spdk_io_channel *ch_a = spdk_get_io_channel(&dev);
    spdk_set_thread(b);
    spdk_io_channel *ch_b = spdk_get_io_channel(&dev);
    spdk_set_thread(app_);
    ChannelWalk walk;
    spdk_for_each_channel(&dev, walk_visit, &walk, walk_done);
    // b releases its channel, but the release is still queued when a is visited and
    // the walk goes on to b; by the time the walk's message runs there, the channel
    // is gone.
    spdk_set_thread(b);
    spdk_put_io_channel(ch_b);
    spdk_set_thread(app_);
    poll(a);
    EXPECT_EQ(walk.visited, std::vector<spdk_thread *>{a});
    EXPECT_EQ(dev.destroyed, 0);
    poll(b);
    EXPECT_EQ(dev.destroyed, 1);
    drain();
    EXPECT_EQ(walk.visited, std::vector<spdk_thread *>{a});
    EXPECT_EQ(walk.status, 0);
    spdk_set_thread(a);
    spdk_put_io_channel(ch_a);
    spdk_set_thread(app_);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

TEST_F(ChannelTest, UnregisterDuringForEachChannelWaitsForTheWalk) {
    LogCapture log;
    spdk_thread *a = make("a");
    Device dev;
    register_dev(&dev);
    spdk_set_thread(a);
    spdk_io_channel *ch = spdk_get_io_channel(&dev);
    spdk_set_thread(app_);
    ChannelWalk walk;
    spdk_for_each_channel(&dev, walk_visit, &walk, walk_done);
    spdk_io_device_unregister(&dev, dev_unregistered);
    // Another walk, or a second unregister, is refused meanwhile.
    ChannelWalk refused;
    spdk_for_each_channel(&dev, walk_visit, &refused, walk_done);
    spdk_io_device_unregister(&dev, dev_unregistered);
    EXPECT_TRUE(log.contains("waits to be unregistered"));
    drain();
    EXPECT_EQ(walk.visited, std::vector<spdk_thread *>{a});
    EXPECT_EQ(walk.status, 0);
    EXPECT_EQ(refused.status, -ENODEV);
    EXPECT_EQ(dev.unregistered, 0);  // a channel is still held
    EXPECT_EQ(spdk_get_io_channel(&dev), nullptr);
    spdk_set_thread(a);
    spdk_put_io_channel(ch);
    spdk_set_thread(app_);
    drain();
    EXPECT_EQ(dev.unregistered, 1);
    EXPECT_EQ(dev.unregistered_on, app_);
}

TEST_F(ChannelTest, ForEachChannelAcrossPolledOsThreads) {
    constexpr int kThreads = 3;
    std::vector<spdk_thread *> workers;
    for (int i = 0; i < kThreads; ++i) {
        workers.push_back(make("w"));
    }
    Device dev;
    register_dev(&dev);
    std::vector<spdk_io_channel *> chans;
    for (spdk_thread *t : workers) {
        spdk_set_thread(t);
        chans.push_back(spdk_get_io_channel(&dev));
    }
    spdk_set_thread(app_);
    ChannelWalk walk;
    std::atomic<bool> stop{false};
    std::vector<std::thread> pollers;
    for (spdk_thread *t : workers) {
        pollers.emplace_back([t, &stop] {
            while (!stop.load()) {
                spdk_thread_poll(t, 0, 0);
            }
        });
    }
    spdk_for_each_channel(&dev, walk_visit, &walk, walk_done);
    while (walk.completions == 0) {
        spdk_thread_poll(app_, 0, 0);
    }
    stop.store(true);
    for (auto &p : pollers) {
        p.join();
    }
    EXPECT_EQ(walk.visited, workers);
    EXPECT_EQ(walk.status, 0);
    for (int i = 0; i < kThreads; ++i) {
        spdk_set_thread(workers[i]);
        spdk_put_io_channel(chans[i]);
    }
    spdk_set_thread(app_);
    spdk_io_device_unregister(&dev, nullptr);
    drain();
}

// --- spinlocks -------------------------------------------------------------------------

TEST_F(ThreadTest, SpinlockKnowsItsHolder) {
    spdk_thread *t = make("worker");
    spdk_spinlock lock;
    spdk_spin_init(&lock);
    EXPECT_FALSE(spdk_spin_held(&lock));
    spdk_spin_lock(&lock);
    EXPECT_TRUE(spdk_spin_held(&lock));
    spdk_set_thread(t);
    EXPECT_FALSE(spdk_spin_held(&lock));
    spdk_set_thread(app_);
    spdk_spin_unlock(&lock);
    EXPECT_FALSE(spdk_spin_held(&lock));
    spdk_spin_destroy(&lock);
}

}  // namespace
