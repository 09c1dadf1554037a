#include "spdkcpp/task.hpp"

#include <gtest/gtest.h>

#include <optional>

#include <chrono>
#include <string>
#include <vector>

#include "driver_fixture.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/thread_driver.hpp"
#include "spdkcpp/when_all.hpp"

namespace spdkcpp {
namespace {

using namespace std::chrono_literals;

using TaskTest = testing::DriverFixture;

Task<int> answer() {
    co_return 42;
}

Task<Result<int>> add(int a, int b) {
    co_return a + b;
}

Task<Result<int>> failing() {
    co_return fail(ErrorKind::IoFailed, "disk on fire");
}

TEST_F(TaskTest, LazyUntilAwaited) {
    bool started = false;
    auto body = [&]() -> Task<int> {
        started = true;
        co_return 1;
    };
    Task<int> t = body();
    EXPECT_FALSE(started);
    EXPECT_FALSE(t.done());
    auto r = driver_->run(app_, std::move(t));
    ASSERT_TRUE(r);
    EXPECT_TRUE(started);
    EXPECT_EQ(*r, 1);
}

TEST_F(TaskTest, AwaitChainsValuesAndErrors) {
    auto outer = []() -> Task<Result<int>> {
        const int a = co_await answer();
        auto b = co_await add(a, 1);
        if (!b) {
            co_return fail(b.error());
        }
        auto c = co_await failing();
        EXPECT_FALSE(c);
        EXPECT_EQ(c.error().kind(), ErrorKind::IoFailed);
        co_return *b;
    };
    auto r = driver_->run(app_, outer());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, 43);
}

TEST_F(TaskTest, OnHopsBetweenThreads) {
    auto hop = [](ThreadRef app, ThreadRef worker) -> Task<Result<std::vector<std::string>>> {
        std::vector<std::string> seen;
        seen.emplace_back(ThreadRef::current().name());
        if (auto r = co_await on(worker); !r) {
            co_return fail(r.error());
        }
        seen.emplace_back(ThreadRef::current().name());
        if (auto r = co_await on(app); !r) {
            co_return fail(r.error());
        }
        seen.emplace_back(ThreadRef::current().name());
        co_return seen;
    };
    auto r = driver_->run(app_, hop(app_, worker_));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, (std::vector<std::string>{"app", "worker", "app"}));
}

TEST_F(TaskTest, OnToExitedThreadIsClosedAndStaysPut) {
    auto t = Thread::create("doomed");
    ASSERT_TRUE(t);
    ThreadRef doomed = t->ref();
    ASSERT_TRUE(t->exit());
    while (!spdk_thread_is_exited(doomed.raw())) {
        driver_->poll(doomed);
    }
    auto hop = [](ThreadRef to) -> Task<Result<std::string>> {
        auto r = co_await on(to);
        if (r) {
            co_return std::string("hopped");
        }
        EXPECT_EQ(r.error().kind(), ErrorKind::Closed);
        co_return std::string(ThreadRef::current().name());
    };
    auto r = driver_->run(app_, hop(doomed));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, "app");
}

TEST_F(TaskTest, SleepWaitsForVirtualTime) {
    SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME();
    bool woke = false;
    auto nap = [&]() -> Task<Result<void>> {
        auto r = co_await sleep(50ms);
        woke = true;
        co_return r;
    };
    auto r = driver_->run(app_, nap());
    ASSERT_FALSE(r);  // still asleep when the threads went idle
    EXPECT_EQ(r.error().kind(), ErrorKind::Stalled);
    driver_->advance(49ms);
    EXPECT_FALSE(woke);
    driver_->advance(2ms);
    EXPECT_TRUE(woke);  // the detached task finished and freed itself
}

TEST_F(TaskTest, YieldLetsQueuedMessagesRunFirst) {
    std::vector<int> order;
    auto body = [&](ThreadRef self) -> Task<Result<void>> {
        order.push_back(1);
        EXPECT_TRUE(self.send([&] { order.push_back(2); }));
        auto r = co_await yield();
        order.push_back(3);
        co_return r;
    };
    auto r = driver_->run(app_, body(app_));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_F(TaskTest, WhenAllRunsConcurrentlyAndKeepsOrder) {
    SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME();
    auto slow = [](int v, std::chrono::milliseconds d) -> Task<int> {
        (void)co_await sleep(d);
        co_return v;
    };
    auto both = [&]() -> Task<std::tuple<int, int>> {
        co_return co_await when_all(slow(1, 20ms), slow(2, 10ms));
    };
    std::optional<std::tuple<int, int>> out;
    auto collect = [&]() -> Task<int> {
        out = co_await both();
        co_return 0;
    };
    auto r = driver_->run(app_, collect());
    ASSERT_FALSE(r);  // both still sleeping
    EXPECT_EQ(r.error().kind(), ErrorKind::Stalled);
    driver_->advance(20ms);  // both sleep at once: 20 ms is enough for both
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, std::make_tuple(1, 2));
}

TEST_F(TaskTest, WhenAllOverAVectorAcrossThreads) {
    auto on_thread = [](ThreadRef t, int v) -> Task<int> {
        (void)co_await on(t);
        co_return v * 10;
    };
    auto all = [&]() -> Task<Result<std::vector<int>>> {
        std::vector<Task<int>> tasks;
        for (int i = 0; i < 6; ++i) {
            tasks.push_back(on_thread(i % 2 == 0 ? worker_ : app_, i));
        }
        auto values = co_await when_all(std::move(tasks));
        EXPECT_EQ(ThreadRef::current(), app_);  // resumed where it awaited
        co_return values;
    };
    auto r = driver_->run(app_, all());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, (std::vector<int>{0, 10, 20, 30, 40, 50}));
}

TEST_F(TaskTest, SpawnRunsDetachedOnTheTarget) {
    std::string where;
    auto job = [&]() -> Task<void> {
        where = ThreadRef::current().name();
        co_return;
    };
    ASSERT_TRUE(spawn(worker_, job()));
    EXPECT_TRUE(where.empty());
    driver_->run_until_idle();
    EXPECT_EQ(where, "worker");
}

TEST_F(TaskTest, DroppingARunningTaskLetsItFinishSafely) {
    bool finished = false;
    auto body = [&]() -> Task<int> {
        (void)co_await sleep(1ms);
        finished = true;  // the frame is still alive here
        co_return 7;
    };
    {
        Task<int> t = body();
        auto starter = [](Task<int> &inner) -> Task<int> { co_return co_await std::move(inner); };
        Task<int> outer = starter(t);
        driver_->on(app_, [&] { spawn(std::move(outer)); });
        // `t` (owned here) goes out of scope while its body sleeps.
    }
    driver_->advance(2ms);
    EXPECT_TRUE(finished);
}

TEST_F(TaskTest, SleepOutsideAThreadIsWrongThread) {
    std::optional<Result<void>> r;
    auto nap = [&]() -> Task<void> { r = co_await sleep(1ms); };
    spawn(nap());  // starts it right here, on no spdk_thread
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().kind(), ErrorKind::WrongThread);
}

TEST_F(TaskTest, CoReturnOfAnEmptyBraceIsSuccess) {
    auto ok = []() -> Task<Result<void>> { co_return {}; };
    auto value = []() -> Task<Result<int>> { co_return {}; };
    auto r = driver_->run(app_, ok());
    EXPECT_TRUE(r);
    auto v = driver_->run(app_, value());
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 0);
}

// A task's own failure comes back as it is, flat, and stays apart from the
// driver's own (Stalled): one check catches either, the kind tells which.
TEST_F(TaskTest, RunGivesATasksResultFlat) {
    static_assert(std::is_same_v<decltype(driver_->run(app_, failing())), Result<int>>);
    static_assert(std::is_same_v<decltype(driver_->run(app_, answer())), Result<int>>);
    auto r = driver_->run(app_, failing());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::IoFailed);
    EXPECT_EQ(r.error().context(), "disk on fire");

    if (!driver_->exact_virtual_time()) {
        return;  // on a real clock the driver waits the sleep out
    }
    auto later = []() -> Task<Result<int>> {
        (void)co_await sleep(10ms);
        co_return 1;
    };
    auto stalled = driver_->run(app_, later());
    ASSERT_FALSE(stalled);
    EXPECT_EQ(stalled.error().kind(), ErrorKind::Stalled);
    EXPECT_NE(stalled.error().message().find("still waiting"), std::string::npos)
        << stalled.error().message();
    driver_->advance(10ms);  // the detached task ends and frees itself
}

}  // namespace
}  // namespace spdkcpp
