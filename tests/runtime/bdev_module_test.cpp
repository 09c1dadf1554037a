// The module side of the embedded bdev layer (spdk/bdev_module.h), through a test
// module defined here the way SPDK modules are: registered with
// SPDK_BDEV_MODULE_REGISTER, with a per-I/O context, its own channels, completions
// from a poller. It supports only read, write and reset, so the bdev layer must
// emulate write zeroes; it can answer NOMEM once, and destruct asynchronously.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bdev_test_util.hpp"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/init.h"
#include "spdk/thread.h"

namespace {

using spdk_test::BdevFixture;
using spdk_test::DmaBuffer;
using spdk_test::Events;
using spdk_test::io_done;
using spdk_test::IoResult;

// ---- the test module -----------------------------------------------------------------

struct TestIoCtx {
    uint64_t magic;
    TAILQ_ENTRY(TestIoCtx) link;
};

struct TestChannel {
    spdk_poller *poller;
    TAILQ_HEAD(, TestIoCtx) pending;
};

struct TestDev {
    spdk_bdev bdev{};
    std::vector<uint8_t> data;
    bool destruct_async = false;
};

struct TestModuleState {
    int inits = 0;
    int finis = 0;
    std::vector<std::string> examined;
    int submissions[SPDK_BDEV_NUM_IO_TYPES] = {};
    bool nomem_next = false;
    // The module keeps its I/O until the test completes them (complete_held).
    bool hold = false;
    // The module supports no write (and so, no write zeroes either).
    bool no_write = false;
    bool misaligned_ctx = false;
    // The module channel of the last thread that made one.
    struct TestChannel *channel = nullptr;
    TestDev *async_destructed = nullptr;
    char io_device;
};
TestModuleState g_state;

int testdev_init(void);
void testdev_fini(void);
int testdev_ctx_size(void) {
    return sizeof(TestIoCtx);
}
void testdev_examine(spdk_bdev *bdev);

spdk_bdev_module g_testdev_if = {
    .module_init = testdev_init,
    .init_complete = nullptr,
    .fini_start = nullptr,
    .module_fini = testdev_fini,
    .config_json = nullptr,
    .name = "testdev",
    .get_ctx_size = testdev_ctx_size,
    .examine_config = testdev_examine,
    .examine_disk = nullptr,
    .async_init = false,
    .async_fini = false,
    .async_fini_start = false,
    .internal = {},
};

void testdev_examine(spdk_bdev *bdev) {
    g_state.examined.emplace_back(spdk_bdev_get_name(bdev));
    spdk_bdev_module_examine_done(&g_testdev_if);
}

// An examine_disk that finishes when the test calls spdk_bdev_module_examine_done.
int g_disks_examining = 0;
void testdev_examine_disk_later(spdk_bdev * /*bdev*/) {
    ++g_disks_examining;
}

void testdev_do(spdk_bdev_io *io) {
    auto *dev = static_cast<TestDev *>(io->bdev->ctxt);
    const uint64_t offset = io->u.bdev.offset_blocks * io->bdev->blocklen;
    uint64_t len = io->u.bdev.num_blocks * io->bdev->blocklen;
    uint8_t *disk = dev->data.data() + offset;
    for (int i = 0; i < io->u.bdev.iovcnt && len > 0; ++i) {
        const size_t n = std::min<uint64_t>(io->u.bdev.iovs[i].iov_len, len);
        if (io->type == SPDK_BDEV_IO_TYPE_READ) {
            std::memcpy(io->u.bdev.iovs[i].iov_base, disk, n);
        } else {
            std::memcpy(disk, io->u.bdev.iovs[i].iov_base, n);
        }
        disk += n;
        len -= n;
    }
}

// Completes the queued I/O of a channel, outside of any submit call.
int testdev_poll(void *arg) {
    auto *ch = static_cast<TestChannel *>(arg);
    int n = 0;
    while (!g_state.hold && !TAILQ_EMPTY(&ch->pending)) {
        TestIoCtx *ctx = TAILQ_FIRST(&ch->pending);
        TAILQ_REMOVE(&ch->pending, ctx, link);
        spdk_bdev_io *io = spdk_bdev_io_from_ctx(ctx);
        EXPECT_EQ(ctx->magic, 0x5a5aU);
        if (io->type == SPDK_BDEV_IO_TYPE_READ || io->type == SPDK_BDEV_IO_TYPE_WRITE) {
            testdev_do(io);
        }
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
        ++n;
    }
    return n > 0 ? SPDK_POLLER_BUSY : SPDK_POLLER_IDLE;
}

void testdev_got_buf(spdk_io_channel *ch, spdk_bdev_io *io, bool success) {
    if (!success) {
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
        return;
    }
    auto *tch = static_cast<TestChannel *>(spdk_io_channel_get_ctx(ch));
    auto *ctx = reinterpret_cast<TestIoCtx *>(io->driver_ctx);
    TAILQ_INSERT_TAIL(&tch->pending, ctx, link);
}

void testdev_submit(spdk_io_channel *ch, spdk_bdev_io *io) {
    g_state.submissions[io->type]++;
    if (reinterpret_cast<uintptr_t>(io->driver_ctx) % SPDK_CACHE_LINE_SIZE != 0) {
        g_state.misaligned_ctx = true;
    }
    auto *ctx = reinterpret_cast<TestIoCtx *>(io->driver_ctx);
    ctx->magic = 0x5a5a;
    if (g_state.nomem_next) {
        g_state.nomem_next = false;
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_NOMEM);
        return;
    }
    switch (io->type) {
        case SPDK_BDEV_IO_TYPE_READ:
        case SPDK_BDEV_IO_TYPE_WRITE:
            // As SPDK modules do: buffers that suit the bdev's alignment.
            spdk_bdev_io_get_buf(io, testdev_got_buf, io->u.bdev.num_blocks * io->bdev->blocklen);
            return;
        case SPDK_BDEV_IO_TYPE_RESET: {
            auto *tch = static_cast<TestChannel *>(spdk_io_channel_get_ctx(ch));
            TAILQ_INSERT_TAIL(&tch->pending, ctx, link);
            return;
        }
        default:
            spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
            return;
    }
}

bool testdev_supported(void * /*ctx*/, spdk_bdev_io_type type) {
    return type == SPDK_BDEV_IO_TYPE_READ ||
           (type == SPDK_BDEV_IO_TYPE_WRITE && !g_state.no_write) ||
           type == SPDK_BDEV_IO_TYPE_RESET;
}

// Completes up to n of the I/O the module holds, oldest first, as the module's
// poller would; returns how many.
int complete_held(int n) {
    TestChannel *ch = g_state.channel;
    int done = 0;
    while (done < n && !TAILQ_EMPTY(&ch->pending)) {
        TestIoCtx *ctx = TAILQ_FIRST(&ch->pending);
        TAILQ_REMOVE(&ch->pending, ctx, link);
        spdk_bdev_io *io = spdk_bdev_io_from_ctx(ctx);
        if (io->type == SPDK_BDEV_IO_TYPE_READ || io->type == SPDK_BDEV_IO_TYPE_WRITE) {
            testdev_do(io);
        }
        spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
        ++done;
    }
    return done;
}

spdk_io_channel *testdev_get_channel(void * /*ctx*/) {
    return spdk_get_io_channel(&g_state.io_device);
}

int testdev_destruct(void *ctx) {
    auto *dev = static_cast<TestDev *>(ctx);
    if (dev->destruct_async) {
        g_state.async_destructed = dev;  // the test finishes it
        return 1;
    }
    delete dev;
    return 0;
}

const spdk_bdev_fn_table g_testdev_fn = {
    .destruct = testdev_destruct,
    .submit_request = testdev_submit,
    .io_type_supported = testdev_supported,
    .get_io_channel = testdev_get_channel,
    .dump_info_json = nullptr,
    .write_config_json = nullptr,
    .get_spin_time = nullptr,
    .get_module_ctx = nullptr,
    .get_memory_domains = nullptr,
    .get_memory_domain_types = nullptr,
    .reset_device_stat = nullptr,
    .dump_device_stat_json = nullptr,
    .accel_sequence_supported = nullptr,
};

int testdev_channel_create(void * /*device*/, void *ctx_buf) {
    auto *ch = static_cast<TestChannel *>(ctx_buf);
    TAILQ_INIT(&ch->pending);
    g_state.channel = ch;
    ch->poller = spdk_poller_register(testdev_poll, ch, 0);
    return ch->poller != nullptr ? 0 : -ENOMEM;
}

void testdev_channel_destroy(void * /*device*/, void *ctx_buf) {
    auto *ch = static_cast<TestChannel *>(ctx_buf);
    EXPECT_TRUE(TAILQ_EMPTY(&ch->pending));
    spdk_poller_unregister(&ch->poller);
}

int testdev_init(void) {
    g_state.inits++;
    spdk_io_device_register(&g_state.io_device, testdev_channel_create, testdev_channel_destroy,
                            sizeof(TestChannel), "testdev");
    return 0;
}

void testdev_fini(void) {
    g_state.finis++;
    spdk_io_device_unregister(&g_state.io_device, nullptr);
}

// Registers a test bdev; nullptr on failure.
TestDev *make_testdev(const char *name, uint64_t blocks, uint32_t blocklen, int *rc_out = nullptr) {
    auto *dev = new TestDev;
    dev->data.assign(blocks * blocklen, 0);
    dev->bdev.name = const_cast<char *>(name);
    dev->bdev.product_name = const_cast<char *>("Test disk");
    dev->bdev.blocklen = blocklen;
    dev->bdev.blockcnt = blocks;
    dev->bdev.ctxt = dev;
    dev->bdev.fn_table = &g_testdev_fn;
    dev->bdev.module = &g_testdev_if;
    const int rc = spdk_bdev_register(&dev->bdev);
    if (rc_out != nullptr) {
        *rc_out = rc;
    }
    if (rc != 0) {
        delete dev;
        return nullptr;
    }
    return dev;
}

}  // namespace

SPDK_BDEV_MODULE_REGISTER(testdev, &g_testdev_if)

namespace {

class BdevModuleTest : public BdevFixture {
  protected:
    void SetUp() override {
        const int inits = g_state.inits;
        g_state.examined.clear();
        std::memset(g_state.submissions, 0, sizeof(g_state.submissions));
        g_state.nomem_next = false;
        g_state.hold = false;
        g_state.no_write = false;
        g_state.misaligned_ctx = false;
        BdevFixture::SetUp();
        EXPECT_EQ(g_state.inits, inits + 1) << "module_init runs when the bdev layer starts";
        dev_ = make_testdev("Test0", 2048, 4096);  // 8 MiB
        ASSERT_NE(dev_, nullptr);
    }

    void TearDown() override {
        const int finis = g_state.finis;
        BdevFixture::TearDown();
        EXPECT_EQ(g_state.finis, finis + 1) << "module_fini runs when the bdev layer stops";
        EXPECT_FALSE(g_state.misaligned_ctx) << "driver_ctx must be cache-line aligned";
    }

    struct Open {
        spdk_bdev_desc *desc;
        spdk_io_channel *ch;
    };
    Open open_rw(const char *name = "Test0") {
        spdk_bdev_desc *desc = open(name, true);
        EXPECT_NE(desc, nullptr);
        return {desc, desc != nullptr ? spdk_bdev_get_io_channel(desc) : nullptr};
    }
    void close(Open o) {
        spdk_put_io_channel(o.ch);
        spdk_bdev_close(o.desc);
        poll_all();
    }

    TestDev *dev_ = nullptr;
};

TEST_F(BdevModuleTest, ModulesExamineEveryNewBdev) {
    EXPECT_EQ(g_state.examined,
              (std::vector<std::string>{"Malloc0", "Malloc4k", "Null0", "Test0"}));
    EXPECT_EQ(spdk_bdev_get_by_name("Test0"), &dev_->bdev);
    EXPECT_EQ(spdk_bdev_get_write_unit_size(&dev_->bdev), 1U) << "filled in by register";
    EXPECT_EQ(spdk_bdev_get_physical_block_size(&dev_->bdev), 4096U);
}

TEST_F(BdevModuleTest, RegisterChecksTheBdev) {
    int rc = 0;
    EXPECT_EQ(make_testdev("Test0", 8, 512, &rc), nullptr);
    EXPECT_EQ(rc, -EEXIST);
    EXPECT_EQ(make_testdev("Malloc0", 8, 512, &rc), nullptr);
    EXPECT_EQ(rc, -EEXIST);
    EXPECT_EQ(make_testdev("TestX", 0, 512, &rc), nullptr);
    EXPECT_EQ(rc, -EINVAL);
    EXPECT_EQ(make_testdev("TestX", 8, 100, &rc), nullptr);
    EXPECT_EQ(rc, -EINVAL);
    spdk_bdev incomplete{};
    incomplete.name = const_cast<char *>("TestY");
    incomplete.blocklen = 512;
    incomplete.blockcnt = 8;
    EXPECT_EQ(spdk_bdev_register(&incomplete), -EINVAL) << "no fn_table, no module";
}

TEST_F(BdevModuleTest, CompletionsFromTheModulesPollerReachTheCaller) {
    Open o = open_rw();
    DmaBuffer out(8192);
    out.fill(21);
    IoResult w;
    ASSERT_EQ(spdk_bdev_write_blocks(o.desc, o.ch, out.data(), 3, 2, io_done, &w), 0);
    EXPECT_EQ(w.completions, 0);
    poll_all();
    EXPECT_EQ(w.completions, 1);
    EXPECT_TRUE(w.success);
    EXPECT_EQ(std::memcmp(dev_->data.data() + 3 * 4096, out.data(), 8192), 0);

    DmaBuffer in(8192);
    IoResult r;
    ASSERT_EQ(spdk_bdev_read_blocks(o.desc, o.ch, in.data(), 3, 2, io_done, &r), 0);
    poll_all();
    EXPECT_TRUE(r.success);
    EXPECT_EQ(std::memcmp(in.data(), out.data(), 8192), 0);
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_READ], 1);
    close(o);
}

TEST_F(BdevModuleTest, WriteZeroesIsEmulatedWithWritesOfZeroes) {
    std::memset(dev_->data.data(), 0xee, dev_->data.size());
    Open o = open_rw();
    // 3 MiB: more than one write of the zero buffer.
    IoResult r;
    ASSERT_EQ(spdk_bdev_write_zeroes_blocks(o.desc, o.ch, 16, 768, io_done, &r), 0);
    poll_all();
    ASSERT_EQ(r.completions, 1);
    EXPECT_TRUE(r.success);
    EXPECT_GE(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE], 2);
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE_ZEROES], 0);
    const size_t begin = 16 * 4096;
    const size_t end = begin + 768 * 4096;
    for (size_t i = 0; i < dev_->data.size(); i += 512) {
        const uint8_t want = (i >= begin && i < end) ? 0 : 0xee;
        ASSERT_EQ(dev_->data[i], want) << "byte " << i;
    }
    EXPECT_EQ(dev_->data[end - 1], 0);
    EXPECT_EQ(dev_->data[end], 0xee);
    close(o);
}

// As SPDK: a NOMEM I/O with nothing else in the module is retried by a 10 ms poller,
// not at once.
TEST_F(BdevModuleTest, NomemWithNothingElseInFlightIsRetriedAfterTenMilliseconds) {
    Open o = open_rw();
    ASSERT_EQ(spdk_get_thread(), app_);
    DmaBuffer out(4096);
    out.fill(22);
    // The app thread's clock is driven by hand from here on.
    const uint64_t t0 = spdk_get_ticks();
    const uint64_t ms = spdk_get_ticks_hz() / 1000;
    spdk_thread_poll(app_, 0, t0);
    g_state.nomem_next = true;
    IoResult r;
    ASSERT_EQ(spdk_bdev_write_blocks(o.desc, o.ch, out.data(), 0, 1, io_done, &r), 0);
    for (int i = 0; i < 10; ++i) {
        spdk_thread_poll(app_, 0, t0 + 9 * ms);
    }
    EXPECT_EQ(r.completions, 0);
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE], 1)
        << "not submitted again before 10 ms";
    for (int i = 0; i < 10; ++i) {
        spdk_thread_poll(app_, 0, t0 + 11 * ms);
    }
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE], 2);
    ASSERT_EQ(r.completions, 1);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(std::memcmp(dev_->data.data(), out.data(), 4096), 0);
    close(o);
}

// Completion callback that notes how many writes the module had seen by then.
struct WriteSeen {
    std::vector<int> *seen;
    int completions = 0;
    bool success = true;
};

void note_writes_seen(spdk_bdev_io *io, bool success, void *cb_arg) {
    auto *w = static_cast<WriteSeen *>(cb_arg);
    w->seen->push_back(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE]);
    w->completions++;
    w->success = w->success && success;
    spdk_bdev_free_io(io);
}

class BdevModuleNomemTest : public BdevModuleTest {
  public:
    using BdevModuleTest::poll_all;
};

// With in_flight writes held by the module, the next write gets NOMEM and one more
// is queued behind it; returns after how many completions both reached the module
// again, and checks they did so before the callback of the I/O whose completion let
// them go.
int completions_until_nomem_retry(BdevModuleNomemTest &t, spdk_bdev_desc *desc, spdk_io_channel *ch,
                                  int in_flight) {
    g_state.hold = true;
    DmaBuffer buf(4096);
    buf.fill(7);
    std::vector<int> seen;
    std::vector<WriteSeen> results(static_cast<size_t>(in_flight) + 2, WriteSeen{&seen});
    for (int i = 0; i < in_flight; ++i) {
        EXPECT_EQ(spdk_bdev_write_blocks(desc, ch, buf.data(), static_cast<uint64_t>(i), 1,
                                         note_writes_seen, &results[static_cast<size_t>(i)]),
                  0);
    }
    t.poll_all();
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE], in_flight);
    g_state.nomem_next = true;
    EXPECT_EQ(spdk_bdev_write_blocks(desc, ch, buf.data(), 100, 1, note_writes_seen,
                                     &results[static_cast<size_t>(in_flight)]),
              0);
    EXPECT_EQ(spdk_bdev_write_blocks(desc, ch, buf.data(), 101, 1, note_writes_seen,
                                     &results[static_cast<size_t>(in_flight) + 1]),
              0);
    t.poll_all();
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE], in_flight + 1)
        << "the write behind the NOMEM one waits in the queue";
    int completed = 0;
    while (g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE] == in_flight + 1 && completed < in_flight) {
        completed += complete_held(1);
        t.poll_all();
    }
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE], in_flight + 3);
    if (!seen.empty()) {
        EXPECT_EQ(seen.back(), in_flight + 3)
            << "the queue went on before the callback of the completion that let it";
    }
    g_state.hold = false;
    t.poll_all();
    for (const WriteSeen &r : results) {
        EXPECT_EQ(r.completions, 1);
        EXPECT_TRUE(r.success);
    }
    return completed;
}

TEST_F(BdevModuleNomemTest, NomemWaitsForHalfOfAShortQueueToComplete) {
    Open o = open_rw();
    // 10 in the module: threshold max(10 / 2, 10 - 8) = 5.
    EXPECT_EQ(completions_until_nomem_retry(*this, o.desc, o.ch, 10), 5);
    close(o);
}

TEST_F(BdevModuleNomemTest, NomemWaitsForEightCompletionsOfALongQueue) {
    Open o = open_rw();
    // 20 in the module: threshold max(20 / 2, 20 - 8) = 12.
    EXPECT_EQ(completions_until_nomem_retry(*this, o.desc, o.ch, 20), 8);
    close(o);
}

TEST_F(BdevModuleTest, AReadWithoutABufferGetsOneFromTheBdevLayer) {
    for (size_t i = 0; i < 8192; ++i) {
        dev_->data[4096 + i] = DmaBuffer::pattern(23, i);
    }
    Open o = open_rw();
    IoResult r;
    iovec *iov = nullptr;
    ASSERT_NO_FATAL_FAILURE(read_without_buffer(o.desc, o.ch, 1, 2, r, &iov));
    ASSERT_EQ(iov[0].iov_len, 8192U);
    EXPECT_EQ(std::memcmp(iov[0].iov_base, dev_->data.data() + 4096, 8192), 0);
    spdk_bdev_free_io(r.io);

    // A read larger than the largest buffer fails instead.
    IoResult big;
    ASSERT_EQ(spdk_bdev_read_blocks(o.desc, o.ch, nullptr, 0, 32, io_done, &big), 0);
    poll_all();
    EXPECT_EQ(big.completions, 1);
    EXPECT_FALSE(big.success);
    close(o);
}

TEST_F(BdevModuleTest, MisalignedBuffersAreBouncedAndKeepTheirData) {
    dev_->bdev.required_alignment = 12;  // the module wants 4 KiB-aligned buffers
    Open o = open_rw();
    DmaBuffer out(8192 + 512);
    DmaBuffer in(8192 + 512);
    out.fill(41);
    uint8_t *misaligned_out = out.data() + 512;  // 512-aligned, not 4 KiB-aligned
    uint8_t *misaligned_in = in.data() + 512;
    IoResult w;
    ASSERT_EQ(spdk_bdev_write_blocks(o.desc, o.ch, misaligned_out, 1, 2, io_done, &w), 0);
    poll_all();
    ASSERT_EQ(w.completions, 1);
    ASSERT_TRUE(w.success);
    EXPECT_EQ(std::memcmp(dev_->data.data() + 4096, misaligned_out, 8192), 0)
        << "the written data reached the disk";
    IoResult r;
    ASSERT_EQ(spdk_bdev_read_blocks(o.desc, o.ch, misaligned_in, 1, 2, io_done, &r), 0);
    poll_all();
    ASSERT_EQ(r.completions, 1);
    ASSERT_TRUE(r.success);
    EXPECT_EQ(std::memcmp(misaligned_in, misaligned_out, 8192), 0)
        << "the read data reached the caller's buffer";
    EXPECT_TRUE(in.all(0, 0, 512)) << "nothing written before the caller's buffer";
    close(o);
}

// As SPDK: write zeroes is supported wherever write is (the bdev layer emulates it),
// in pieces of the 1 MiB zero buffer.
TEST_F(BdevModuleTest, WriteZeroesIsSupportedWhereWriteIs) {
    spdk_bdev *bdev = &dev_->bdev;
    EXPECT_TRUE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_WRITE_ZEROES));
    EXPECT_EQ(bdev->max_write_zeroes, 256U) << "1 MiB of 4 KiB blocks";
    g_state.no_write = true;
    EXPECT_FALSE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_WRITE_ZEROES));
    EXPECT_FALSE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_UNMAP));
    Open o = open_rw();
    IoResult r;
    EXPECT_EQ(spdk_bdev_write_zeroes_blocks(o.desc, o.ch, 0, 1, io_done, &r), -ENOTSUP);
    close(o);
}

// As SPDK: the writes that carry out an emulated write zeroes are counted as writes.
TEST_F(BdevModuleTest, TheWritesOfAnEmulatedWriteZeroesAreCounted) {
    Open o = open_rw();
    IoResult r;
    // 600 blocks: writes of 256, 256 and 88 blocks.
    ASSERT_EQ(spdk_bdev_write_zeroes_blocks(o.desc, o.ch, 10, 600, io_done, &r), 0);
    poll_all();
    ASSERT_EQ(r.completions, 1);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(g_state.submissions[SPDK_BDEV_IO_TYPE_WRITE], 3);
    spdk_bdev_io_stat stat{};
    spdk_bdev_get_io_stat(&dev_->bdev, o.ch, &stat, SPDK_BDEV_RESET_STAT_NONE);
    EXPECT_EQ(stat.num_write_ops, 3U);
    EXPECT_EQ(stat.bytes_written, 600U * 4096);
    EXPECT_EQ(stat.num_unmap_ops, 0U);
    close(o);
}

// The bdev_wait_for_examine method (the last entry of a saved bdev config) answers
// once no module examines a bdev any more.
TEST_F(BdevModuleTest, WaitForExamineAnswersWhenExaminationIsDone) {
    g_testdev_if.examine_disk = testdev_examine_disk_later;
    g_disks_examining = 0;
    TestDev *late = make_testdev("TestLate", 16, 512);
    ASSERT_NE(late, nullptr);
    poll_all();
    EXPECT_EQ(g_disks_examining, 1);
    std::string config =
        R"({"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_wait_for_examine"}]}]})";
    std::pair<int, bool> result{1, false};
    spdk_subsystem_load_config(
        config.data(), static_cast<ssize_t>(config.size()),
        [](int rc, void *arg) {
            auto *r = static_cast<std::pair<int, bool> *>(arg);
            r->first = rc;
            r->second = true;
        },
        &result, true);
    poll_all();
    EXPECT_FALSE(result.second) << "answered while a module still examines";
    spdk_bdev_module_examine_done(&g_testdev_if);
    poll_until([&] { return result.second; });
    EXPECT_TRUE(result.second);
    EXPECT_EQ(result.first, 0);
    g_testdev_if.examine_disk = nullptr;

    // As SPDK's, it takes no params, not even an empty object.
    EXPECT_NE(load_config(R"({"subsystems":[{"subsystem":"bdev","config":[)"
                          R"({"method":"bdev_wait_for_examine","params":{}}]}]})"),
              0);
    spdk_bdev_unregister(&late->bdev, nullptr, nullptr);
    poll_all();
}

TEST_F(BdevModuleTest, RequestsTheModuleLacksFail) {
    Open o = open_rw();
    IoResult unmap;
    ASSERT_EQ(spdk_bdev_unmap_blocks(o.desc, o.ch, 0, 1, io_done, &unmap), 0);
    poll_all();
    EXPECT_EQ(unmap.completions, 1);
    EXPECT_FALSE(unmap.success);
    IoResult r;
    EXPECT_EQ(spdk_bdev_flush_blocks(o.desc, o.ch, 0, 1, io_done, &r), -ENOTSUP);
    EXPECT_EQ(spdk_bdev_compare_blocks(o.desc, o.ch, nullptr, 0, 1, io_done, &r), -ENOTSUP);
    EXPECT_EQ(spdk_bdev_copy_blocks(o.desc, o.ch, 1, 0, 1, io_done, &r), -ENOTSUP);
    IoResult reset;
    ASSERT_EQ(spdk_bdev_reset(o.desc, o.ch, io_done, &reset), 0);
    poll_all();
    EXPECT_TRUE(reset.success);
    close(o);
}

TEST_F(BdevModuleTest, AClaimedBdevCannotBeOpenedForWriting) {
    spdk_bdev *bdev = &dev_->bdev;
    ASSERT_EQ(spdk_bdev_module_claim_bdev(bdev, nullptr, &g_testdev_if), 0);
    EXPECT_EQ(spdk_bdev_module_claim_bdev(bdev, nullptr, &g_testdev_if), -EPERM);
    spdk_bdev_desc *desc = nullptr;
    EXPECT_EQ(spdk_bdev_open_ext("Test0", true, spdk_test::record_event, &events_, &desc), -EPERM);
    ASSERT_EQ(spdk_bdev_open_ext("Test0", false, spdk_test::record_event, &events_, &desc), 0);
    spdk_bdev_close(desc);
    for (spdk_bdev *b = spdk_bdev_first_leaf(); b != nullptr; b = spdk_bdev_next_leaf(b)) {
        EXPECT_NE(b, bdev) << "a claimed bdev is not a leaf";
    }
    spdk_bdev_module_release_bdev(bdev);
    ASSERT_EQ(spdk_bdev_open_ext("Test0", true, spdk_test::record_event, &events_, &desc), 0);
    spdk_bdev_close(desc);

    // A read-only descriptor given to the claim becomes writable.
    ASSERT_EQ(spdk_bdev_open_ext("Test0", false, spdk_test::record_event, &events_, &desc), 0);
    ASSERT_EQ(spdk_bdev_module_claim_bdev(bdev, desc, &g_testdev_if), 0);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    DmaBuffer buf(4096);
    IoResult r;
    EXPECT_EQ(spdk_bdev_write_blocks(desc, ch, buf.data(), 0, 1, io_done, &r), 0);
    poll_all();
    EXPECT_TRUE(r.success);
    spdk_put_io_channel(ch);
    spdk_bdev_close(desc);
    spdk_bdev_module_release_bdev(bdev);
    poll_all();
}

TEST_F(BdevModuleTest, AliasesOpenTheBdev) {
    spdk_bdev *bdev = &dev_->bdev;
    ASSERT_EQ(spdk_bdev_alias_add(bdev, "TheTestDisk"), 0);
    EXPECT_EQ(spdk_bdev_alias_add(bdev, "TheTestDisk"), -EEXIST);
    EXPECT_EQ(spdk_bdev_alias_add(bdev, "Malloc0"), -EEXIST);
    EXPECT_EQ(spdk_bdev_get_by_name("TheTestDisk"), bdev);
    const spdk_bdev_aliases_list *aliases = spdk_bdev_get_aliases(bdev);
    ASSERT_FALSE(TAILQ_EMPTY(aliases));
    EXPECT_STREQ(TAILQ_FIRST(aliases)->alias.name, "TheTestDisk");
    spdk_bdev_desc *desc = open("TheTestDisk", false);
    ASSERT_NE(desc, nullptr);
    EXPECT_EQ(spdk_bdev_desc_get_bdev(desc), bdev);
    spdk_bdev_close(desc);
    EXPECT_EQ(spdk_bdev_alias_del(bdev, "TheTestDisk"), 0);
    EXPECT_EQ(spdk_bdev_alias_del(bdev, "TheTestDisk"), -ENOENT);
    EXPECT_EQ(spdk_bdev_get_by_name("TheTestDisk"), nullptr);
}

TEST_F(BdevModuleTest, ResizeIsAnnouncedToOpenDescriptorsOnTheirThread) {
    spdk_thread *t1 = make_thread("t1");
    spdk_set_thread(t1);
    Events events;
    spdk_bdev_desc *desc = open("Test0", false, &events);
    ASSERT_NE(desc, nullptr);
    spdk_set_thread(app_);
    dev_->data.resize(4096 * 4096);
    EXPECT_EQ(spdk_bdev_notify_blockcnt_change(&dev_->bdev, 4096), 0);
    EXPECT_EQ(spdk_bdev_notify_blockcnt_change(&dev_->bdev, 1024), -EBUSY)
        << "no shrinking under an open descriptor";
    poll_all();
    ASSERT_EQ(events.types.size(), 1U);
    EXPECT_EQ(events.types[0], SPDK_BDEV_EVENT_RESIZE);
    EXPECT_EQ(events.threads[0], t1);
    EXPECT_EQ(spdk_bdev_get_num_blocks(&dev_->bdev), 4096U);
    spdk_set_thread(t1);
    spdk_bdev_close(desc);
    spdk_set_thread(app_);
}

void unregister_done(void *arg, int rc) {
    *static_cast<int *>(arg) = rc;
}

TEST_F(BdevModuleTest, AnAsynchronousDestructEndsWithDestructDone) {
    dev_->destruct_async = true;
    int rc = 1;
    spdk_bdev_unregister(&dev_->bdev, unregister_done, &rc);
    poll_all();
    ASSERT_EQ(g_state.async_destructed, dev_);
    EXPECT_EQ(rc, 1) << "waits for spdk_bdev_destruct_done";
    spdk_bdev_destruct_done(&dev_->bdev, 0);
    EXPECT_EQ(rc, 0);
    delete dev_;
    dev_ = nullptr;
    g_state.async_destructed = nullptr;
}

struct ChannelVisit {
    std::vector<spdk_thread *> threads;
    int done = 0;
    int status = 1;
};

TEST_F(BdevModuleTest, ForEachChannelVisitsEveryThreadsChannel) {
    spdk_thread *t1 = make_thread("t1");
    Open o = open_rw();
    spdk_set_thread(t1);
    spdk_io_channel *ch1 = spdk_bdev_get_io_channel(o.desc);
    spdk_set_thread(app_);
    ChannelVisit visit;
    spdk_bdev_for_each_channel(
        &dev_->bdev,
        [](spdk_bdev_channel_iter *i, spdk_bdev *, spdk_io_channel *ch, void *ctx) {
            auto *v = static_cast<ChannelVisit *>(ctx);
            EXPECT_EQ(spdk_io_channel_get_thread(ch), spdk_get_thread());
            v->threads.push_back(spdk_get_thread());
            spdk_bdev_for_each_channel_continue(i, 0);
        },
        &visit,
        [](spdk_bdev *, void *ctx, int status) {
            auto *v = static_cast<ChannelVisit *>(ctx);
            v->done++;
            v->status = status;
        });
    poll_all();
    EXPECT_EQ(visit.done, 1);
    EXPECT_EQ(visit.status, 0);
    EXPECT_EQ(visit.threads.size(), 2U);
    spdk_set_thread(t1);
    spdk_put_io_channel(ch1);
    spdk_set_thread(app_);
    close(o);
}

}  // namespace
