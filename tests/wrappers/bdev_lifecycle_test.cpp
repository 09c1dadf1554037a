// Back-pressure, hot remove, cancellation safety and statistics of the bdev
// wrappers.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "bdev_fixture.hpp"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/when_all.hpp"

namespace spdkcpp {
namespace {

using BdevLifecycleTest = testing::BdevFixture;

constexpr uint32_t kPoolSize = 64;

// The bdev layer with a pool of 64 spdk_bdev_io, so that a flood runs it dry.
class SmallPoolTest : public testing::BdevFixture {
  protected:
    void SetUp() override {
        spdk_bdev_opts opts{};
        spdk_bdev_get_opts(&opts, sizeof(opts));
        defaults_ = opts;
        opts.bdev_io_pool_size = kPoolSize;
        opts.bdev_io_cache_size = 8;
        ASSERT_EQ(spdk_bdev_set_opts(&opts), 0);
        BdevFixture::SetUp();
    }
    void TearDown() override {
        BdevFixture::TearDown();
        spdk_bdev_set_opts(&defaults_);
    }
    spdk_bdev_opts defaults_{};
};

TEST_F(SmallPoolTest, FloodBeyondThePoolWaitsInPlaceAndCompletes) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        // Raw SPDK first: submits fail with -ENOMEM once the pool is dry.
        auto buf = DmaBuf::alloc(512);
        uint32_t accepted = 0;
        int rc = 0;
        while ((rc = spdk_bdev_read_blocks(
                    desc->raw(), ch->raw(), buf->data(), 0, 1,
                    [](spdk_bdev_io *io, bool, void *) { spdk_bdev_free_io(io); }, nullptr)) == 0) {
            ++accepted;
            EXPECT_LE(accepted, kPoolSize);
            if (accepted > kPoolSize) {
                break;
            }
        }
        EXPECT_EQ(rc, -ENOMEM);
        EXPECT_GT(accepted, 0U);
        (void)co_await yield();  // let those complete
        // The wrappers: four times as many reads at once all succeed.
        auto one = [](BdevDesc &d, BdevChannel &c, uint64_t block) -> Task<int> {
            auto b = DmaBuf::alloc(512);
            auto r = co_await d.read_blocks(c, *b, block, 1);
            co_return r ? 1 : 0;
        };
        std::vector<Task<int>> reads;
        for (uint32_t i = 0; i < 4 * kPoolSize; ++i) {
            reads.push_back(one(*desc, *ch, i));
        }
        auto ok = co_await when_all(std::move(reads));
        EXPECT_EQ(std::count(ok.begin(), ok.end(), 1), 4 * kPoolSize);
        co_return 0;
    }());
}

TEST_F(BdevLifecycleTest, HotRemoveClosesAfterInflightIoAndReportsOnTheOpener) {
    std::vector<std::pair<BdevEvent, std::string>> events;
    auto desc = driver_->on(worker_, [&] {
        return BdevDesc::open("Malloc0", OpenMode::ReadWrite, [&](BdevEvent e, Bdev) {
            events.emplace_back(e, std::string(ThreadRef::current().name()));
        });
    });
    ASSERT_TRUE(desc);
    std::optional<Result<void>> inflight_result;
    auto writer = [&](BdevDesc &d) -> Task<int> {
        auto ch = d.io_channel();
        DmaBuf data = *DmaBuf::alloc(4096);
        data.fill(std::byte{7});
        inflight_result = co_await d.write(*ch, data, 0);
        co_return 0;
    };
    ASSERT_TRUE(spawn(worker_, writer(*desc)));
    driver_->poll(worker_, 1);  // the write is submitted and in flight
    bool unregistered = false;
    driver_->on(app_, [&] {
        spdk_bdev_unregister(
            desc->bdev().raw(), [](void *flag, int rc) { *static_cast<bool *>(flag) = rc == 0; },
            &unregistered);
    });
    driver_->run_until_idle();
    ASSERT_TRUE(inflight_result.has_value());
    EXPECT_TRUE(*inflight_result);  // the I/O in flight finished normally
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].first, BdevEvent::Remove);
    EXPECT_EQ(events[0].second, "worker");
    EXPECT_TRUE(unregistered);  // the descriptor was closed for us
    EXPECT_FALSE(desc->is_open());
    auto later = [](BdevDesc &d) -> Task<Result<void>> {
        BdevChannel none;
        DmaBuf data = *DmaBuf::alloc(512);
        co_return co_await d.read(none, data, 0);
    };
    EXPECT_EQ(run(later(*desc)).error().kind(), ErrorKind::Closed);
    EXPECT_EQ(
        run([]() -> Task<Result<Bdev>> { co_return Bdev::lookup("Malloc0"); }()).error().kind(),
        ErrorKind::BdevNotFound);
    driver_->on(worker_, [&] { desc = fail(ErrorKind::Closed); });
}

TEST_F(BdevLifecycleTest, DroppingADescriptorWithIoInFlightWaitsForIt) {
    std::optional<BdevDesc> desc;
    driver_->on(app_, [&] { desc.emplace(*BdevDesc::open("Malloc0", OpenMode::ReadWrite)); });
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    ASSERT_TRUE(ch);
    bool write_ok = false;
    auto io = [&]() -> Task<int> {
        DmaBuf data = *DmaBuf::alloc(4096);
        data.fill(std::byte{1});
        write_ok = static_cast<bool>(co_await desc->write(*ch, data, 0));
        co_return 0;
    };
    auto drop = [&]() -> Task<int> {
        desc.reset();  // while the write above is in flight
        co_return 0;
    };
    run([&]() -> Task<int> {
        co_await when_all(io(), drop());
        co_return 0;
    }());
    EXPECT_TRUE(write_ok);
    // The descriptor is closed now: the bdev unregisters at once.
    bool unregistered = false;
    driver_->on(app_, [&] {
        *ch = BdevChannel();
        spdk_bdev_unregister(
            spdk_bdev_get_by_name("Malloc0"),
            [](void *flag, int rc) { *static_cast<bool *>(flag) = rc == 0; }, &unregistered);
    });
    driver_->run_until_idle();
    EXPECT_TRUE(unregistered);
}

TEST_F(BdevLifecycleTest, DroppingAChannelWithIoInFlightWaitsForIt) {
    auto desc = driver_->on(app_, [] { return BdevDesc::open("Malloc0", OpenMode::ReadWrite); });
    std::optional<BdevChannel> ch;
    driver_->on(app_, [&] { ch.emplace(*desc->io_channel()); });
    bool read_ok = false;
    uint32_t inflight_at_drop = 0;
    auto io = [&]() -> Task<int> {
        DmaBuf data = *DmaBuf::alloc(4096);
        read_ok = static_cast<bool>(co_await desc->read(*ch, data, 0));
        co_return 0;
    };
    auto drop = [&]() -> Task<int> {
        inflight_at_drop = ch->inflight();
        ch.reset();
        co_return 0;
    };
    run([&]() -> Task<int> {
        co_await when_all(io(), drop());
        co_return 0;
    }());
    EXPECT_EQ(inflight_at_drop, 1U);
    EXPECT_TRUE(read_ok);
    driver_->on(app_, [&] { desc = fail(ErrorKind::Closed); });
}

TEST_F(BdevLifecycleTest, DroppingARunningTaskKeepsItsFrameUntilTheIoCompletes) {
    auto desc = driver_->on(app_, [] { return BdevDesc::open("Malloc0", OpenMode::ReadWrite); });
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    bool after_io = false;
    auto io = [&]() -> Task<int> {
        DmaBuf data = *DmaBuf::alloc(4096);  // lives in this frame
        data.fill(std::byte{3});
        auto r = co_await desc->write(*ch, data, 0);
        after_io = static_cast<bool>(r);
        co_return 0;
    };
    {
        Task<int> t = io();
        auto starter = [](Task<int> &inner) -> Task<int> { co_return co_await std::move(inner); };
        driver_->on(app_, [&] { spawn(starter(t)); });
    }  // the Task owning the frame is gone while its write is in flight
    driver_->run_until_idle();
    EXPECT_TRUE(after_io);
    driver_->on(app_, [&] {
        ch = fail(ErrorKind::Closed);
        desc = fail(ErrorKind::Closed);
    });
}

TEST_F(BdevLifecycleTest, StatisticsCountWhatWasDone) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        DmaBuf data = *DmaBuf::alloc(4096);
        for (int i = 0; i < 3; ++i) {
            EXPECT_TRUE(co_await desc->write(*ch, data, 4096ULL * i));
        }
        for (int i = 0; i < 2; ++i) {
            EXPECT_TRUE(co_await desc->read(*ch, data, 0));
        }
        const IoStats s = ch->stats();
        EXPECT_EQ(s.num_write_ops, 3U);
        EXPECT_EQ(s.bytes_written, 3U * 4096);
        EXPECT_EQ(s.num_read_ops, 2U);
        EXPECT_EQ(s.bytes_read, 2U * 4096);
        auto total = co_await desc->bdev().device_stats();
        EXPECT_TRUE(total);
        EXPECT_GE(total->num_write_ops, 3U);
        EXPECT_GE(total->bytes_read, 2U * 4096);
        co_return 0;
    }());
}

}  // namespace
}  // namespace spdkcpp
