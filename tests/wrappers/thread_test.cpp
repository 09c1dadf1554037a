#include "spdkcpp/thread.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "driver_fixture.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp {
namespace {

using ThreadTest = testing::DriverFixture;

static_assert(detail::fits_in_pointer<decltype([p = static_cast<int *>(nullptr)] { (void)p; })>);
static_assert(!std::is_copy_constructible_v<Thread>);

TEST_F(ThreadTest, CreateNamesAndCounts) {
    auto t = Thread::create("worker");
    ASSERT_TRUE(t) << t.error().message();
    EXPECT_EQ(t->name(), "worker");
    EXPECT_NE(t->id(), app_.id());
    EXPECT_EQ(driver_->thread_count(), 3U);  // app, worker and this one
    EXPECT_EQ(ThreadRef::current(), ThreadRef());
    driver_->on(t->ref(), [&] { EXPECT_EQ(ThreadRef::current(), t->ref()); });
}

TEST_F(ThreadTest, MessagesRunInOrderOnTheTarget) {
    auto t = Thread::create("worker");
    ASSERT_TRUE(t);
    std::vector<int> order;
    ThreadRef seen;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(t->send([&order, &seen, i] {
            order.push_back(i);
            seen = ThreadRef::current();
        }));
    }
    EXPECT_TRUE(order.empty());  // nothing runs until the thread is polled
    driver_->run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(seen, t->ref());
}

TEST_F(ThreadTest, AFullMessageQueueIsOutOfMemoryAndDrains) {
    // Messages to a thread nobody polls fill its queue (a bounded ring here, SPDK's
    // message pool on SPDK): then a send fails, and nothing is lost.
    constexpr uint32_t kLimit = 1U << 20;  // far beyond either bound
    uint32_t ran = 0;
    uint32_t accepted = 0;
    Result<void> r;
    driver_->on(app_, [&] {
        while (accepted < kLimit && (r = worker_.send([&ran] { ++ran; }))) {
            ++accepted;
        }
    });
    ASSERT_FALSE(r) << "no send failed after " << accepted << " messages";
    EXPECT_EQ(r.error().kind(), ErrorKind::OutOfMemory) << r.error().message();
    EXPECT_GT(accepted, 0U);
    EXPECT_EQ(ran, 0U);
    driver_->run_until_idle();
    EXPECT_EQ(ran, accepted);  // every accepted message ran, once
    bool after = false;
    ASSERT_TRUE(worker_.send([&after] { after = true; }));  // room again
    driver_->run_until_idle();
    EXPECT_TRUE(after);
}

TEST_F(ThreadTest, MoveOnlyAndLargeCallables) {
    auto value = std::make_unique<int>(41);
    int result = 0;
    ASSERT_TRUE(app_.send([v = std::move(value), &result] { result = *v + 1; }));
    driver_->run_until_idle();
    EXPECT_EQ(result, 42);
}

TEST_F(ThreadTest, DroppingTheOwnerExitsTheThread) {
    bool ran = false;
    {
        auto t = Thread::create("short-lived");
        ASSERT_TRUE(t);
        ASSERT_TRUE(t->send([&ran] { ran = true; }));
    }
    EXPECT_EQ(driver_->thread_count(), 3U);  // not blocked on, not yet exited
    driver_->run_until_idle();
    EXPECT_TRUE(ran);  // queued work ran before the exit
    EXPECT_EQ(driver_->thread_count(), 2U);
}

TEST_F(ThreadTest, SendToExitedThreadIsClosed) {
    auto t = Thread::create("gone");
    ASSERT_TRUE(t);
    ThreadRef ref = t->ref();
    ASSERT_TRUE(t->exit());
    EXPECT_FALSE(*t);
    EXPECT_EQ(t->exit().error().kind(), ErrorKind::Closed);
    // Poll it until it has exited, but keep it (the driver would destroy it).
    for (int i = 0; i < 10 && !spdk_thread_is_exited(ref.raw()); ++i) {
        driver_->poll(ref);
    }
    ASSERT_TRUE(spdk_thread_is_exited(ref.raw()));
    auto sent = ref.send([] { FAIL() << "ran on an exited thread"; });
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().kind(), ErrorKind::Closed);
    driver_->run_until_idle();  // destroys it
}

TEST_F(ThreadTest, AWeakThreadOutlivesItsThreadAndSaysClosed) {
    WeakThread weak;
    int ran = 0;
    {
        auto t = Thread::create("short-lived");
        ASSERT_TRUE(t);
        weak = t->weak();
        ASSERT_TRUE(weak.lock());
        EXPECT_EQ(*weak.lock(), t->ref());
        ASSERT_TRUE(weak.send([&ran] { ++ran; }));
        EXPECT_FALSE(weak.expired());
    }  // the owner asks the thread to exit
    bool waited = false;
    ASSERT_TRUE(spawn(app_, [](WeakThread w, bool &done) -> Task<void> {
        EXPECT_TRUE(co_await wait_exit(w, std::chrono::microseconds(100)));
        done = true;
    }(weak, waited)));
    driver_->run_until_idle();
    driver_->advance(std::chrono::milliseconds(1));
    EXPECT_EQ(ran, 1);
    EXPECT_TRUE(waited);
    EXPECT_EQ(driver_->thread_count(), 2U);  // the thread is destroyed
    // Its handle is safe: a clear Closed, not a use of freed memory.
    EXPECT_TRUE(weak.expired());
    EXPECT_EQ(weak.lock().error().kind(), ErrorKind::Closed);
    EXPECT_EQ(weak.send([&ran] { ++ran; }).error().kind(), ErrorKind::Closed);
    EXPECT_EQ(WeakThread().send([] {}).error().kind(), ErrorKind::InvalidParameter);
}

TEST_F(ThreadTest, SendToEmptyRefIsInvalid) {
    EXPECT_EQ(ThreadRef().send([] {}).error().kind(), ErrorKind::InvalidParameter);
}

TEST_F(ThreadTest, CoreMaskParsing) {
    auto m = CoreMask::parse("0x5");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->count(), 2U);
    EXPECT_TRUE(m->contains(2));
    EXPECT_EQ(m->to_string(), "0x5");
    EXPECT_EQ(CoreMask::parse("zz").error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(CoreMask::parse("0x0").error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(CoreMask::single(3), *CoreMask::parse("[3]"));
}

}  // namespace
}  // namespace spdkcpp
