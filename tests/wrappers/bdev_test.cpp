#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "bdev_fixture.hpp"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/when_all.hpp"

namespace spdkcpp {
namespace {

using BdevTest = testing::BdevFixture;

// A temporary buffer cannot be handed to an I/O: it would die before the I/O.
template <typename B>
concept CanRead = requires(BdevDesc &d, BdevChannel &c, B &&b) {
    d.read(c, std::forward<B>(b), 0);
};
static_assert(CanRead<DmaBuf &>);
static_assert(!CanRead<DmaBuf &&>);
static_assert(!CanRead<DmaBuf>);

DmaBuf filled(std::size_t size, uint8_t seed) {
    auto buf = DmaBuf::alloc(size, 4096);
    for (std::size_t i = 0; i < size; ++i) {
        buf->bytes()[i] = std::byte(static_cast<uint8_t>(seed + i * 7));
    }
    return std::move(*buf);
}

bool all_zero(const DmaBuf &buf) {
    return std::ranges::all_of(buf.bytes(), [](std::byte b) { return b == std::byte{0}; });
}

TEST_F(BdevTest, LookupAndProperties) {
    run([]() -> Task<int> {
        auto b = Bdev::lookup("Malloc0");
        EXPECT_TRUE(b);
        EXPECT_EQ(b->name(), "Malloc0");
        EXPECT_EQ(b->block_size(), 512U);
        EXPECT_EQ(b->num_blocks(), 2048U);
        EXPECT_EQ(b->size_bytes(), 1U << 20);
        EXPECT_FALSE(b->product_name().empty());
        EXPECT_EQ(b->uuid().size(), 36U);
        EXPECT_TRUE(b->supports(IoType::Read) && b->supports(IoType::Write));
        EXPECT_TRUE(b->supports(IoType::Unmap) && b->supports(IoType::WriteZeroes));
        EXPECT_FALSE(b->is_zoned());
        auto missing = Bdev::lookup("Nope");
        EXPECT_EQ(missing.error().kind(), ErrorKind::BdevNotFound);
        std::vector<std::string> names;
        for (Bdev each : Bdev::all()) {
            names.emplace_back(each.name());
        }
        std::ranges::sort(names);
        EXPECT_EQ(names, (std::vector<std::string>{"Malloc0", "Null0"}));
        co_return 0;
    }());
}

TEST_F(BdevTest, WriteThenReadBackTheSameBytes) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        EXPECT_TRUE(desc) << desc.error().message();
        auto ch = desc->io_channel();
        EXPECT_TRUE(ch);
        DmaBuf out = filled(8192, 3);
        auto in = DmaBuf::alloc_zeroed(8192);
        EXPECT_TRUE(co_await desc->write(*ch, out, 4096));
        EXPECT_TRUE(co_await desc->read(*ch, *in, 4096));
        EXPECT_EQ(out, *in);
        // Block forms address the same bytes.
        auto part = DmaBuf::alloc_zeroed(512);
        EXPECT_TRUE(co_await desc->read_blocks(*ch, *part, 9, 1));  // byte 4608
        EXPECT_TRUE(std::ranges::equal(part->bytes(), out.bytes().subspan(512, 512)));
        co_return 0;
    }());
}

TEST_F(BdevTest, VectoredIoAcrossSeveralBuffers) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        std::array<DmaBuf, 3> out{filled(512, 1), filled(1024, 2), filled(512, 3)};
        std::array<IoVec, 3> out_v{IoVec(out[0]), IoVec(out[1]), IoVec(out[2])};
        EXPECT_TRUE(co_await desc->writev(*ch, out_v, 0));
        auto whole = DmaBuf::alloc_zeroed(2048);
        EXPECT_TRUE(co_await desc->read(*ch, *whole, 0));
        EXPECT_TRUE(std::ranges::equal(whole->bytes().subspan(512, 1024), out[1].bytes()));
        std::array<DmaBuf, 2> in{*DmaBuf::alloc_zeroed(1024), *DmaBuf::alloc_zeroed(1024)};
        std::array in_v{IoVec(in[0]), IoVec(in[1])};
        EXPECT_TRUE(co_await desc->readv(*ch, in_v, 0));
        EXPECT_TRUE(std::ranges::equal(in[1].bytes(), whole->bytes().subspan(1024, 1024)));
        // The buffers themselves, and as_iovecs' view of them, are scatter-gather
        // lists too.
        std::vector<DmaBuf> bufs;
        bufs.push_back(*DmaBuf::alloc_zeroed(512));
        bufs.push_back(*DmaBuf::alloc_zeroed(1536));
        EXPECT_TRUE(co_await desc->readv(*ch, bufs, 0));
        EXPECT_TRUE(std::ranges::equal(bufs[1].bytes(), whole->bytes().subspan(512, 1536)));
        bufs[0].fill(std::byte{0x77});
        EXPECT_TRUE(co_await desc->writev(*ch, as_iovecs(std::span<const DmaBuf>(bufs)), 0));
        EXPECT_TRUE(co_await desc->read(*ch, *whole, 0));
        EXPECT_EQ(whole->bytes()[511], std::byte{0x77});
        co_return 0;
    }());
}

TEST_F(BdevTest, WriteZeroesUnmapFlushReset) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        DmaBuf data = filled(4096, 9);
        auto back = DmaBuf::alloc(4096);
        EXPECT_TRUE(co_await desc->write(*ch, data, 0));
        EXPECT_TRUE(co_await desc->write_zeroes(*ch, 0, 4096));
        EXPECT_TRUE(co_await desc->read(*ch, *back, 0));
        EXPECT_TRUE(all_zero(*back));
        EXPECT_TRUE(co_await desc->write(*ch, data, 8192));
        EXPECT_TRUE(co_await desc->unmap_blocks(*ch, 16, 8));
        EXPECT_TRUE(co_await desc->read(*ch, *back, 8192));
        EXPECT_TRUE(all_zero(*back));
        EXPECT_TRUE(co_await desc->flush(*ch, 0, 1 << 20));
        EXPECT_TRUE(co_await desc->reset(*ch));
        co_return 0;
    }());
}

TEST_F(BdevTest, NullBdevDiscardsWrites) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Null0", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        DmaBuf data = filled(4096, 5);
        EXPECT_TRUE(co_await desc->write(*ch, data, 0));
        // As on SPDK, a read leaves the buffer as it was: what was written never
        // comes back.
        auto back = DmaBuf::alloc_zeroed(4096);
        EXPECT_TRUE(co_await desc->read(*ch, *back, 0));
        EXPECT_TRUE(all_zero(*back));
        EXPECT_EQ(ch->stats().num_write_ops, 1U);
        EXPECT_EQ(ch->stats().num_read_ops, 1U);
        co_return 0;
    }());
}

TEST_F(BdevTest, BadRangesAreRefusedBeforeSubmission) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        DmaBuf keep = filled(4096, 11);
        EXPECT_TRUE(co_await desc->write(*ch, keep, 0));
        DmaBuf junk = filled(4096, 99);
        auto kind = [](const Result<void> &r) { return r ? ErrorKind::Other : r.error().kind(); };
        EXPECT_EQ(kind(co_await desc->write(*ch, junk, 100)), ErrorKind::InvalidParameter);
        EXPECT_EQ(kind(co_await desc->write(*ch, junk, (1 << 20) - 512)),
                  ErrorKind::InvalidParameter);
        EXPECT_EQ(kind(co_await desc->write(*ch, junk, 1ULL << 40)), ErrorKind::InvalidParameter);
        EXPECT_EQ(kind(co_await desc->write_blocks(*ch, junk, 0, 0)), ErrorKind::InvalidParameter);
        EXPECT_EQ(kind(co_await desc->write_blocks(*ch, junk, 0, 9)),  // 4608 > 4096 bytes
                  ErrorKind::InvalidParameter);
        EXPECT_EQ(kind(co_await desc->write_zeroes(*ch, 0, 100)), ErrorKind::InvalidParameter);
        EXPECT_EQ(kind(co_await desc->unmap_blocks(*ch, 2040, 9)), ErrorKind::InvalidParameter);
        auto r = co_await desc->write(*ch, junk, 100);
        EXPECT_NE(r.error().context().find("block size 512"), std::string::npos);
        auto past = co_await desc->write(*ch, junk, 1ULL << 40);
        EXPECT_NE(past.error().context().find("past the end"), std::string::npos);
        {
            // Operations made and dropped unawaited submit nothing and leak nothing.
            auto refused = desc->write_blocks(*ch, junk, 0, 0);
            auto unawaited = desc->write(*ch, junk, 0);
        }
        auto back = DmaBuf::alloc(4096);
        EXPECT_TRUE(co_await desc->read(*ch, *back, 0));
        EXPECT_EQ(*back, keep);  // nothing was written by the refused requests
        co_return 0;
    }());
}

TEST_F(BdevTest, ReadOnlyDescriptorRefusesWrites) {
    run([]() -> Task<int> {
        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_FALSE(desc->writable());
        auto ch = desc->io_channel();
        DmaBuf data = filled(512, 1);
        auto w = co_await desc->write(*ch, data, 0);
        EXPECT_EQ(w.error().kind(), ErrorKind::PermissionDenied);
        EXPECT_EQ(w.error().code(), EBADF);
        EXPECT_EQ((co_await desc->write_zeroes(*ch, 0, 512)).error().kind(),
                  ErrorKind::PermissionDenied);
        EXPECT_TRUE(co_await desc->read(*ch, data, 0));
        co_return 0;
    }());
}

TEST_F(BdevTest, UnknownBdevAndClosedOrMovedDescriptors) {
    run([]() -> Task<int> {
        auto missing = BdevDesc::open("Malloc9", OpenMode::ReadWrite);
        EXPECT_EQ(missing.error().kind(), ErrorKind::BdevNotFound);
        EXPECT_NE(missing.error().context().find("Malloc9"), std::string::npos);

        auto desc = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        DmaBuf data = filled(512, 1);
        BdevDesc moved = std::move(*desc);
        EXPECT_FALSE(desc->is_open());
        EXPECT_EQ((co_await desc->read(*ch, data, 0)).error().kind(), ErrorKind::Closed);
        EXPECT_TRUE(co_await moved.read(*ch, data, 0));
        EXPECT_TRUE(moved.close());
        EXPECT_EQ(moved.close().error().kind(), ErrorKind::Closed);
        EXPECT_EQ((co_await moved.read(*ch, data, 0)).error().kind(), ErrorKind::Closed);
        EXPECT_EQ(moved.io_channel().error().kind(), ErrorKind::Closed);
        co_return 0;
    }());
}

#if SPDKCPP_THREAD_CHECKS
TEST_F(BdevTest, ChannelOfAnotherThreadIsRefused) {
    auto desc = driver_->on(app_, [] { return BdevDesc::open("Malloc0", OpenMode::ReadWrite); });
    ASSERT_TRUE(desc);
    auto worker_ch = driver_->on(worker_, [&] { return desc->io_channel(); });
    ASSERT_TRUE(worker_ch);
    auto use_on_app = [](BdevDesc &d, BdevChannel &ch) -> Task<Result<void>> {
        DmaBuf data = filled(512, 1);
        co_return co_await d.read(ch, data, 0);
    };
    auto r = run(use_on_app(*desc, *worker_ch));
    EXPECT_EQ(r.error().kind(), ErrorKind::WrongThread);
    driver_->on(worker_, [&] { worker_ch = fail(ErrorKind::Closed); });
    driver_->on(app_, [&] { desc = fail(ErrorKind::Closed); });
    driver_->run_until_idle();
}

#endif

TEST_F(BdevTest, OutsideAThreadOpenIsWrongThread) {
    EXPECT_EQ(BdevDesc::open("Malloc0", OpenMode::ReadOnly).error().kind(), ErrorKind::WrongThread);
}

TEST_F(BdevTest, CompletionsRunOnTheSubmittingThread) {
    auto desc = driver_->on(app_, [] { return BdevDesc::open("Malloc0", OpenMode::ReadWrite); });
    ASSERT_TRUE(desc);
    auto on_worker = [](BdevDesc &d) -> Task<Result<std::string>> {
        auto ch = d.io_channel();
        if (!ch) {
            co_return fail(ch.error());
        }
        DmaBuf data = filled(512, 1);
        auto r = co_await d.write(*ch, data, 0);
        if (!r) {
            co_return fail(r.error());
        }
        co_return std::string(ThreadRef::current().name());
    };
    auto r = driver_->run(worker_, on_worker(*desc));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, "worker");
    driver_->on(app_, [&] { desc = fail(ErrorKind::Closed); });
}

TEST_F(BdevTest, LoadConfigErrorsReachTheCaller) {
    run([]() -> Task<int> {
        std::string malformed = R"({"subsystems":[{"subsystem":"bdev","config":[)";
        auto bad = co_await load_config(malformed);
        EXPECT_FALSE(bad);
        if (!bad) {
            EXPECT_NE(bad.error().message().find("loading the JSON config"), std::string::npos)
                << bad.error().message();
        }
        // A method that fails (the name is taken) fails the load, and with
        // stop_on_error what follows it is not applied.
        std::string taken = R"({"subsystems":[{"subsystem":"bdev","config":[
            {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":8,"block_size":512}},
            {"method":"bdev_malloc_create","params":{"name":"Malloc8","num_blocks":8,"block_size":512}}
        ]}]})";
        EXPECT_FALSE(co_await load_config(taken));
        EXPECT_EQ(Bdev::lookup("Malloc8").error().kind(), ErrorKind::BdevNotFound);
        EXPECT_EQ(Bdev::lookup("Malloc0")->num_blocks(), 2048U);  // untouched
        co_return 0;
    }());
}

}  // namespace
}  // namespace spdkcpp
