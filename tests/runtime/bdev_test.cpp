// Conformance of the embedded bdev layer and its malloc and null modules with SPDK's
// documented behaviour: I/O round trips, argument checks, completion rules, the
// bounded spdk_bdev_io pool with spdk_bdev_queue_io_wait, hot remove, statistics
// and the JSON-RPC methods of the config. Threads are driven by hand from the
// test's OS thread, so every test is deterministic.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <barrier>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bdev_test_util.hpp"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/bdev_zone.h"
#include "spdk/env.h"
#include "spdk/json.h"
#include "spdk/string.h"
#include "spdk/thread.h"

namespace {

using spdk_test::BdevFixture;
using spdk_test::DmaBuffer;
using spdk_test::Events;
using spdk_test::io_done;
using spdk_test::IoResult;
using spdk_test::LogCapture;

class BdevTest : public BdevFixture {};

// ---- lookup and properties ---------------------------------------------------------

TEST_F(BdevTest, ConfiguredBdevsAreListedWithTheirProperties) {
    spdk_bdev *malloc0 = spdk_bdev_get_by_name("Malloc0");
    ASSERT_NE(malloc0, nullptr);
    EXPECT_STREQ(spdk_bdev_get_name(malloc0), "Malloc0");
    EXPECT_STREQ(spdk_bdev_get_product_name(malloc0), "Malloc disk");
    EXPECT_STREQ(spdk_bdev_get_module_name(malloc0), "malloc");
    EXPECT_EQ(spdk_bdev_get_block_size(malloc0), 512U);
    EXPECT_EQ(spdk_bdev_get_data_block_size(malloc0), 512U);
    EXPECT_EQ(spdk_bdev_get_num_blocks(malloc0), 2048U);
    EXPECT_EQ(spdk_bdev_get_write_unit_size(malloc0), 1U);
    EXPECT_EQ(spdk_bdev_get_buf_align(malloc0), 1U);
    EXPECT_EQ(spdk_bdev_get_optimal_io_boundary(malloc0), 0U);
    EXPECT_EQ(spdk_bdev_get_md_size(malloc0), 0U);
    EXPECT_TRUE(spdk_bdev_has_write_cache(malloc0));
    EXPECT_FALSE(spdk_bdev_is_zoned(malloc0));
    EXPECT_EQ(spdk_bdev_get_zone_size(malloc0), 0U);
    EXPECT_FALSE(spdk_uuid_is_null(spdk_bdev_get_uuid(malloc0)));
    EXPECT_TRUE(spdk_bdev_io_type_supported(malloc0, SPDK_BDEV_IO_TYPE_READ));
    EXPECT_TRUE(spdk_bdev_io_type_supported(malloc0, SPDK_BDEV_IO_TYPE_WRITE_ZEROES));
    EXPECT_TRUE(spdk_bdev_io_type_supported(malloc0, SPDK_BDEV_IO_TYPE_UNMAP));
    EXPECT_FALSE(spdk_bdev_io_type_supported(malloc0, SPDK_BDEV_IO_TYPE_NVME_ADMIN));

    spdk_bdev *malloc4k = spdk_bdev_get_by_name("Malloc4k");
    ASSERT_NE(malloc4k, nullptr);
    EXPECT_EQ(spdk_bdev_get_block_size(malloc4k), 4096U);
    char uuid[SPDK_UUID_STRING_LEN];
    ASSERT_EQ(spdk_uuid_fmt_lower(uuid, sizeof(uuid), spdk_bdev_get_uuid(malloc4k)), 0);
    EXPECT_STREQ(uuid, "0a1b2c3d-4e5f-4a6b-8c7d-8e9f00112233");
    EXPECT_EQ(spdk_bdev_get_by_name(uuid), malloc4k) << "a bdev is found by its UUID";

    spdk_bdev *null0 = spdk_bdev_get_by_name("Null0");
    ASSERT_NE(null0, nullptr);
    EXPECT_STREQ(spdk_bdev_get_module_name(null0), "null");
    EXPECT_FALSE(spdk_bdev_io_type_supported(null0, SPDK_BDEV_IO_TYPE_FLUSH));

    std::vector<std::string> names;
    for (spdk_bdev *b = spdk_bdev_first(); b != nullptr; b = spdk_bdev_next(b)) {
        names.emplace_back(spdk_bdev_get_name(b));
    }
    EXPECT_EQ(names, (std::vector<std::string>{"Malloc0", "Malloc4k", "Null0"}));
    size_t leaves = 0;
    for (spdk_bdev *b = spdk_bdev_first_leaf(); b != nullptr; b = spdk_bdev_next_leaf(b)) {
        ++leaves;
    }
    EXPECT_EQ(leaves, 3U);
    EXPECT_EQ(spdk_bdev_get_by_name("Nope"), nullptr);
}

TEST_F(BdevTest, IoTypeNamesRoundTrip) {
    EXPECT_STREQ(spdk_bdev_get_io_type_name(SPDK_BDEV_IO_TYPE_WRITE_ZEROES), "write_zeroes");
    EXPECT_EQ(spdk_bdev_get_io_type("unmap"), SPDK_BDEV_IO_TYPE_UNMAP);
    EXPECT_EQ(spdk_bdev_get_io_type("bogus"), -1);
    EXPECT_EQ(spdk_bdev_get_io_type_name(SPDK_BDEV_IO_TYPE_INVALID), nullptr);
}

TEST_F(BdevTest, OpenAnUnknownBdevIsENODEV) {
    spdk_bdev_desc *desc = nullptr;
    EXPECT_EQ(spdk_bdev_open_ext("NoSuchBdev", true, spdk_test::record_event, &events_, &desc),
              -ENODEV);
    EXPECT_EQ(desc, nullptr);
}

TEST_F(BdevTest, OpenWithoutAnEventCallbackIsEINVAL) {
    spdk_bdev_desc *desc = nullptr;
    EXPECT_EQ(spdk_bdev_open_ext("Malloc0", true, nullptr, nullptr, &desc), -EINVAL);
}

TEST_F(BdevTest, OpenOutsideAnSpdkThreadIsENOTSUP) {
    spdk_set_thread(nullptr);
    spdk_bdev_desc *desc = nullptr;
    EXPECT_EQ(spdk_bdev_open_ext("Malloc0", true, spdk_test::record_event, &events_, &desc),
              -ENOTSUP);
    spdk_set_thread(app_);
}

TEST_F(BdevTest, OpenByUuidAndDescriptorGivesTheBdev) {
    spdk_bdev_desc *desc = open("0a1b2c3d-4e5f-4a6b-8c7d-8e9f00112233", false);
    ASSERT_NE(desc, nullptr);
    EXPECT_EQ(spdk_bdev_desc_get_bdev(desc), spdk_bdev_get_by_name("Malloc4k"));
    EXPECT_EQ(spdk_bdev_desc_get_block_size(desc), 4096U);
    spdk_bdev_close(desc);
}

// ---- I/O round trips ---------------------------------------------------------------

class BdevIoTest : public BdevFixture {
  protected:
    void SetUp() override {
        BdevFixture::SetUp();
        desc_ = open(name_, true);
        ASSERT_NE(desc_, nullptr);
        bdev_ = spdk_bdev_desc_get_bdev(desc_);
        ch_ = spdk_bdev_get_io_channel(desc_);
        ASSERT_NE(ch_, nullptr);
        block_ = spdk_bdev_get_block_size(bdev_);
    }
    void TearDown() override {
        spdk_set_thread(app_);
        if (ch_ != nullptr) {
            spdk_put_io_channel(ch_);
        }
        if (desc_ != nullptr) {
            spdk_bdev_close(desc_);
        }
        poll_all();
        BdevFixture::TearDown();
    }

    // Runs one request to completion and returns whether it succeeded.
    template <typename Submit>
    bool run(Submit submit) {
        IoResult r;
        const int rc = submit(&r);
        EXPECT_EQ(rc, 0);
        if (rc != 0) {
            return false;
        }
        poll_all();
        EXPECT_EQ(r.completions, 1);
        return r.success;
    }

    bool write(const DmaBuffer &buf, uint64_t offset, uint64_t len) {
        return run([&](IoResult *r) {
            return spdk_bdev_write(desc_, ch_, buf.data(), offset, len, io_done, r);
        });
    }
    bool read(const DmaBuffer &buf, uint64_t offset, uint64_t len) {
        return run([&](IoResult *r) {
            return spdk_bdev_read(desc_, ch_, buf.data(), offset, len, io_done, r);
        });
    }

    const char *name_ = "Malloc0";
    spdk_bdev_desc *desc_ = nullptr;
    spdk_bdev *bdev_ = nullptr;
    spdk_io_channel *ch_ = nullptr;
    uint32_t block_ = 0;
};

TEST_F(BdevIoTest, ReadAfterWriteReturnsTheBytesWritten) {
    DmaBuffer out(8192);
    DmaBuffer in(8192);
    out.fill(1);
    ASSERT_TRUE(write(out, 4096, 8192));
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_read_blocks(desc_, ch_, in.data(), 8, 16, io_done, r);
    }));
    EXPECT_EQ(std::memcmp(out.data(), in.data(), 8192), 0);

    // Blocks around the written range are still zero.
    DmaBuffer before(512);
    before.fill(9);
    ASSERT_TRUE(read(before, 4096 - 512, 512));
    EXPECT_TRUE(before.all(0));
}

TEST_F(BdevIoTest, WritevAndReadvSplitTheDataAcrossIovecs) {
    DmaBuffer out(4096);
    out.fill(2);
    // 512 + 1536 + 2048 bytes out; 1024 + 1024 + 1024 + 1024 back in.
    iovec wiov[3] = {{out.data(), 512}, {out.data() + 512, 1536}, {out.data() + 2048, 2048}};
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_writev(desc_, ch_, wiov, 3, 100 * 512, 4096, io_done, r);
    }));
    DmaBuffer in(4096);
    iovec riov[4] = {{in.data() + 3072, 1024},
                     {in.data() + 2048, 1024},
                     {in.data() + 1024, 1024},
                     {in.data(), 1024}};
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_readv_blocks(desc_, ch_, riov, 4, 100, 8, io_done, r);
    }));
    for (size_t part = 0; part < 4; ++part) {
        EXPECT_EQ(std::memcmp(in.data() + (3 - part) * 1024, out.data() + part * 1024, 1024), 0)
            << "part " << part;
    }
    // And readv_blocks_ext with default options, writev_blocks with one iovec.
    DmaBuffer again(4096);
    iovec one = {again.data(), 4096};
    spdk_bdev_ext_io_opts opts{};
    opts.size = sizeof(opts);
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_readv_blocks_ext(desc_, ch_, &one, 1, 100, 8, io_done, r, &opts);
    }));
    EXPECT_EQ(std::memcmp(again.data(), out.data(), 4096), 0);
}

TEST_F(BdevIoTest, WriteZeroesClearsOnlyTheRange) {
    DmaBuffer out(16 * 512);
    out.fill(3);
    ASSERT_TRUE(write(out, 0, out.size()));
    ASSERT_TRUE(run(
        [&](IoResult *r) { return spdk_bdev_write_zeroes_blocks(desc_, ch_, 4, 8, io_done, r); }));
    DmaBuffer in(16 * 512);
    ASSERT_TRUE(read(in, 0, in.size()));
    EXPECT_EQ(std::memcmp(in.data(), out.data(), 4 * 512), 0);
    EXPECT_TRUE(in.all(0, 4 * 512, 12 * 512));
    EXPECT_EQ(std::memcmp(in.data() + 12 * 512, out.data() + 12 * 512, 4 * 512), 0);
    // The byte form too.
    ASSERT_TRUE(
        run([&](IoResult *r) { return spdk_bdev_write_zeroes(desc_, ch_, 0, 512, io_done, r); }));
    ASSERT_TRUE(read(in, 0, 512));
    EXPECT_TRUE(in.all(0, 0, 512));
}

TEST_F(BdevIoTest, UnmappedBlocksOfAMallocBdevReadBackAsZeroes) {
    DmaBuffer out(8 * 512);
    out.fill(4);
    ASSERT_TRUE(write(out, 0, out.size()));
    ASSERT_TRUE(run([&](IoResult *r) { return spdk_bdev_unmap(desc_, ch_, 0, 4096, io_done, r); }));
    DmaBuffer in(8 * 512);
    in.fill(5);
    ASSERT_TRUE(read(in, 0, in.size()));
    EXPECT_TRUE(in.all(0));
    ASSERT_TRUE(
        run([&](IoResult *r) { return spdk_bdev_unmap_blocks(desc_, ch_, 10, 2, io_done, r); }));
}

TEST_F(BdevIoTest, FlushResetCompareAndCopySucceed) {
    ASSERT_TRUE(run([&](IoResult *r) { return spdk_bdev_flush(desc_, ch_, 0, 4096, io_done, r); }));
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_flush_blocks(desc_, ch_, 0, spdk_bdev_get_num_blocks(bdev_), io_done, r);
    }));
    ASSERT_TRUE(run([&](IoResult *r) { return spdk_bdev_reset(desc_, ch_, io_done, r); }));

    DmaBuffer out(1024);
    out.fill(6);
    ASSERT_TRUE(write(out, 0, 1024));
    EXPECT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_compare_blocks(desc_, ch_, out.data(), 0, 2, io_done, r);
    }));
    out[700] ^= 0xff;
    EXPECT_FALSE(run([&](IoResult *r) {
        return spdk_bdev_compare_blocks(desc_, ch_, out.data(), 0, 2, io_done, r);
    })) << "a miscompare fails the I/O";
    out[700] ^= 0xff;

    ASSERT_TRUE(
        run([&](IoResult *r) { return spdk_bdev_copy_blocks(desc_, ch_, 50, 0, 2, io_done, r); }));
    DmaBuffer in(1024);
    ASSERT_TRUE(read(in, 50 * 512, 1024));
    EXPECT_EQ(std::memcmp(in.data(), out.data(), 1024), 0);
}

TEST_F(BdevIoTest, ReadWithoutABufferLendsTheData) {
    DmaBuffer out(1024);
    out.fill(7);
    ASSERT_TRUE(write(out, 0, 1024));
    IoResult r;
    iovec *iov = nullptr;
    ASSERT_NO_FATAL_FAILURE(read_without_buffer(desc_, ch_, 0, 2, r, &iov));
    ASSERT_NE(iov[0].iov_base, nullptr);
    ASSERT_EQ(iov[0].iov_len, 1024U);
    EXPECT_EQ(std::memcmp(iov[0].iov_base, out.data(), 1024), 0);
    EXPECT_EQ(spdk_bdev_io_get_cb_arg(r.io), &r);
    EXPECT_EQ(spdk_bdev_io_get_thread(r.io), app_);
    uint32_t cdw0 = 1;
    int sct = -1;
    int sc = -1;
    spdk_bdev_io_get_nvme_status(r.io, &cdw0, &sct, &sc);
    EXPECT_EQ(sct, 0);
    EXPECT_EQ(sc, 0);
    int aio = -1;
    spdk_bdev_io_get_aio_status(r.io, &aio);
    EXPECT_EQ(aio, 0);
    spdk_bdev_free_io(r.io);
}

// ---- completion rules --------------------------------------------------------------

TEST_F(BdevIoTest, CompletionNeverRunsInsideTheSubmitCall) {
    DmaBuffer buf(512);
    bool in_submit = false;
    IoResult r;
    r.in_submit = &in_submit;
    in_submit = true;
    ASSERT_EQ(spdk_bdev_write_blocks(desc_, ch_, buf.data(), 0, 1, io_done, &r), 0);
    in_submit = false;
    EXPECT_EQ(r.completions, 0) << "the malloc bdev completes inside submit_request, and the "
                                   "bdev layer must defer the callback";
    poll_all();
    EXPECT_EQ(r.completions, 1);
    EXPECT_FALSE(r.ran_inside_submit);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.thread, app_);
}

// A callback that submits the next request from inside itself, n times.
struct Chain {
    spdk_bdev_desc *desc;
    spdk_io_channel *ch;
    void *buf;
    int remaining;
    int depth = 0;
    int max_depth = 0;
    int done = 0;
};

void chain_done(spdk_bdev_io *io, bool success, void *arg) {
    auto *c = static_cast<Chain *>(arg);
    spdk_bdev_free_io(io);
    EXPECT_TRUE(success);
    c->done++;
    if (--c->remaining > 0) {
        c->depth++;
        c->max_depth = std::max(c->max_depth, c->depth);
        EXPECT_EQ(spdk_bdev_read_blocks(c->desc, c->ch, c->buf, 0, 1, chain_done, c), 0);
        c->depth--;
    }
}

TEST_F(BdevIoTest, ResubmittingFromACallbackDoesNotRecurse) {
    DmaBuffer buf(512);
    Chain c{desc_, ch_, buf.data(), 1000};
    ASSERT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), 0, 1, chain_done, &c), 0);
    poll_all();
    EXPECT_EQ(c.done, 1000);
    EXPECT_EQ(c.max_depth, 1) << "each completion runs from the thread's loop, not nested";
}

TEST_F(BdevIoTest, EachCompletionRunsOnItsSubmittingThread) {
    spdk_thread *t1 = make_thread("t1");
    spdk_thread *t2 = make_thread("t2");
    spdk_io_channel *ch1 = nullptr;
    spdk_io_channel *ch2 = nullptr;
    DmaBuffer b1(512);
    DmaBuffer b2(512);
    IoResult r1;
    IoResult r2;
    spdk_set_thread(t1);
    ch1 = spdk_bdev_get_io_channel(desc_);
    ASSERT_NE(ch1, nullptr);
    ASSERT_EQ(spdk_bdev_write_blocks(desc_, ch1, b1.data(), 0, 1, io_done, &r1), 0);
    spdk_set_thread(t2);
    ch2 = spdk_bdev_get_io_channel(desc_);
    ASSERT_NE(ch2, nullptr);
    EXPECT_NE(ch1, ch2);
    ASSERT_EQ(spdk_bdev_read_blocks(desc_, ch2, b2.data(), 1, 1, io_done, &r2), 0);
    spdk_set_thread(app_);
    // Polling the app thread alone completes neither.
    for (int i = 0; i < 10; ++i) {
        spdk_thread_poll(app_, 0, 0);
    }
    EXPECT_EQ(r1.completions + r2.completions, 0);
    spdk_thread_poll(t2, 0, 0);
    EXPECT_EQ(r2.completions, 1);
    EXPECT_EQ(r2.thread, t2);
    EXPECT_EQ(r1.completions, 0);
    spdk_thread_poll(t1, 0, 0);
    EXPECT_EQ(r1.completions, 1);
    EXPECT_EQ(r1.thread, t1);

    spdk_set_thread(t1);
    spdk_put_io_channel(ch1);
    spdk_set_thread(t2);
    spdk_put_io_channel(ch2);
    spdk_set_thread(app_);
    poll_all();
}

// ---- argument checks ---------------------------------------------------------------

TEST_F(BdevIoTest, OutOfRangeAndMisalignedRequestsAreEINVAL) {
    DmaBuffer buf(8192);
    IoResult r;
    const uint64_t blocks = spdk_bdev_get_num_blocks(bdev_);
    const uint64_t size = blocks * block_;
    // Past the end.
    EXPECT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), blocks, 1, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), blocks - 1, 2, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_write(desc_, ch_, buf.data(), size - 512, 1024, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_read(desc_, ch_, buf.data(), size, 512, io_done, &r), -EINVAL);
    // Wrapping around.
    EXPECT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), UINT64_MAX, 2, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_write_zeroes_blocks(desc_, ch_, 1, UINT64_MAX, io_done, &r), -EINVAL);
    // Not a multiple of the block size (byte forms).
    EXPECT_EQ(spdk_bdev_read(desc_, ch_, buf.data(), 100, 512, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_write(desc_, ch_, buf.data(), 0, 100, io_done, &r), -EINVAL);
    iovec iov = {buf.data(), 1000};
    EXPECT_EQ(spdk_bdev_readv(desc_, ch_, &iov, 1, 0, 1000, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_writev(desc_, ch_, &iov, 1, 512, 1000, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_unmap(desc_, ch_, 1, 512, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_flush(desc_, ch_, 0, 10, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_write_zeroes(desc_, ch_, 256, 512, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_unmap_blocks(desc_, ch_, blocks, 1, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_flush_blocks(desc_, ch_, 0, blocks + 1, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_copy_blocks(desc_, ch_, blocks - 1, 0, 2, io_done, &r), -EINVAL);
    // Metadata on a bdev without any; memory domains.
    EXPECT_EQ(spdk_bdev_read_blocks_with_md(desc_, ch_, buf.data(), buf.data(), 0, 1, io_done, &r),
              -EINVAL);
    spdk_bdev_ext_io_opts opts{};
    opts.size = 0;
    EXPECT_EQ(spdk_bdev_readv_blocks_ext(desc_, ch_, &iov, 1, 0, 1, io_done, &r, &opts), -EINVAL);
    poll_all();
    EXPECT_EQ(r.completions, 0) << "a rejected request never calls back";
}

TEST_F(BdevIoTest, ZeroLengthRequestsAreAcceptedAndComplete) {
    // As in SPDK: zero blocks at an offset up to the end is valid, one past is not.
    DmaBuffer buf(512);
    const uint64_t blocks = spdk_bdev_get_num_blocks(bdev_);
    EXPECT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_read_blocks(desc_, ch_, buf.data(), 0, 0, io_done, r);
    }));
    EXPECT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_write(desc_, ch_, buf.data(), blocks * block_, 0, io_done, r);
    }));
    EXPECT_TRUE(
        run([&](IoResult *r) { return spdk_bdev_unmap_blocks(desc_, ch_, 5, 0, io_done, r); }));
    EXPECT_TRUE(run(
        [&](IoResult *r) { return spdk_bdev_write_zeroes_blocks(desc_, ch_, 5, 0, io_done, r); }));
    IoResult r;
    EXPECT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), blocks + 1, 0, io_done, &r), -EINVAL);
}

TEST_F(BdevIoTest, WritesThroughAReadOnlyDescriptorAreEBADF) {
    spdk_bdev_desc *ro = open("Malloc0", false);
    ASSERT_NE(ro, nullptr);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(ro);
    ASSERT_NE(ch, nullptr);
    EXPECT_EQ(ch, ch_) << "one channel per bdev and thread, whatever the descriptor";
    DmaBuffer buf(512);
    iovec iov = {buf.data(), 512};
    IoResult r;
    EXPECT_EQ(spdk_bdev_write(ro, ch, buf.data(), 0, 512, io_done, &r), -EBADF);
    EXPECT_EQ(spdk_bdev_write_blocks(ro, ch, buf.data(), 0, 1, io_done, &r), -EBADF);
    EXPECT_EQ(spdk_bdev_writev(ro, ch, &iov, 1, 0, 512, io_done, &r), -EBADF);
    EXPECT_EQ(spdk_bdev_writev_blocks(ro, ch, &iov, 1, 0, 1, io_done, &r), -EBADF);
    EXPECT_EQ(spdk_bdev_write_zeroes_blocks(ro, ch, 0, 1, io_done, &r), -EBADF);
    EXPECT_EQ(spdk_bdev_unmap_blocks(ro, ch, 0, 1, io_done, &r), -EBADF);
    EXPECT_EQ(spdk_bdev_flush_blocks(ro, ch, 0, 1, io_done, &r), -EBADF);
    EXPECT_EQ(spdk_bdev_copy_blocks(ro, ch, 1, 0, 1, io_done, &r), -EBADF);
    // Reads are fine.
    EXPECT_EQ(spdk_bdev_read_blocks(ro, ch, buf.data(), 0, 1, io_done, &r), 0);
    poll_all();
    EXPECT_EQ(r.completions, 1);
    spdk_put_io_channel(ch);
    spdk_bdev_close(ro);
}

TEST_F(BdevIoTest, UnsupportedRequestsAreENOTSUP) {
    IoResult r;
    iovec iov = {nullptr, 0};
    EXPECT_EQ(spdk_bdev_zcopy_start(desc_, ch_, &iov, 1, 0, 1, true, io_done, &r), -ENOTSUP);
    EXPECT_EQ(spdk_bdev_abort(desc_, ch_, &r, io_done, &r), -ENOTSUP);
    EXPECT_EQ(spdk_bdev_zone_management(desc_, ch_, 0, SPDK_BDEV_ZONE_RESET, io_done, &r),
              -ENOTSUP);
    EXPECT_EQ(r.completions, 0);
}

// ---- the bounded pool and io_wait ----------------------------------------------------

class BdevPoolTest : public BdevIoTest {
  protected:
    void SetUp() override {
        pool_size_ = 64;
        cache_size_ = 16;
        BdevIoTest::SetUp();
    }
};

struct Waiter {
    spdk_bdev_io_wait_entry entry{};
    std::vector<int> *order = nullptr;
    int id = 0;
    spdk_thread *thread = nullptr;
    // Submitted again from the callback.
    spdk_bdev_desc *desc = nullptr;
    spdk_io_channel *ch = nullptr;
    void *buf = nullptr;
    IoResult result;
    int resubmit_rc = 1;
};

void waiter_cb(void *arg) {
    auto *w = static_cast<Waiter *>(arg);
    w->order->push_back(w->id);
    w->thread = spdk_get_thread();
    w->resubmit_rc = spdk_bdev_read_blocks(w->desc, w->ch, w->buf, 0, 1, io_done, &w->result);
}

TEST_F(BdevPoolTest, FloodingThePoolGivesENOMEMThenIoWaitResumesInOrder) {
    spdk_bdev_opts opts{};
    spdk_bdev_get_opts(&opts, sizeof(opts));
    EXPECT_EQ(opts.bdev_io_pool_size, 64U);
    EXPECT_EQ(opts.bdev_io_cache_size, 16U);

    DmaBuffer buf(512);
    std::vector<IoResult> results(200);
    size_t submitted = 0;
    int rc = 0;
    while (submitted < results.size()) {
        rc = spdk_bdev_read_blocks(desc_, ch_, buf.data(), 0, 1, io_done, &results[submitted]);
        if (rc != 0) {
            break;
        }
        ++submitted;
    }
    EXPECT_EQ(rc, -ENOMEM);
    EXPECT_EQ(submitted, 64U) << "the whole pool, then -ENOMEM";

    std::vector<int> order;
    Waiter w1;
    Waiter w2;
    for (Waiter *w : {&w1, &w2}) {
        w->entry.bdev = bdev_;
        w->entry.cb_fn = waiter_cb;
        w->entry.cb_arg = w;
        w->order = &order;
        w->desc = desc_;
        w->ch = ch_;
        w->buf = buf.data();
    }
    w1.id = 1;
    w2.id = 2;
    Waiter wrong;
    wrong.entry.bdev = spdk_bdev_get_by_name("Null0");
    wrong.entry.cb_fn = waiter_cb;
    wrong.entry.cb_arg = &wrong;
    EXPECT_EQ(spdk_bdev_queue_io_wait(bdev_, ch_, &wrong.entry), -EINVAL)
        << "the entry's bdev must match";
    ASSERT_EQ(spdk_bdev_queue_io_wait(bdev_, ch_, &w1.entry), 0);
    ASSERT_EQ(spdk_bdev_queue_io_wait(bdev_, ch_, &w2.entry), 0);
    EXPECT_TRUE(order.empty());

    poll_all();
    for (size_t i = 0; i < submitted; ++i) {
        EXPECT_EQ(results[i].completions, 1) << i;
    }
    EXPECT_EQ(order, (std::vector<int>{1, 2})) << "FIFO";
    EXPECT_EQ(w1.thread, app_);
    EXPECT_EQ(w1.resubmit_rc, 0);
    EXPECT_EQ(w2.resubmit_rc, 0);
    EXPECT_EQ(w1.result.completions, 1);
    EXPECT_EQ(w2.result.completions, 1);

    // With spdk_bdev_io free on this thread, waiting is refused.
    Waiter late;
    late.entry.bdev = bdev_;
    late.entry.cb_fn = waiter_cb;
    late.entry.cb_arg = &late;
    EXPECT_EQ(spdk_bdev_queue_io_wait(bdev_, ch_, &late.entry), -EINVAL);
}

TEST_F(BdevPoolTest, AThreadKeepsItsCacheWhenAnotherExhaustsThePool) {
    DmaBuffer buf(512);
    std::vector<IoResult> results(100);
    size_t submitted = 0;
    while (submitted < results.size() &&
           spdk_bdev_read_blocks(desc_, ch_, buf.data(), 0, 1, io_done, &results[submitted]) == 0) {
        ++submitted;
    }
    spdk_thread *t1 = make_thread("t1");
    spdk_set_thread(t1);
    spdk_io_channel *ch1 = spdk_bdev_get_io_channel(desc_);
    // The pool of 64 was all taken by the app thread; a new thread's cache cannot be
    // filled, so its channel cannot be made (SPDK asks for a larger pool).
    EXPECT_EQ(ch1, nullptr);
    spdk_set_thread(app_);
    poll_all();
    EXPECT_EQ(submitted, 64U);
}

// Two OS threads, each polling its own spdk_thread, share the pool: the per-thread
// caches are lock-free and the pool behind them is shared safely.
struct Flood {
    spdk_bdev_desc *desc = nullptr;
    spdk_thread *thread = nullptr;
    spdk_io_channel *ch = nullptr;
    void *buf = nullptr;
    uint64_t target = 0;
    uint64_t submitted = 0;
    uint64_t completed = 0;
    uint64_t enomem = 0;
    uint64_t failed = 0;
    bool waiting = false;
    spdk_bdev_io_wait_entry wait{};
};

void flood_submit(Flood *f);

void flood_done(spdk_bdev_io *io, bool success, void *arg) {
    auto *f = static_cast<Flood *>(arg);
    spdk_bdev_free_io(io);
    f->completed++;
    f->failed += success ? 0 : 1;
    if (!f->waiting) {
        flood_submit(f);
    }
}

void flood_resume(void *arg) {
    auto *f = static_cast<Flood *>(arg);
    f->waiting = false;
    flood_submit(f);
}

// Keeps up to 60 reads in flight until target have been submitted.
void flood_submit(Flood *f) {
    while (f->submitted < f->target && f->submitted - f->completed < 60) {
        const int rc = spdk_bdev_read_blocks(f->desc, f->ch, f->buf, (f->submitted * 7) % 2048, 1,
                                             flood_done, f);
        if (rc == -ENOMEM) {
            f->enomem++;
            f->waiting = true;
            f->wait.bdev = spdk_bdev_desc_get_bdev(f->desc);
            f->wait.cb_fn = flood_resume;
            f->wait.cb_arg = f;
            EXPECT_EQ(spdk_bdev_queue_io_wait(f->wait.bdev, f->ch, &f->wait), 0);
            return;
        }
        ASSERT_EQ(rc, 0);
        f->submitted++;
    }
}

TEST_F(BdevPoolTest, OsThreadsShareThePoolSafely) {
    Flood floods[2];
    DmaBuffer bufs[2] = {DmaBuffer(512), DmaBuffer(512)};
    std::vector<std::thread> workers;
    for (int i = 0; i < 2; ++i) {
        floods[i].desc = desc_;
        floods[i].thread = make_thread(i == 0 ? "t1" : "t2");
        floods[i].buf = bufs[i].data();
        floods[i].target = 5000;
    }
    spdk_set_thread(nullptr);
    std::barrier channels_ready(2);
    for (Flood &f : floods) {
        workers.emplace_back([&f, &channels_ready] {
            spdk_set_thread(f.thread);
            f.ch = spdk_bdev_get_io_channel(f.desc);
            // Both caches are filled before either thread floods the pool.
            channels_ready.arrive_and_wait();
            ASSERT_NE(f.ch, nullptr);
            flood_submit(&f);
            for (int round = 0; round < 10000000 && f.completed < f.target; ++round) {
                spdk_thread_poll(f.thread, 0, 0);
            }
            spdk_put_io_channel(f.ch);
            for (int round = 0; round < 100; ++round) {
                spdk_thread_poll(f.thread, 0, 0);
            }
            spdk_set_thread(nullptr);
        });
    }
    for (std::thread &w : workers) {
        w.join();
    }
    spdk_set_thread(app_);
    poll_all();
    for (const Flood &f : floods) {
        EXPECT_EQ(f.completed, f.target);
        EXPECT_EQ(f.failed, 0U);
    }
    EXPECT_GT(floods[0].enomem + floods[1].enomem, 0U) << "the pool was too small for both";
}

// ---- hot remove ----------------------------------------------------------------------

struct UnregisterResult {
    int calls = 0;
    int rc = 1;
};

void unregister_done(void *arg, int rc) {
    auto *u = static_cast<UnregisterResult *>(arg);
    u->calls++;
    u->rc = rc;
}

TEST_F(BdevTest, UnregisterSendsRemoveOnTheOpenersThreadAndWaitsForTheClose) {
    spdk_thread *t1 = make_thread("t1");
    spdk_set_thread(t1);
    Events events;
    spdk_bdev_desc *desc = open("Malloc0", true, &events);
    ASSERT_NE(desc, nullptr);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    ASSERT_NE(ch, nullptr);

    spdk_set_thread(app_);
    spdk_bdev *bdev = spdk_bdev_get_by_name("Malloc0");
    UnregisterResult u;
    spdk_bdev_unregister(bdev, unregister_done, &u);
    EXPECT_EQ(u.calls, 0) << "never inside the call";

    // Only the app thread runs: the event waits for t1.
    for (int i = 0; i < 20; ++i) {
        spdk_thread_poll(app_, 0, 0);
    }
    EXPECT_TRUE(events.types.empty());
    spdk_bdev_desc *other = nullptr;
    EXPECT_EQ(spdk_bdev_open_ext("Malloc0", false, spdk_test::record_event, &events_, &other),
              -ENODEV)
        << "a bdev being unregistered cannot be opened";
    spdk_bdev *again = nullptr;
    EXPECT_EQ(spdk_bdev_unregister_by_name("Malloc0", nullptr, unregister_done, &again), -ENODEV);

    poll_all();
    ASSERT_EQ(events.types.size(), 1U);
    EXPECT_EQ(events.types[0], SPDK_BDEV_EVENT_REMOVE);
    EXPECT_EQ(events.threads[0], t1);
    EXPECT_EQ(u.calls, 0) << "the descriptor is still open";

    {
        LogCapture log;
        spdk_set_thread(app_);
        spdk_bdev_close(desc);  // the wrong thread: refused
        EXPECT_TRUE(log.contains("opened on thread")) << log.text();
    }
    poll_all();
    EXPECT_EQ(u.calls, 0);

    spdk_set_thread(t1);
    spdk_put_io_channel(ch);
    spdk_bdev_close(desc);
    spdk_set_thread(app_);
    poll_all();
    EXPECT_EQ(u.calls, 1);
    EXPECT_EQ(u.rc, 0);
    EXPECT_EQ(spdk_bdev_get_by_name("Malloc0"), nullptr);
    EXPECT_EQ(events.types.size(), 1U);
}

TEST_F(BdevTest, ClosingFromTheRemoveEventFinishesTheUnregistration) {
    Events events;
    spdk_bdev_desc *desc = open("Null0", false, &events);
    ASSERT_NE(desc, nullptr);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    events.close_on_remove = &desc;
    events.put_on_remove = &ch;
    UnregisterResult u;
    spdk_bdev_unregister(spdk_bdev_get_by_name("Null0"), unregister_done, &u);
    poll_all();
    EXPECT_EQ(events.types.size(), 1U);
    EXPECT_EQ(desc, nullptr);
    EXPECT_EQ(u.calls, 1);
    EXPECT_EQ(u.rc, 0);
}

TEST_F(BdevTest, UnregisterWithoutDescriptorsCompletesFromAMessage) {
    UnregisterResult u;
    spdk_bdev_unregister(spdk_bdev_get_by_name("Malloc4k"), unregister_done, &u);
    EXPECT_EQ(u.calls, 0);
    UnregisterResult second;
    spdk_bdev_unregister(spdk_bdev_get_by_name("Malloc4k"), unregister_done, &second);
    EXPECT_EQ(second.calls, 1);
    EXPECT_EQ(second.rc, -EBUSY) << "already being unregistered";
    poll_all();
    EXPECT_EQ(u.calls, 1);
    EXPECT_EQ(u.rc, 0);
    EXPECT_EQ(spdk_bdev_get_by_name("Malloc4k"), nullptr);
    EXPECT_EQ(spdk_bdev_get_by_name("0a1b2c3d-4e5f-4a6b-8c7d-8e9f00112233"), nullptr);
}

TEST_F(BdevTest, SubsystemFiniRemovesBdevsThatAreStillOpen) {
    Events events;
    spdk_bdev_desc *desc = open("Malloc0", true, &events);
    ASSERT_NE(desc, nullptr);
    events.close_on_remove = &desc;
    bool done = false;
    spdk_subsystem_fini([](void *arg) { *static_cast<bool *>(arg) = true; }, &done);
    poll_until([&] { return done; });
    started_ = false;
    EXPECT_TRUE(done);
    ASSERT_EQ(events.types.size(), 1U);
    EXPECT_EQ(events.types[0], SPDK_BDEV_EVENT_REMOVE);
    EXPECT_EQ(desc, nullptr);
    EXPECT_EQ(spdk_bdev_first(), nullptr);
}

// ---- statistics ----------------------------------------------------------------------

TEST_F(BdevIoTest, StatisticsCountOpsBytesAndLatency) {
    DmaBuffer buf(4096);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(write(buf, 0, 4096));
    }
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(read(buf, 0, 1024));
    }
    ASSERT_TRUE(
        run([&](IoResult *r) { return spdk_bdev_unmap_blocks(desc_, ch_, 0, 4, io_done, r); }));
    IoResult bad;
    EXPECT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), 1u << 30, 1, io_done, &bad), -EINVAL);

    spdk_bdev_io_stat stat{};
    spdk_bdev_get_io_stat(bdev_, ch_, &stat, SPDK_BDEV_RESET_STAT_NONE);
    EXPECT_EQ(stat.num_write_ops, 3U);
    EXPECT_EQ(stat.bytes_written, 3U * 4096);
    EXPECT_EQ(stat.num_read_ops, 5U);
    EXPECT_EQ(stat.bytes_read, 5U * 1024);
    EXPECT_EQ(stat.num_unmap_ops, 1U);
    EXPECT_EQ(stat.bytes_unmapped, 4U * 512);
    EXPECT_GT(stat.read_latency_ticks, 0U);
    EXPECT_GE(stat.max_read_latency_ticks, stat.min_read_latency_ticks);
    EXPECT_LE(stat.max_read_latency_ticks, stat.read_latency_ticks);
    EXPECT_EQ(stat.ticks_rate, spdk_get_ticks_hz());
    EXPECT_EQ(stat.num_copy_ops, 0U);
    EXPECT_EQ(stat.min_copy_latency_ticks, UINT64_MAX);

    spdk_bdev_get_io_stat(bdev_, ch_, &stat, SPDK_BDEV_RESET_STAT_ALL);
    spdk_bdev_get_io_stat(bdev_, ch_, &stat, SPDK_BDEV_RESET_STAT_NONE);
    EXPECT_EQ(stat.num_read_ops, 0U);
    EXPECT_EQ(stat.bytes_written, 0U);
}

struct DeviceStatResult {
    int calls = 0;
    int rc = 1;
    spdk_bdev_io_stat *stat = nullptr;
    spdk_thread *thread = nullptr;
};

void device_stat_done(spdk_bdev * /*bdev*/, spdk_bdev_io_stat *stat, void *arg, int rc) {
    auto *d = static_cast<DeviceStatResult *>(arg);
    d->calls++;
    d->rc = rc;
    d->stat = stat;
    d->thread = spdk_get_thread();
}

TEST_F(BdevIoTest, DeviceStatisticsAddUpEveryChannel) {
    DmaBuffer buf(512);
    ASSERT_TRUE(write(buf, 0, 512));
    spdk_thread *t1 = make_thread("t1");
    spdk_set_thread(t1);
    spdk_io_channel *ch1 = spdk_bdev_get_io_channel(desc_);
    IoResult r1;
    IoResult r2;
    ASSERT_EQ(spdk_bdev_read_blocks(desc_, ch1, buf.data(), 0, 1, io_done, &r1), 0);
    ASSERT_EQ(spdk_bdev_read_blocks(desc_, ch1, buf.data(), 1, 1, io_done, &r2), 0);
    spdk_set_thread(app_);
    poll_all();

    spdk_bdev_io_stat stat{};
    DeviceStatResult d;
    spdk_bdev_get_device_stat(bdev_, &stat, SPDK_BDEV_RESET_STAT_NONE, device_stat_done, &d);
    poll_all();
    ASSERT_EQ(d.calls, 1);
    EXPECT_EQ(d.rc, 0);
    EXPECT_EQ(d.stat, &stat);
    EXPECT_EQ(d.thread, app_);
    EXPECT_EQ(stat.num_write_ops, 1U);
    EXPECT_EQ(stat.num_read_ops, 2U);
    EXPECT_EQ(stat.bytes_read, 1024U);

    // A destroyed channel's counts are kept in the bdev's totals.
    spdk_set_thread(t1);
    spdk_put_io_channel(ch1);
    spdk_set_thread(app_);
    poll_all();
    spdk_bdev_io_stat after{};
    DeviceStatResult d2;
    spdk_bdev_get_device_stat(bdev_, &after, SPDK_BDEV_RESET_STAT_NONE, device_stat_done, &d2);
    poll_all();
    ASSERT_EQ(d2.calls, 1);
    EXPECT_EQ(after.num_read_ops, 2U);
    EXPECT_EQ(after.num_write_ops, 1U);
}

// ---- the null bdev -------------------------------------------------------------------

class NullBdevTest : public BdevIoTest {
  protected:
    void SetUp() override {
        name_ = "Null0";
        BdevIoTest::SetUp();
    }
};

TEST_F(NullBdevTest, WritesAreDiscardedAndReadsLeaveTheBufferAlone) {
    DmaBuffer out(4096);
    out.fill(11);
    ASSERT_TRUE(write(out, 0, 4096));
    DmaBuffer in(4096);
    ASSERT_TRUE(read(in, 0, 4096));
    EXPECT_TRUE(in.all(0)) << "nothing written is read back";
    ASSERT_TRUE(run(
        [&](IoResult *r) { return spdk_bdev_write_zeroes_blocks(desc_, ch_, 0, 8, io_done, r); }));
    ASSERT_TRUE(run([&](IoResult *r) { return spdk_bdev_reset(desc_, ch_, io_done, r); }));
    IoResult r;
    EXPECT_EQ(spdk_bdev_flush_blocks(desc_, ch_, 0, 1, io_done, &r), -ENOTSUP);
    EXPECT_FALSE(run([&](IoResult *res) {
        return spdk_bdev_unmap_blocks(desc_, ch_, 0, 1, io_done, res);
    })) << "the null module fails unmap";
}

TEST_F(NullBdevTest, ReadWithoutABufferGetsZeroes) {
    IoResult r;
    iovec *iov = nullptr;
    ASSERT_NO_FATAL_FAILURE(read_without_buffer(desc_, ch_, 0, 8, r, &iov));
    ASSERT_EQ(iov[0].iov_len, 4096U);
    EXPECT_TRUE(spdk_mem_all_zero(iov[0].iov_base, iov[0].iov_len));
    spdk_bdev_free_io(r.io);
}

// ---- configuration -------------------------------------------------------------------

std::string bdev_config(const std::string &method, const std::string &params) {
    return R"({"subsystems": [{"subsystem": "bdev", "config": [{"method": ")" + method +
           R"(", "params": )" + params + "}]}]}";
}

TEST_F(BdevTest, MallocCreateNamesAMissingParameter) {
    LogCapture log;
    EXPECT_NE(
        load_config(bdev_config("bdev_malloc_create", R"({"name": "M1", "block_size": 512})")), 0);
    EXPECT_TRUE(log.contains("bdev_malloc_create: missing required parameter 'num_blocks'"))
        << log.text();
    EXPECT_EQ(spdk_bdev_get_by_name("M1"), nullptr);
}

TEST_F(BdevTest, MallocCreateRejectsABlockSizeThatIsNotAMultipleOf512) {
    LogCapture log;
    EXPECT_NE(load_config(bdev_config("bdev_malloc_create",
                                      R"({"name": "M1", "num_blocks": 8, "block_size": 1000})")),
              0);
    EXPECT_TRUE(log.contains("'block_size' must be a multiple of 512, not 1000")) << log.text();
    EXPECT_EQ(spdk_bdev_get_by_name("M1"), nullptr);
}

TEST_F(BdevTest, MallocCreateRejectsZeroBlocks) {
    LogCapture log;
    EXPECT_NE(load_config(bdev_config("bdev_malloc_create",
                                      R"({"name": "M1", "num_blocks": 0, "block_size": 512})")),
              0);
    EXPECT_TRUE(log.contains("'num_blocks' must be greater than 0")) << log.text();
}

TEST_F(BdevTest, MallocCreateRejectsADuplicateName) {
    LogCapture log;
    EXPECT_NE(
        load_config(bdev_config("bdev_malloc_create",
                                R"({"name": "Malloc0", "num_blocks": 8, "block_size": 512})")),
        0);
    EXPECT_TRUE(log.contains("a bdev named 'Malloc0' (or with its UUID) already exists"))
        << log.text();
    EXPECT_EQ(spdk_bdev_get_num_blocks(spdk_bdev_get_by_name("Malloc0")), 2048U);
}

TEST_F(BdevTest, MallocCreateRejectsBadTypesAndUnknownParameters) {
    {
        LogCapture log;
        EXPECT_NE(
            load_config(bdev_config("bdev_malloc_create",
                                    R"({"name": "M1", "num_blocks": "8", "block_size": 512})")),
            0);
        EXPECT_TRUE(log.contains("parameter 'num_blocks' must be a non-negative integer"))
            << log.text();
    }
    {
        LogCapture log;
        EXPECT_NE(load_config(bdev_config(
                      "bdev_malloc_create",
                      R"({"name": "M1", "num_blocks": 8, "block_size": 512, "colour": 1})")),
                  0);
        EXPECT_TRUE(log.contains("unknown parameter 'colour'")) << log.text();
    }
    {
        LogCapture log;
        EXPECT_NE(load_config(bdev_config(
                      "bdev_malloc_create",
                      R"({"name": "M1", "num_blocks": 8, "block_size": 512, "uuid": "xyz"})")),
                  0);
        EXPECT_TRUE(log.contains("parameter 'uuid' is not a UUID")) << log.text();
    }
}

TEST_F(BdevTest, UnknownMethodFailsTheConfig) {
    LogCapture log;
    EXPECT_NE(load_config(bdev_config("bdev_frobnicate_create", R"({"name": "X"})")), 0);
    EXPECT_TRUE(log.contains("bdev_frobnicate_create")) << log.text();
}

TEST_F(BdevTest, NullCreateChecksItsParameters) {
    {
        LogCapture log;
        EXPECT_NE(
            load_config(bdev_config("bdev_null_create", R"({"num_blocks": 8, "block_size": 512})")),
            0);
        EXPECT_TRUE(log.contains("bdev_null_create: missing required parameter 'name'"))
            << log.text();
    }
    {
        LogCapture log;
        EXPECT_NE(load_config(bdev_config("bdev_null_create",
                                          R"({"name": "N1", "num_blocks": 8, "block_size": 520})")),
                  0);
        EXPECT_TRUE(log.contains("bdev_null_create: 'block_size' must be a multiple of 512"))
            << log.text();
    }
    EXPECT_EQ(load_config(bdev_config("bdev_null_create",
                                      R"({"name": "N1", "num_blocks": 8, "block_size": 4096})")),
              0);
    ASSERT_NE(spdk_bdev_get_by_name("N1"), nullptr);
    EXPECT_EQ(spdk_bdev_get_block_size(spdk_bdev_get_by_name("N1")), 4096U);
}

TEST_F(BdevTest, DeleteMethodsRemoveTheirBdevs) {
    EXPECT_EQ(load_config(bdev_config("bdev_malloc_delete", R"({"name": "Malloc4k"})")), 0);
    EXPECT_EQ(load_config(bdev_config("bdev_null_delete", R"({"name": "Null0"})")), 0);
    poll_all();
    EXPECT_EQ(spdk_bdev_get_by_name("Malloc4k"), nullptr);
    EXPECT_EQ(spdk_bdev_get_by_name("Null0"), nullptr);
    {
        LogCapture log;
        EXPECT_NE(load_config(bdev_config("bdev_malloc_delete", R"({"name": "Null9"})")), 0);
        EXPECT_TRUE(log.contains("bdev_malloc_delete: cannot delete malloc bdev 'Null9'"))
            << log.text();
    }
    {
        // A bdev of another module is not the malloc module's to delete.
        ASSERT_EQ(load_config(bdev_config("bdev_null_create",
                                          R"({"name": "N2", "num_blocks": 8, "block_size": 512})")),
                  0);
        LogCapture log;
        EXPECT_NE(load_config(bdev_config("bdev_malloc_delete", R"({"name": "N2"})")), 0);
        EXPECT_TRUE(log.contains("cannot delete malloc bdev 'N2'")) << log.text();
        poll_all();
        EXPECT_NE(spdk_bdev_get_by_name("N2"), nullptr);
    }
}

TEST_F(BdevTest, MallocWithoutANameGetsAGeneratedOne) {
    // As in SPDK: "Malloc<n>", counting the unnamed ones since the module started.
    EXPECT_EQ(load_config(bdev_config("bdev_malloc_delete", R"({"name": "Malloc0"})")), 0);
    poll_all();
    ASSERT_EQ(spdk_bdev_get_by_name("Malloc0"), nullptr);
    const std::string unnamed =
        bdev_config("bdev_malloc_create", R"({"num_blocks": 16, "block_size": 512})");
    EXPECT_EQ(load_config(unnamed), 0);
    EXPECT_EQ(load_config(unnamed), 0);
    ASSERT_NE(spdk_bdev_get_by_name("Malloc0"), nullptr);
    EXPECT_EQ(spdk_bdev_get_num_blocks(spdk_bdev_get_by_name("Malloc0")), 16U);
    EXPECT_NE(spdk_bdev_get_by_name("Malloc1"), nullptr);
}

int collect_json(void *ctx, const void *data, size_t size) {
    static_cast<std::string *>(ctx)->append(static_cast<const char *>(data), size);
    return 0;
}

TEST_F(BdevTest, SavedConfigRecreatesTheBdevs) {
    std::string text;
    spdk_json_write_ctx *w = spdk_json_write_begin(collect_json, &text, 0);
    ASSERT_NE(w, nullptr);
    spdk_bdev_subsystem_config_json(w);
    ASSERT_EQ(spdk_json_write_end(w), 0);
    const auto config = nlohmann::json::parse(text);
    ASSERT_TRUE(config.is_array());
    std::vector<std::string> created;
    for (const auto &entry : config) {
        if (entry["method"] == "bdev_malloc_create" || entry["method"] == "bdev_null_create") {
            created.push_back(entry["params"]["name"].get<std::string>());
        }
        if (entry.contains("params") && entry["params"].contains("name") &&
            entry["params"]["name"] == "Malloc4k") {
            EXPECT_EQ(entry["params"]["uuid"], "0a1b2c3d-4e5f-4a6b-8c7d-8e9f00112233");
            EXPECT_EQ(entry["params"]["block_size"], 4096);
            EXPECT_EQ(entry["params"]["num_blocks"], 64);
        }
    }
    EXPECT_EQ(created, (std::vector<std::string>{"Malloc0", "Malloc4k", "Null0"}));
    // As SPDK's: the options first (with the iobuf cache sizes), and last a wait for
    // the bdevs that examination creates, without params.
    ASSERT_GE(config.size(), 2U);
    EXPECT_EQ(config.front()["method"], "bdev_set_options");
    EXPECT_TRUE(config.front()["params"].contains("iobuf_small_cache_size"));
    EXPECT_TRUE(config.front()["params"].contains("iobuf_large_cache_size"));
    EXPECT_EQ(config.back(), nlohmann::json({{"method", "bdev_wait_for_examine"}}));

    // Deleting everything and applying the saved entries gives the same bdevs.
    for (const char *name : {"Malloc0", "Malloc4k", "Null0"}) {
        spdk_bdev_unregister(spdk_bdev_get_by_name(name), nullptr, nullptr);
    }
    poll_all();
    EXPECT_EQ(spdk_bdev_first(), nullptr);
    nlohmann::json doc = {{"subsystems", {{{"subsystem", "bdev"}, {"config", config}}}}};
    EXPECT_EQ(load_config(doc.dump()), 0);
    ASSERT_NE(spdk_bdev_get_by_name("Malloc4k"), nullptr);
    EXPECT_EQ(spdk_bdev_get_by_name("0a1b2c3d-4e5f-4a6b-8c7d-8e9f00112233"),
              spdk_bdev_get_by_name("Malloc4k"));
    EXPECT_NE(spdk_bdev_get_by_name("Null0"), nullptr);
}

TEST_F(BdevTest, DumpInfoJsonWritesTheModulesObject) {
    std::string text;
    spdk_json_write_ctx *w = spdk_json_write_begin(collect_json, &text, 0);
    spdk_json_write_object_begin(w);
    EXPECT_EQ(spdk_bdev_dump_info_json(spdk_bdev_get_by_name("Malloc0"), w), 0);
    spdk_json_write_object_end(w);
    ASSERT_EQ(spdk_json_write_end(w), 0);
    const auto info = nlohmann::json::parse(text);
    EXPECT_EQ(info["malloc"]["size_bytes"], 2048 * 512);
}

}  // namespace
