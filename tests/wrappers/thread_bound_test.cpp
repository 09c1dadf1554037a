#include "spdkcpp/thread_bound.hpp"

#include <gtest/gtest.h>

#include <string>

#include "driver_fixture.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp {
namespace {

using ThreadBoundTest = testing::DriverFixture;

#if SPDKCPP_THREAD_CHECKS
TEST_F(ThreadBoundTest, AccessOnOwnerThreadWorks) {
    auto bound = driver_->on(app_, [] { return ThreadBound<std::string>("state"); });
    driver_->on(app_, [&] {
        auto len = bound.with([](std::string &s) {
            s += "!";
            return s.size();
        });
        ASSERT_TRUE(len);
        EXPECT_EQ(*len, 6U);
        EXPECT_EQ(bound.get(), "state!");
        EXPECT_TRUE(bound.on_owner_thread());
        EXPECT_EQ(bound.owner(), app_.raw());
    });
}

TEST_F(ThreadBoundTest, AccessFromAnotherThreadIsWrongThread) {
    auto bound = driver_->on(app_, [] { return ThreadBound<int>(5); });
    driver_->on(worker_, [&] {
        auto r = bound.with([](int &v) { v = 6; });
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind(), ErrorKind::WrongThread);
        EXPECT_FALSE(bound.on_owner_thread());
    });
    driver_->on(app_, [&] { EXPECT_EQ(bound.get(), 5); });  // untouched
    auto outside = bound.with([](int &) {});                // no spdk_thread at all
    EXPECT_EQ(outside.error().kind(), ErrorKind::WrongThread);
}

TEST_F(ThreadBoundTest, BorrowedRefChecksToo) {
    int value = 1;
    auto ref = driver_->on(app_, [&] { return ThreadBoundRef<int>(value); });
    driver_->on(app_, [&] { EXPECT_TRUE(ref.with([](int &v) { ++v; })); });
    driver_->on(worker_, [&] {
        EXPECT_EQ(ref.with([](int &v) { ++v; }).error().kind(), ErrorKind::WrongThread);
    });
    EXPECT_EQ(value, 2);
}

TEST(ThreadBoundDeath, GetFromAnotherThreadAsserts) {
    ThreadBound<int> bound(1);  // bound to "no thread"
    auto d = ThreadDriver::create();
    ASSERT_TRUE(d);
    auto t = d->add_thread("t");
    ASSERT_TRUE(t);
    d->on(*t, [&] { EXPECT_DEATH((void)bound.get(), "ThreadBound used off its spdk_thread"); });
}
#else
TEST(ThreadBoundRelease, CostsNothing) {
    static_assert(sizeof(ThreadBound<int>) == sizeof(int));
    static_assert(sizeof(ThreadBoundRef<int>) == sizeof(int *));
    ThreadBound<int> bound(3);
    EXPECT_EQ(*bound.with([](int &v) { return v; }), 3);
}
#endif

}  // namespace
}  // namespace spdkcpp
