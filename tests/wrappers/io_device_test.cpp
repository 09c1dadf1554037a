#include "spdkcpp/io_device.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "driver_fixture.hpp"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp {
namespace {

// Counts constructions and destructions of channel contexts.
struct Counters {
    int constructed = 0;
    int destroyed = 0;
    int destroyed_elsewhere = 0;  // off the thread the context was made on
};

struct ChannelCtx {
    explicit ChannelCtx(Counters *c) : counters(c), thread(ThreadRef::current()) {
        ++counters->constructed;
    }
    ChannelCtx(const ChannelCtx &) = delete;
    ChannelCtx &operator=(const ChannelCtx &) = delete;
    ~ChannelCtx() {
        ++counters->destroyed;
        counters->destroyed_elsewhere += ThreadRef::current() == thread ? 0 : 1;
    }
    Counters *counters;
    ThreadRef thread;
    std::vector<int> items;  // a member that owns heap memory
    int visits = 0;
};

class IoDeviceTest : public testing::DriverFixture {
  protected:
    Counters counters_;
};

TEST_F(IoDeviceTest, OneContextPerThreadConstructedInPlace) {
    auto dev = driver_->on(app_, [&] { return IoDevice<ChannelCtx>::create("dev", &counters_); });
    ASSERT_TRUE(dev) << dev.error().message();
    {
        auto a = driver_->on(app_, [&] { return dev->channel(); });
        auto b = driver_->on(app_, [&] { return dev->channel(); });
        auto w = driver_->on(worker_, [&] { return dev->channel(); });
        ASSERT_TRUE(a && b && w);
        // Each context is used on its own channel's thread.
        ChannelCtx *on_app = driver_->on(app_, [&] {
            EXPECT_EQ(&a->ctx(), &b->ctx());  // shared on one thread
            a->ctx().items.assign(100, 7);
            return &a->ctx();
        });
        ChannelCtx *on_worker = driver_->on(worker_, [&] { return &w->ctx(); });
        EXPECT_NE(on_app, on_worker);
        EXPECT_EQ(on_app->thread, app_);
        EXPECT_EQ(on_worker->thread, worker_);
        EXPECT_EQ(counters_.constructed, 2);
        driver_->on(app_, [&] {
            *a = IoChannel<ChannelCtx>();
            *b = IoChannel<ChannelCtx>();
        });
        driver_->on(worker_, [&] { *w = IoChannel<ChannelCtx>(); });
    }
    driver_->run_until_idle();
    EXPECT_EQ(counters_.destroyed, 2);
    driver_->on(app_, [&] { dev->unregister(); });
    driver_->run_until_idle();
}

TEST_F(IoDeviceTest, ChannelDroppedOnAnotherThreadIsPutOnItsOwn) {
    auto dev = driver_->on(app_, [&] { return IoDevice<ChannelCtx>::create("dev", &counters_); });
    ASSERT_TRUE(dev);
    auto ch = driver_->on(worker_, [&] { return dev->channel(); });
    ASSERT_TRUE(ch);
    EXPECT_EQ(ch->thread(), worker_);
    driver_->on(app_, [&] {
        EXPECT_EQ(ch->put().error().kind(), ErrorKind::WrongThread);  // refused, still owned
        ch = fail(ErrorKind::Closed);                                 // drops it on app
    });
    driver_->run_until_idle();
    EXPECT_EQ(counters_.destroyed, 1);  // put on the worker thread, then destroyed there
    driver_->on(app_, [&] { dev->unregister(); });
    driver_->run_until_idle();
}

// Dropped elsewhere while its thread's message queue is full (a bounded ring here,
// SPDK's message pool on SPDK), the channel's put is sent again until it goes
// through: late, never lost, and still on its own thread.
TEST_F(IoDeviceTest, ADropWhileItsThreadsQueueIsFullIsPutOnceThereIsRoom) {
    auto dev = driver_->on(app_, [&] { return IoDevice<ChannelCtx>::create("dev", &counters_); });
    ASSERT_TRUE(dev);
    auto ch = driver_->on(worker_, [&] { return dev->channel(); });
    ASSERT_TRUE(ch);
    uint32_t filler = 0;
    Result<void> r;
    driver_->on(app_, [&] {
        while (filler < (1U << 20) && (r = worker_.send([] {}))) {
            ++filler;
        }
        ASSERT_FALSE(r) << "the worker's queue never filled";
        ch = fail(ErrorKind::Closed);  // drops it on app: its put finds the queue full
    });
    EXPECT_EQ(counters_.destroyed, 0);
    driver_->run_until_idle();
    EXPECT_EQ(counters_.destroyed, 1);  // put once the worker drained its queue
    EXPECT_EQ(counters_.destroyed_elsewhere, 0);
    driver_->on(app_, [&] { dev->unregister(); });
    driver_->run_until_idle();
    EXPECT_EQ(counters_.constructed, 1);
}

TEST_F(IoDeviceTest, ForEachChannelVisitsEveryThreadOnItsThread) {
    auto dev = driver_->on(app_, [&] { return IoDevice<ChannelCtx>::create("dev", &counters_); });
    ASSERT_TRUE(dev);
    auto a = driver_->on(app_, [&] { return dev->channel(); });
    auto w = driver_->on(worker_, [&] { return dev->channel(); });
    ASSERT_TRUE(a && w);
    auto walk = [](IoDevice<ChannelCtx> &d) -> Task<Result<int>> {
        int visited = 0;
        auto rc = co_await d.for_each_channel([&](ChannelCtx &ctx) {
            EXPECT_EQ(ctx.thread, ThreadRef::current());
            ++ctx.visits;
            ++visited;
        });
        if (!rc) {
            co_return fail(rc.error());
        }
        EXPECT_EQ(ThreadRef::current().name(), "app");  // continues where it started
        co_return visited;
    };
    auto visited = driver_->run(app_, walk(*dev));
    ASSERT_TRUE(visited) << visited.error().message();
    EXPECT_EQ(*visited, 2);
    const int app_visits = driver_->on(app_, [&] { return a->ctx().visits; });
    const int worker_visits = driver_->on(worker_, [&] { return w->ctx().visits; });
    EXPECT_EQ(app_visits, 1);
    EXPECT_EQ(worker_visits, 1);

    auto stop_early = [](IoDevice<ChannelCtx> &d) -> Task<Result<void>> {
        co_return co_await d.for_each_channel([](ChannelCtx &c) {
            ++c.visits;
            return -ECANCELED;
        });
    };
    auto stopped = driver_->run(app_, stop_early(*dev));
    ASSERT_FALSE(stopped);
    EXPECT_EQ(stopped.error().kind(), ErrorKind::Cancelled);
    EXPECT_EQ(driver_->on(app_, [&] { return a->ctx().visits; }) +
                  driver_->on(worker_, [&] { return w->ctx().visits; }),
              3);  // the walk stopped after one
    driver_->on(app_, [&] { *a = IoChannel<ChannelCtx>(); });
    driver_->on(worker_, [&] { *w = IoChannel<ChannelCtx>(); });
    driver_->on(app_, [&] { dev->unregister(); });
    driver_->run_until_idle();
}

TEST_F(IoDeviceTest, UnregisterWaitsForTheLastChannel) {
    auto dev = driver_->on(app_, [&] { return IoDevice<ChannelCtx>::create("dev", &counters_); });
    ASSERT_TRUE(dev);
    auto ch = driver_->on(worker_, [&] { return dev->channel(); });
    ASSERT_TRUE(ch);
    driver_->on(app_, [&] { dev->unregister(); });
    EXPECT_FALSE(*dev);
    EXPECT_EQ(dev->channel().error().kind(), ErrorKind::Closed);
    driver_->run_until_idle();
    EXPECT_EQ(counters_.destroyed, 0);  // the worker's channel is still in use
    driver_->on(worker_, [&] { ch->ctx().items.push_back(1); });
    driver_->on(worker_, [&] { ch = fail(ErrorKind::Closed); });
    driver_->run_until_idle();
    EXPECT_EQ(counters_.destroyed, 1);
}

#if SPDKCPP_THREAD_CHECKS
TEST_F(IoDeviceTest, ContextOffItsThreadAsserts) {
    auto dev = driver_->on(app_, [&] { return IoDevice<ChannelCtx>::create("dev", &counters_); });
    auto ch = driver_->on(worker_, [&] { return dev->channel(); });
    ASSERT_TRUE(ch);
    driver_->on(app_, [&] {
        EXPECT_DEATH((void)ch->ctx(), "IoChannel::ctx\\(\\) used off the channel's thread");
    });
    driver_->on(worker_, [&] { ch = fail(ErrorKind::Closed); });
    driver_->on(app_, [&] { dev->unregister(); });
}
#endif

TEST_F(IoDeviceTest, OutsideAThreadIsWrongThread) {
    auto dev = IoDevice<ChannelCtx>::create("dev", &counters_);
    ASSERT_FALSE(dev);
    EXPECT_EQ(dev.error().kind(), ErrorKind::WrongThread);
}

}  // namespace
}  // namespace spdkcpp
