#include "spdkcpp/poller.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "driver_fixture.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp {
namespace {

using namespace std::chrono_literals;

using PollerTest = testing::DriverFixture;

TEST_F(PollerTest, ActivePollerRunsOnEveryPoll) {
    int runs = 0;
    auto p = driver_->on(app_, [&] {
        return Poller::active([&] {
            ++runs;
            return false;
        });
    });
    ASSERT_TRUE(p) << p.error().message();
    driver_->poll(app_);
    driver_->poll(app_);
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(p->thread(), app_);
}

TEST_F(PollerTest, TimedPollerFollowsVirtualTime) {
    SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME();
    int runs = 0;
    auto p = driver_->on(app_, [&] {
        return Poller::every(100us, [&] {
            ++runs;
            return PollStatus::Busy;
        });
    });
    ASSERT_TRUE(p);
    driver_->run_until_idle();
    EXPECT_EQ(runs, 0);
    driver_->advance(99us);
    EXPECT_EQ(runs, 0);
    driver_->advance(2us);
    EXPECT_EQ(runs, 1);
    driver_->advance(100us);
    EXPECT_EQ(runs, 2);
}

TEST_F(PollerTest, PauseAndResumeOnOwnThreadOnly) {
    int runs = 0;
    auto p = driver_->on(app_, [&] { return Poller::active([&] { ++runs; }); });
    ASSERT_TRUE(p);
    EXPECT_EQ(p->pause().error().kind(), ErrorKind::WrongThread);  // no spdk_thread here
    driver_->on(worker_, [&] { EXPECT_EQ(p->pause().error().kind(), ErrorKind::WrongThread); });
    driver_->on(app_, [&] { EXPECT_TRUE(p->pause()); });
    driver_->poll(app_);
    driver_->poll(app_);
    const int paused_runs = runs;
    driver_->poll(app_);
    EXPECT_EQ(runs, paused_runs);
    driver_->on(app_, [&] { EXPECT_TRUE(p->resume()); });
    driver_->poll(app_);
    driver_->poll(app_);
    EXPECT_GT(runs, paused_runs);
}

TEST_F(PollerTest, DroppedOnAnotherThreadUnregistersOnItsOwn) {
    int runs = 0;
    auto p = driver_->on(app_, [&] { return Poller::active([&] { ++runs; }); });
    ASSERT_TRUE(p);
    driver_->on(worker_, [&] { p = Poller(); });  // dropped on the worker thread
    driver_->run_until_idle();
    const int after_drop = runs;
    driver_->poll(app_);
    EXPECT_EQ(runs, after_drop);
    EXPECT_FALSE(spdk_thread_has_pollers(app_.raw()));
}

TEST_F(PollerTest, PausedPollerDroppedIsFreed) {
    auto p = driver_->on(app_, [&] { return Poller::every(1ms, [] {}); });
    ASSERT_TRUE(p);
    driver_->on(app_, [&] { ASSERT_TRUE(p->pause()); });
    p = Poller();
    driver_->advance(1ms);  // SPDK frees a paused timed poller when it next comes due
    EXPECT_FALSE(spdk_thread_has_pollers(app_.raw()));
}

TEST_F(PollerTest, PollerMayDropItselfFromItsCallable) {
    std::optional<Poller> self;
    int runs = 0;
    auto p = driver_->on(app_, [&] {
        return Poller::active([&] {
            ++runs;
            self.reset();  // destroys the owner of the running poller
        });
    });
    ASSERT_TRUE(p);
    self.emplace(std::move(*p));
    driver_->run_until_idle();
    EXPECT_EQ(runs, 1);
    EXPECT_FALSE(spdk_thread_has_pollers(app_.raw()));
}

TEST_F(PollerTest, RegisteringOutsideAThreadIsWrongThread) {
    auto p = Poller::active([] {});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().kind(), ErrorKind::WrongThread);
}

}  // namespace
}  // namespace spdkcpp

namespace spdkcpp {
namespace {

// The driver's clock probe tells the providers apart: the runtime stamps a new
// timed poller with its thread's clock, real SPDK with spdk_get_ticks().
TEST_F(PollerTest, DriverKnowsWhichClockStampsPollers) {
#ifdef SPDKCPP_TEST_EMBEDDED
    EXPECT_TRUE(driver_->exact_virtual_time());
#else
    EXPECT_FALSE(driver_->exact_virtual_time());
#endif
    EXPECT_EQ(driver_->thread_count(), 2U);  // the probe left no poller or thread behind
    EXPECT_FALSE(spdk_thread_has_pollers(app_.raw()));
}

}  // namespace
}  // namespace spdkcpp
