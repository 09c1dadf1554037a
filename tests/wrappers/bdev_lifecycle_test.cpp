// Back-pressure, hot remove, cancellation safety and statistics of the bdev
// wrappers.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "bdev_fixture.hpp"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdkcpp/bdev_builder.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/bdev_module.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/when_all.hpp"

namespace spdkcpp {
namespace {

// Without auto-examine: SPDK's GPT module reads every new bdev's first blocks, and
// the parking bdev below would hold those reads too.
class BdevLifecycleTest : public testing::BdevOptionsFixture {
  protected:
    void adjust(spdk_bdev_opts &opts) override { opts.bdev_auto_examine = false; }
};

// A bdev that parks every I/O until release(): I/O stays in flight for as long as
// a test needs (the malloc bdev completes an I/O before any event gets there).
struct ParkOps {
    struct Channel {
        explicit Channel(ParkOps &) {}
    };
    void submit(Channel &, BdevIo<ParkOps> io) { held.push_back(std::move(io)); }
    bool supports(IoType t) const { return t == IoType::Read || t == IoType::Write; }
    // On the thread that submitted them: completes the parked I/O with status.
    void release(IoStatus status = IoStatus::Success) {
        auto parked = std::move(held);
        held.clear();
        for (auto &io : parked) {
            std::move(io).complete(status);
        }
    }
    std::vector<BdevIo<ParkOps>> held;
};
struct ParkModule {};
BdevModule<ParkModule, ParkOps> park_module{"spdkcpp_lifecycle_park"};

Result<BdevRegistration<ParkOps>> make_park(const std::string &name, uint32_t align = 0) {
    auto b = park_module.bdev<ParkOps>()
                 .name(name)
                 .product_name("parking bdev")
                 .block_size(512)
                 .block_count(64);
    if (align != 0) {
        return std::move(b).required_alignment(align).build();
    }
    return std::move(b).build();
}

// Unregisters `name` through the C API; *done becomes true when SPDK reports it.
void unregister_raw(const char *name, bool *done) {
    spdk_bdev_unregister(
        spdk_bdev_get_by_name(name),
        [](void *flag, int rc) { *static_cast<bool *>(flag) = rc == 0; }, done);
}

constexpr uint32_t kPoolSize = 64;

// The bdev layer with a pool of 64 spdk_bdev_io, so that a flood runs it dry.
class SmallPoolTest : public testing::BdevOptionsFixture {
  protected:
    void adjust(spdk_bdev_opts &opts) override {
        opts.bdev_io_pool_size = kPoolSize;
        opts.bdev_io_cache_size = 8;
    }
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
        // Started after every read has been submitted or queued, before any has
        // completed (completions are queued): the pool is dry then, so most of the
        // reads are waiting for an spdk_bdev_io (spdk_bdev_queue_io_wait).
        uint32_t inflight_at_probe = 0;
        int raw_rc_at_probe = 0;
        auto probe = [&](BdevDesc &d, BdevChannel &c, DmaBuf &b) -> Task<int> {
            inflight_at_probe = c.inflight();
            raw_rc_at_probe = spdk_bdev_read_blocks(
                d.raw(), c.raw(), b.data(), 0, 1,
                [](spdk_bdev_io *io, bool, void *) { spdk_bdev_free_io(io); }, nullptr);
            co_return 2;
        };
        std::vector<Task<int>> reads;
        for (uint32_t i = 0; i < 4 * kPoolSize; ++i) {
            reads.push_back(one(*desc, *ch, i));
        }
        reads.push_back(probe(*desc, *ch, *buf));
        auto ok = co_await when_all(std::move(reads));
        EXPECT_EQ(std::count(ok.begin(), ok.end(), 1), 4 * kPoolSize);
        EXPECT_EQ(inflight_at_probe, 4 * kPoolSize);  // all accepted at once ...
        EXPECT_EQ(raw_rc_at_probe, -ENOMEM);          // ... with the pool dry
        EXPECT_EQ(ch->inflight(), 0U);
        co_return 0;
    }());
}

TEST_F(BdevLifecycleTest, HotRemoveClosesAfterInflightIoAndReportsOnTheOpener) {
    auto reg = driver_->on(app_, [] { return make_park("Park0"); });
    ASSERT_TRUE(reg) << reg.error().message();
    ParkOps *ops = &reg->ops();
    std::vector<std::pair<BdevEvent, std::string>> events;
    BdevChannel *writer_ch = nullptr;  // the writer's channel, while it runs
    uint32_t inflight_at_event = 0;
    auto desc = driver_->on(worker_, [&] {
        return BdevDesc::open("Park0", OpenMode::ReadWrite, [&](BdevEvent e, Bdev) {
            events.emplace_back(e, std::string(ThreadRef::current().name()));
            inflight_at_event = writer_ch != nullptr ? writer_ch->inflight() : 0;
        });
    });
    ASSERT_TRUE(desc);
    std::optional<Result<void>> inflight_result;
    auto writer = [&](BdevDesc &d) -> Task<int> {
        auto ch = d.io_channel();
        writer_ch = &*ch;
        DmaBuf data = *DmaBuf::alloc(4096);
        data.fill(std::byte{7});
        inflight_result = co_await d.write(*ch, data, 0);
        writer_ch = nullptr;
        co_return 0;
    };
    ASSERT_TRUE(spawn(worker_, writer(*desc)));
    driver_->run_until_idle();
    ASSERT_EQ(ops->held.size(), 1U);  // the write is parked in the bdev: in flight
    ASSERT_NE(writer_ch, nullptr);
    EXPECT_EQ(writer_ch->inflight(), 1U);
    bool unregistered = false;
    driver_->on(app_, [&] { unregister_raw("Park0", &unregistered); });
    driver_->run_until_idle();
    // The event reached the opener while the write was in flight.
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].first, BdevEvent::Remove);
    EXPECT_EQ(events[0].second, "worker");
    EXPECT_EQ(inflight_at_event, 1U);
    EXPECT_FALSE(inflight_result.has_value());
    EXPECT_FALSE(desc->is_open());  // closing: new I/O is refused ...
    EXPECT_FALSE(unregistered);     // ... but the close waits for the write
    auto later = [](BdevDesc &d) -> Task<Result<void>> {
        BdevChannel none;
        DmaBuf data = *DmaBuf::alloc(512);
        co_return co_await d.read(none, data, 0);
    };
    EXPECT_EQ(run(later(*desc)).error().kind(), ErrorKind::Closed);
    driver_->on(worker_, [&] { ops->release(); });
    driver_->run_until_idle();
    ASSERT_TRUE(inflight_result.has_value());
    EXPECT_TRUE(*inflight_result);  // the I/O in flight finished normally
    EXPECT_EQ(events.size(), 1U);
    EXPECT_TRUE(unregistered);  // the descriptor was closed for us
    EXPECT_FALSE(desc->is_open());
    EXPECT_EQ(run([]() -> Task<Result<Bdev>> { co_return Bdev::lookup("Park0"); }()).error().kind(),
              ErrorKind::BdevNotFound);
    driver_->on(worker_, [&] { desc = fail(ErrorKind::Closed); });
    driver_->on(app_, [&] { reg = fail(ErrorKind::Closed); });
}

TEST_F(BdevLifecycleTest, DroppingADescriptorWithIoInFlightWaitsForIt) {
    auto reg = driver_->on(app_, [] { return make_park("Park1"); });
    ASSERT_TRUE(reg) << reg.error().message();
    ParkOps *ops = &reg->ops();
    std::optional<BdevDesc> desc;
    driver_->on(app_, [&] { desc.emplace(*BdevDesc::open("Park1", OpenMode::ReadWrite)); });
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    ASSERT_TRUE(ch);
    std::optional<Result<void>> write_result;
    auto io = [&]() -> Task<int> {
        DmaBuf data = *DmaBuf::alloc(4096);
        data.fill(std::byte{1});
        write_result = co_await desc->write(*ch, data, 0);
        co_return 0;
    };
    ASSERT_TRUE(spawn(app_, io()));
    driver_->run_until_idle();
    ASSERT_EQ(ops->held.size(), 1U);
    EXPECT_EQ(ch->inflight(), 1U);  // the write is in flight as the owner goes
    driver_->on(app_, [&] { desc.reset(); });
    // SPDK's descriptor is still open: an unregister now waits for its close.
    bool unregistered = false;
    driver_->on(app_, [&] { unregister_raw("Park1", &unregistered); });
    driver_->run_until_idle();
    EXPECT_FALSE(write_result.has_value());
    EXPECT_FALSE(unregistered);
    driver_->on(app_, [&] { ops->release(); });
    driver_->run_until_idle();
    ASSERT_TRUE(write_result.has_value());
    EXPECT_TRUE(*write_result);
    EXPECT_EQ(ch->inflight(), 0U);
    EXPECT_FALSE(unregistered);  // the channel still holds the descriptor
    driver_->on(app_, [&] { *ch = BdevChannel(); });
    driver_->run_until_idle();
    EXPECT_TRUE(unregistered);  // closed once the channel was put
    driver_->on(app_, [&] {
        ch = fail(ErrorKind::Closed);
        reg = fail(ErrorKind::Closed);
    });
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

TEST_F(BdevLifecycleTest, AFailedIoIsIoFailedAndSaysWhere) {
    auto reg = driver_->on(app_, [] { return make_park("Park2"); });
    ASSERT_TRUE(reg) << reg.error().message();
    ParkOps *ops = &reg->ops();
    auto desc = driver_->on(app_, [] { return BdevDesc::open("Park2", OpenMode::ReadWrite); });
    auto ch = driver_->on(app_, [&] { return desc->io_channel(); });
    ASSERT_TRUE(desc && ch);
    std::optional<Result<void>> read_result;
    std::optional<Result<void>> write_result;
    auto io = [&]() -> Task<int> {
        DmaBuf data = *DmaBuf::alloc(1024);
        read_result = co_await desc->read_blocks(*ch, data, 3, 2);
        write_result = co_await desc->write(*ch, data, 4096);
        co_return 0;
    };
    ASSERT_TRUE(spawn(app_, io()));
    driver_->run_until_idle();
    ASSERT_EQ(ops->held.size(), 1U);
    driver_->on(app_, [&] { ops->release(IoStatus::Failed); });
    driver_->run_until_idle();
    ASSERT_TRUE(read_result.has_value());
    ASSERT_FALSE(*read_result);
    EXPECT_EQ(read_result->error().kind(), ErrorKind::IoFailed);
    EXPECT_NE(read_result->error().message().find("read failed at block 3"), std::string::npos)
        << read_result->error().message();
    ASSERT_EQ(ops->held.size(), 1U);  // the next I/O went on after the failure
    driver_->on(app_, [&] { ops->release(IoStatus::Failed); });
    driver_->run_until_idle();
    ASSERT_TRUE(write_result.has_value());
    ASSERT_FALSE(*write_result);
    EXPECT_EQ(write_result->error().kind(), ErrorKind::IoFailed);
    EXPECT_NE(write_result->error().message().find("write failed at byte 4096"), std::string::npos)
        << write_result->error().message();
    EXPECT_EQ(ch->inflight(), 0U);
    driver_->on(app_, [&] {
        ch = fail(ErrorKind::Closed);
        desc = fail(ErrorKind::Closed);
        reg = fail(ErrorKind::Closed);
    });
    driver_->run_until_idle();  // the bdev unregisters (its owner is gone)
    EXPECT_EQ(run([]() -> Task<Result<Bdev>> { co_return Bdev::lookup("Park2"); }()).error().kind(),
              ErrorKind::BdevNotFound);
}

TEST_F(BdevLifecycleTest, AnOperationAwaitedAfterItsDescriptorClosedIsClosedAndSubmitsNothing) {
    run([]() -> Task<int> {
        auto reg = make_park("Park3");
        EXPECT_TRUE(reg) << reg.error().message();
        auto desc = BdevDesc::open("Park3", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        DmaBuf data = *DmaBuf::alloc(512);
        auto op = desc->write(*ch, data, 0);  // passed the checks, not yet started
        EXPECT_TRUE(desc->close());
        auto r = co_await op;
        EXPECT_FALSE(r);
        EXPECT_EQ(r.error().kind(), ErrorKind::Closed);
        EXPECT_NE(r.error().message().find("closed before the I/O started"), std::string::npos)
            << r.error().message();
        EXPECT_TRUE(reg->ops().held.empty());  // the bdev never saw it
        EXPECT_EQ(ch->inflight(), 0U);
        co_return 0;
    }());
}

TEST_F(BdevLifecycleTest, MisalignedBuffersAreRefusedBeforeSubmission) {
    run([]() -> Task<int> {
        auto reg = make_park("Park4", 4096);
        EXPECT_TRUE(reg) << reg.error().message();
        auto desc = BdevDesc::open("Park4", OpenMode::ReadWrite);
        EXPECT_EQ(desc->bdev().buf_align(), 4096U);
        auto ch = desc->io_channel();
        DmaBuf data = *DmaBuf::alloc(8192, 4096);
        const IoVec off[] = {IoVec(*data.subspan(512, 4096))};  // 512 bytes past alignment
        auto r = co_await desc->writev(*ch, off, 0);
        EXPECT_FALSE(r);
        EXPECT_EQ(r.error().kind(), ErrorKind::InvalidParameter);
        EXPECT_NE(r.error().message().find("is not aligned to the bdev's 4096 bytes"),
                  std::string::npos)
            << r.error().message();
        const IoVec second_off[] = {IoVec(*data.subspan(0, 4096)),
                                    IoVec(*data.subspan(4096 + 512, 512))};
        EXPECT_EQ((co_await desc->readv(*ch, second_off, 0)).error().kind(),
                  ErrorKind::InvalidParameter);
        EXPECT_TRUE(reg->ops().held.empty());  // neither reached the bdev
        EXPECT_EQ(ch->inflight(), 0U);
        // The same buffer, aligned, goes through.
        const IoVec aligned[] = {IoVec(*data.subspan(4096, 4096))};
        int done = 0;
        auto writer = [](BdevDesc &d, BdevChannel &c, std::span<const IoVec> v,
                         int &out) -> Task<void> { out = (co_await d.writev(c, v, 0)) ? 1 : -1; };
        spawn(writer(*desc, *ch, aligned, done));
        EXPECT_EQ(reg->ops().held.size(), 1U);
        EXPECT_EQ(ch->inflight(), 1U);
        reg->ops().release();
        co_await yield();
        EXPECT_EQ(done, 1);
        EXPECT_EQ(ch->inflight(), 0U);
        co_return 0;
    }());
}

}  // namespace
}  // namespace spdkcpp
