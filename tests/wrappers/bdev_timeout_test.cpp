// BdevDesc::set_timeout: starved I/O reported to a callable the descriptor owns.
//
// A parking bdev holds every I/O until the test releases it. Most tests age the I/O
// with the driver's virtual time, which the embedded runtime's timeout follows; on
// real SPDK the timeout follows the real clock, so those are skipped there, and
// three tests wait for a real second on either provider.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bdev_fixture.hpp"
#include "spdk/bdev.h"
#include "spdkcpp/bdev_builder.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/bdev_module.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/clock.hpp"

namespace spdkcpp {
namespace {

using namespace std::chrono_literals;

// A bdev that parks every I/O until release() on the thread that submitted it.
struct ParkOps {
    struct Channel {
        explicit Channel(ParkOps &) {}
    };
    struct Parked {
        BdevIo<ParkOps> io;
        spdk_thread *thread;
    };
    void submit(Channel &, BdevIo<ParkOps> io) {
        held.push_back({std::move(io), spdk_get_thread()});
    }
    bool supports(IoType t) const { return t == IoType::Read || t == IoType::Write; }
    // Completes the I/O parked by the calling thread.
    void release() {
        std::vector<Parked> others;
        auto parked = std::move(held);
        held.clear();
        for (auto &p : parked) {
            if (p.thread == spdk_get_thread()) {
                std::move(p.io).complete(IoStatus::Success);
            } else {
                others.push_back(std::move(p));
            }
        }
        held = std::move(others);
    }
    std::vector<Parked> held;
};
struct ParkModule {};
BdevModule<ParkModule, ParkOps> park_module{"spdkcpp_timeout_park"};

// What on_timeout saw, and where.
struct Seen {
    std::vector<TimedOutIo> ios;
    std::vector<std::string> threads;
};

auto recorder(Seen &seen) {
    return [&seen](const TimedOutIo &io) {
        seen.ios.push_back(io);
        seen.threads.emplace_back(ThreadRef::current().name());
    };
}

Task<int> read_parked(BdevDesc &desc, BdevChannel &ch, DmaBuf &buf, uint64_t offset,
                      std::optional<Result<void>> &out) {
    out = co_await desc.read(ch, buf, offset);
    co_return 0;
}

// Without auto-examine (SPDK's GPT module would read the parking bdev, and its
// reads would stay parked).
class BdevTimeoutTest : public testing::BdevOptionsFixture {
  protected:
    void adjust(spdk_bdev_opts &opts) override { opts.bdev_auto_examine = false; }

    void SetUp() override {
        BdevOptionsFixture::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        auto reg = driver_->on(app_, [] {
            return park_module.bdev<ParkOps>()
                .name("Park0")
                .product_name("parking bdev")
                .block_size(512)
                .block_count(64)
                .build();
        });
        ASSERT_TRUE(reg) << reg.error().message();
        reg_.emplace(std::move(*reg));
        ops_ = &reg_->ops();
    }

    void TearDown() override {
        // What a failed test left parked, so that the bdev can go.
        if (ops_ != nullptr) {
            driver_->on(app_, [&] { ops_->release(); });
            driver_->on(worker_, [&] { ops_->release(); });
        }
        reg_.reset();
        driver_->run_until_idle();
        BdevOptionsFixture::TearDown();
    }

    Result<BdevDesc> open_on(ThreadRef thread) {
        return driver_->on(thread, [] { return BdevDesc::open("Park0", OpenMode::ReadOnly); });
    }

    // A read of 512 bytes at offset through desc and ch, on thread, parked.
    void park_read(ThreadRef thread, BdevDesc &desc, BdevChannel &ch, DmaBuf &buf, uint64_t offset,
                   std::optional<Result<void>> &out) {
        const std::size_t before = ops_->held.size();
        ASSERT_TRUE(spawn(thread, read_parked(desc, ch, buf, offset, out)));
        driver_->run_until_idle();
        ASSERT_EQ(ops_->held.size(), before + 1) << "the read is not parked";
    }

    // I/O is stamped with the real clock, while the looks come at virtual times:
    // this puts the virtual clock half a second ahead of the real one, so that I/O
    // parked now is k.5 s old at the k-th look of a timeout set now.
    void lead_the_real_clock() {
        const uint64_t real = spdk_get_ticks();
        const uint64_t target = real + Clock::hz() / 2;
        if (target > driver_->now()) {
            driver_->advance(std::chrono::microseconds(
                static_cast<int64_t>(Clock::to_us(target - driver_->now()))));
        }
    }

    // Real time for the I/O parked so far to be more than a second old, then one
    // look of a 1 s timeout set before: on either provider (SPDK's timeout follows
    // the real clock, the runtime's the later of it and the virtual one).
    void wait_for_a_look() {
        std::this_thread::sleep_for(1200ms);
        driver_->advance(1s);
    }

    // One look of a timeout poller a second (a poller that missed periods runs once).
    void advance_seconds(int seconds) {
        for (int i = 0; i < seconds; ++i) {
            driver_->advance(1s);
        }
    }

    std::optional<BdevRegistration<ParkOps>> reg_;
    ParkOps *ops_ = nullptr;
};

TEST_F(BdevTimeoutTest, AHeldIoIsReportedAtEachLookPastItsTimeout) {
    SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME();
    auto desc = open_on(app_);
    ASSERT_TRUE(desc) << desc.error().message();
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    ASSERT_TRUE(ch);
    auto buf = DmaBuf::alloc(512);
    ASSERT_TRUE(buf);
    lead_the_real_clock();
    std::optional<Result<void>> read;
    park_read(app_, *desc, *ch, *buf, 1024, read);
    Seen seen;
    ASSERT_TRUE(driver_->on(app_, [&] { return desc->set_timeout(2s, recorder(seen)); }));

    advance_seconds(1);  // 1.5 s old
    EXPECT_TRUE(seen.ios.empty()) << "reported before its timeout";
    advance_seconds(1);  // 2.5 s
    ASSERT_EQ(seen.ios.size(), 1U);
    EXPECT_EQ(seen.ios[0].type, IoType::Read);
    EXPECT_EQ(seen.ios[0].offset, 1024U);
    EXPECT_EQ(seen.ios[0].length, 512U);
    EXPECT_GE(seen.ios[0].outstanding, 2s);
    EXPECT_LT(seen.ios[0].outstanding, 3s);
    EXPECT_EQ(seen.threads[0], "app");
    advance_seconds(2);
    EXPECT_EQ(seen.ios.size(), 3U) << "once per look while it stays outstanding";

    driver_->on(app_, [&] { ops_->release(); });
    driver_->run_until_idle();
    ASSERT_TRUE(read.has_value());
    EXPECT_TRUE(*read);
    advance_seconds(2);
    EXPECT_EQ(seen.ios.size(), 3U) << "reported after it completed";
}

// The descriptor's channel on another thread: its I/O is reported there, and only
// that descriptor's I/O. On the real clock (so on real SPDK too).
TEST_F(BdevTimeoutTest, OnlyTheDescriptorsIoIsReportedOnItsChannelsThread) {
    auto watched = open_on(app_);
    auto other = open_on(worker_);
    ASSERT_TRUE(watched && other);
    auto watched_ch = driver_->on(worker_, [&] { return watched->io_channel(); });
    auto other_ch = driver_->on(worker_, [&] { return other->io_channel(); });
    ASSERT_TRUE(watched_ch && other_ch);
    auto buf = DmaBuf::alloc(512);
    std::optional<Result<void>> other_read;
    std::optional<Result<void>> watched_read;
    park_read(worker_, *other, *other_ch, *buf, 0, other_read);  // older: passed over
    park_read(worker_, *watched, *watched_ch, *buf, 512, watched_read);
    Seen seen;
    ASSERT_TRUE(driver_->on(app_, [&] { return watched->set_timeout(1s, recorder(seen)); }));
    wait_for_a_look();
    ASSERT_EQ(seen.ios.size(), 1U);
    for (std::size_t i = 0; i < seen.ios.size(); ++i) {
        EXPECT_EQ(seen.ios[i].offset, 512U) << "another descriptor's I/O was reported";
        EXPECT_EQ(seen.threads[i], "worker") << "not on the channel's thread";
    }
    driver_->on(worker_, [&] { ops_->release(); });
    driver_->run_until_idle();
    EXPECT_TRUE(other_read && watched_read);
}

TEST_F(BdevTimeoutTest, ZeroClearsAndALaterSettingReplacesTheCallable) {
    SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME();
    auto desc = open_on(app_);
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    auto buf = DmaBuf::alloc(512);
    lead_the_real_clock();
    std::optional<Result<void>> read;
    park_read(app_, *desc, *ch, *buf, 0, read);
    // Each callable holds a token: it is destroyed when its count of owners drops.
    auto first_token = std::make_shared<int>(1);
    int first_calls = 0;
    ASSERT_TRUE(driver_->on(app_, [&] {
        return desc->set_timeout(
            1s, [&first_calls, t = first_token](const TimedOutIo &) { ++first_calls; });
    }));
    advance_seconds(1);
    EXPECT_EQ(first_calls, 1);
    EXPECT_EQ(first_token.use_count(), 2);

    Seen unused;
    ASSERT_TRUE(driver_->on(app_, [&] { return desc->set_timeout(0s, recorder(unused)); }))
        << "0 clears, and drops the callable it was given";
    EXPECT_EQ(first_token.use_count(), 1) << "the cleared callable is destroyed";
    advance_seconds(2);
    EXPECT_EQ(first_calls, 1);

    Seen second;
    ASSERT_TRUE(driver_->on(app_, [&] { return desc->set_timeout(10s, recorder(second)); }));
    advance_seconds(2);
    EXPECT_TRUE(second.ios.empty()) << "5.5 s old at most, below the new timeout";
    ASSERT_TRUE(driver_->on(app_, [&] { return desc->set_timeout(5s, recorder(second)); }));
    advance_seconds(1);
    EXPECT_EQ(second.ios.size(), 1U);
    ASSERT_TRUE(driver_->on(app_, [&] { return desc->clear_timeout(); }));
    advance_seconds(2);
    EXPECT_EQ(second.ios.size(), 1U);

    driver_->on(app_, [&] { ops_->release(); });
    driver_->run_until_idle();
}

// The descriptor owns the callable wherever the BdevDesc moves, and destroys it
// when it closes. On the real clock.
TEST_F(BdevTimeoutTest, TheCallableFollowsTheDescriptorAndGoesWhenItCloses) {
    auto opened = open_on(app_);
    ASSERT_TRUE(opened);
    std::optional<BdevDesc> desc;
    auto token = std::make_shared<int>(1);
    int calls = 0;
    ASSERT_TRUE(driver_->on(app_, [&] {
        return opened->set_timeout(1s, [&calls, t = token](const TimedOutIo &) { ++calls; });
    }));
    desc.emplace(std::move(*opened));  // the BdevDesc moves; SPDK's cb_arg must not
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    auto buf = DmaBuf::alloc(512);
    std::optional<Result<void>> read;
    park_read(app_, *desc, *ch, *buf, 0, read);
    wait_for_a_look();
    EXPECT_EQ(calls, 1);

    driver_->on(app_, [&] { ops_->release(); });
    driver_->run_until_idle();
    *ch = BdevChannel{};
    desc.reset();
    driver_->run_until_idle();
    EXPECT_EQ(token.use_count(), 1) << "the callable outlived its descriptor";
}

// on_timeout may clear or replace the timeout that is calling it.
TEST_F(BdevTimeoutTest, TheCallableMayClearItsOwnTimeout) {
    SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME();
    auto desc = open_on(app_);
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    auto buf = DmaBuf::alloc(512);
    lead_the_real_clock();
    std::optional<Result<void>> first;
    std::optional<Result<void>> second;
    park_read(app_, *desc, *ch, *buf, 0, first);
    park_read(app_, *desc, *ch, *buf, 512, second);
    auto token = std::make_shared<int>(1);
    int calls = 0;
    std::optional<Result<void>> cleared;
    ASSERT_TRUE(driver_->on(app_, [&] {
        return desc->set_timeout(1s, [&, held = token](const TimedOutIo &) {
            ++calls;
            cleared = desc->clear_timeout();
            EXPECT_EQ(token.use_count(), 2) << "destroyed while it runs";
        });
    }));
    advance_seconds(3);
    EXPECT_EQ(calls, 1) << "reported after it cleared itself (the second read, or later)";
    ASSERT_TRUE(cleared.has_value());
    EXPECT_TRUE(*cleared);
    EXPECT_EQ(token.use_count(), 1) << "destroyed once its call returned";
    driver_->on(app_, [&] { ops_->release(); });
    driver_->run_until_idle();
}

// A look that began under one setting reports to the setting in force: here the
// first callable replaces itself, at the look's first channel, with a 10 s timeout,
// and the same look, on the next channel, finds an I/O of 1.5 s: not reported.
TEST_F(BdevTimeoutTest, ALookUnderWayReportsByTheSettingInForce) {
    SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME();
    auto desc = open_on(app_);
    auto app_ch = driver_->on(app_, [&] { return desc->io_channel(); });
    auto worker_ch = driver_->on(worker_, [&] { return desc->io_channel(); });
    ASSERT_TRUE(desc && app_ch && worker_ch);
    auto buf = DmaBuf::alloc(512);
    lead_the_real_clock();
    std::optional<Result<void>> on_app;
    std::optional<Result<void>> on_worker;
    park_read(app_, *desc, *app_ch, *buf, 0, on_app);
    park_read(worker_, *desc, *worker_ch, *buf, 512, on_worker);
    Seen first;
    Seen second;
    auto token = std::make_shared<int>(1);
    ASSERT_TRUE(driver_->on(app_, [&] {
        return desc->set_timeout(1s, [&, held = token](const TimedOutIo &io) {
            first.ios.push_back(io);
            EXPECT_TRUE(desc->set_timeout(10s, recorder(second)));
            EXPECT_EQ(token.use_count(), 2) << "destroyed while it runs";
        });
    }));
    advance_seconds(1);
    ASSERT_EQ(first.ios.size(), 1U);
    EXPECT_EQ(first.ios[0].offset, 0U) << "the app thread's channel comes first";
    EXPECT_TRUE(second.ios.empty()) << "reported by the replaced setting's timeout";
    EXPECT_EQ(token.use_count(), 1) << "the replaced callable is destroyed after its call";
    driver_->on(app_, [&] { ops_->release(); });
    driver_->on(worker_, [&] { ops_->release(); });
    driver_->run_until_idle();
    EXPECT_TRUE(on_app && on_worker);
}

TEST_F(BdevTimeoutTest, RefusedOffItsThreadOnAClosedDescriptorAndWhenNegative) {
    auto desc = open_on(app_);
    ASSERT_TRUE(desc);
    auto ignore = [](const TimedOutIo &) {};
    auto off_thread = driver_->on(worker_, [&] { return desc->set_timeout(1s, ignore); });
    ASSERT_FALSE(off_thread);
    EXPECT_EQ(off_thread.error().kind(), ErrorKind::WrongThread);
    auto clear_off_thread = driver_->on(worker_, [&] { return desc->clear_timeout(); });
    ASSERT_FALSE(clear_off_thread);
    EXPECT_EQ(clear_off_thread.error().kind(), ErrorKind::WrongThread);
    auto negative = driver_->on(app_, [&] { return desc->set_timeout(-1s, ignore); });
    ASSERT_FALSE(negative);
    EXPECT_EQ(negative.error().kind(), ErrorKind::InvalidParameter);
    EXPECT_TRUE(driver_->on(app_, [&] { return desc->clear_timeout(); })) << "nothing to clear";

    BdevDesc moved = std::move(*desc);
    auto from_moved = driver_->on(app_, [&] { return desc->set_timeout(1s, ignore); });
    ASSERT_FALSE(from_moved);
    EXPECT_EQ(from_moved.error().kind(), ErrorKind::Closed);
    ASSERT_TRUE(driver_->on(app_, [&] { return moved.close(); }));
    driver_->run_until_idle();
    auto closed = driver_->on(app_, [&] { return moved.set_timeout(1s, ignore); });
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().kind(), ErrorKind::Closed);
    EXPECT_EQ(driver_->on(app_, [&] { return moved.clear_timeout(); }).error().kind(),
              ErrorKind::Closed);
}

// A read parked for more than a real second is reported at the next look, with
// what it is.
TEST_F(BdevTimeoutTest, AHeldIoIsReportedOnTheRealClock) {
    auto desc = open_on(app_);
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    auto buf = DmaBuf::alloc(512);
    ASSERT_TRUE(desc && ch && buf);
    std::optional<Result<void>> read;
    park_read(app_, *desc, *ch, *buf, 2048, read);
    Seen seen;
    ASSERT_TRUE(driver_->on(app_, [&] { return desc->set_timeout(1s, recorder(seen)); }));
    wait_for_a_look();
    ASSERT_GE(seen.ios.size(), 1U);
    EXPECT_EQ(seen.ios[0].type, IoType::Read);
    EXPECT_EQ(seen.ios[0].offset, 2048U);
    EXPECT_EQ(seen.ios[0].length, 512U);
    EXPECT_GE(seen.ios[0].outstanding, 1s);
    EXPECT_EQ(seen.threads[0], "app");
    driver_->on(app_, [&] { ops_->release(); });
    driver_->run_until_idle();
    ASSERT_TRUE(read.has_value());
    EXPECT_TRUE(*read);
}

}  // namespace
}  // namespace spdkcpp
