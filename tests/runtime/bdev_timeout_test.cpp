// spdk_bdev_set_timeout: I/O outstanding too long is reported once a second, on its
// channel's thread, to the descriptor it was submitted through.
//
// A module here holds every I/O until the test releases it, and the test drives the
// threads' clock by hand (spdk_thread_poll with an explicit `now`), so that seconds
// pass without sleeping. The clock starts half a second ahead of the real one: the
// I/O submitted at its start are then half a second old at its start (submission is
// stamped with the real clock), and a look k seconds later sees them k.5 s old, far
// from any timeout boundary.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "bdev_test_util.hpp"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/thread.h"

namespace {

using spdk_test::BdevFixture;
using spdk_test::DmaBuffer;
using spdk_test::io_done;
using spdk_test::IoResult;

// ---- a module that holds its I/O ----------------------------------------------------

struct HeldIo {
    TAILQ_ENTRY(HeldIo) link;
};

struct HoldChannel {
    spdk_thread *thread;
    TAILQ_HEAD(, HeldIo) held;
};

struct HoldState {
    std::vector<HoldChannel *> channels;
    spdk_bdev_io *last_submitted = nullptr;
    char io_device;
};
HoldState g_hold;

int hold_init(void) {
    spdk_io_device_register(
        &g_hold.io_device,
        [](void *, void *buf) {
            auto *ch = static_cast<HoldChannel *>(buf);
            ch->thread = spdk_get_thread();
            TAILQ_INIT(&ch->held);
            g_hold.channels.push_back(ch);
            return 0;
        },
        [](void *, void *buf) {
            auto *ch = static_cast<HoldChannel *>(buf);
            EXPECT_TRUE(TAILQ_EMPTY(&ch->held)) << "a channel went with I/O held";
            std::erase(g_hold.channels, ch);
        },
        sizeof(HoldChannel), "timeout_hold");
    return 0;
}

void hold_fini(void) {
    spdk_io_device_unregister(&g_hold.io_device, nullptr);
}

int hold_ctx_size(void) {
    return sizeof(HeldIo);
}

spdk_bdev_module g_hold_if = {
    .module_init = hold_init,
    .init_complete = nullptr,
    .fini_start = nullptr,
    .module_fini = hold_fini,
    .config_json = nullptr,
    .name = "timeout_hold",
    .get_ctx_size = hold_ctx_size,
    .examine_config = nullptr,
    .examine_disk = nullptr,
    .async_init = false,
    .async_fini = false,
    .async_fini_start = false,
    .internal = {},
};

void hold_submit(spdk_io_channel *ch, spdk_bdev_io *io) {
    auto *hch = static_cast<HoldChannel *>(spdk_io_channel_get_ctx(ch));
    TAILQ_INSERT_TAIL(&hch->held, reinterpret_cast<HeldIo *>(io->driver_ctx), link);
    g_hold.last_submitted = io;
}

bool hold_supported(void *, spdk_bdev_io_type type) {
    return type == SPDK_BDEV_IO_TYPE_READ || type == SPDK_BDEV_IO_TYPE_WRITE ||
           type == SPDK_BDEV_IO_TYPE_WRITE_ZEROES;
}

const spdk_bdev_fn_table g_hold_fn = {
    .destruct =
        [](void *ctx) {
            delete static_cast<spdk_bdev *>(ctx);
            return 0;
        },
    .submit_request = hold_submit,
    .io_type_supported = hold_supported,
    .get_io_channel = [](void *) { return spdk_get_io_channel(&g_hold.io_device); },
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

// Completes every I/O held on `thread` (the current thread), oldest first.
void release_held(spdk_thread *thread) {
    for (HoldChannel *ch : g_hold.channels) {
        if (ch->thread != thread) {
            continue;
        }
        while (!TAILQ_EMPTY(&ch->held)) {
            HeldIo *h = TAILQ_FIRST(&ch->held);
            TAILQ_REMOVE(&ch->held, h, link);
            spdk_bdev_io_complete(spdk_bdev_io_from_ctx(h), SPDK_BDEV_IO_STATUS_SUCCESS);
        }
    }
}

// Completes one held I/O (on its thread, the current one).
void release_io(spdk_bdev_io *io) {
    for (HoldChannel *ch : g_hold.channels) {
        if (ch->thread == spdk_bdev_io_get_thread(io)) {
            TAILQ_REMOVE(&ch->held, reinterpret_cast<HeldIo *>(io->driver_ctx), link);
        }
    }
    spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
}

}  // namespace

SPDK_BDEV_MODULE_REGISTER(timeout_hold, &g_hold_if)

namespace {

// What a timeout callback saw.
struct Reports {
    std::vector<spdk_bdev_io *> ios;
    std::vector<spdk_thread *> threads;
    // Completes every I/O held on its thread from inside the callback when set.
    bool release_in_callback = false;
};

void record_timeout(void *cb_arg, spdk_bdev_io *io) {
    auto *r = static_cast<Reports *>(cb_arg);
    r->ios.push_back(io);
    r->threads.push_back(spdk_get_thread());
    if (r->release_in_callback) {
        release_held(spdk_get_thread());
    }
}

class BdevIoTimeoutTest : public BdevFixture {
  protected:
    void SetUp() override {
        BdevFixture::SetUp();
        worker_ = make_thread("worker");
        auto *bdev = new spdk_bdev{};
        bdev->name = const_cast<char *>("Hold0");
        bdev->product_name = const_cast<char *>("holding disk");
        bdev->blocklen = 512;
        bdev->blockcnt = 64;
        bdev->max_write_zeroes = 2;
        bdev->ctxt = bdev;
        bdev->fn_table = &g_hold_fn;
        bdev->module = &g_hold_if;
        ASSERT_EQ(spdk_bdev_register(bdev), 0);
        hz_ = spdk_get_ticks_hz();
        now_ = spdk_get_ticks() + hz_ / 2;
        run();
    }

    // Polls every thread at the test's clock until a whole round does no work.
    void run() {
        for (int round = 0; round < 100000; ++round) {
            int work = spdk_thread_poll(app_, 0, now_);
            for (spdk_thread *t : threads_) {
                work += spdk_thread_poll(t, 0, now_);
            }
            if (work == 0) {
                return;
            }
        }
        ADD_FAILURE() << "threads did not become idle";
    }

    // Moves the clock on by whole seconds, one look of the timeout poller each.
    void advance_seconds(int seconds) {
        for (int i = 0; i < seconds; ++i) {
            now_ += hz_;
            run();
        }
    }

    spdk_io_channel *channel_on(spdk_thread *thread, spdk_bdev_desc *desc) {
        spdk_set_thread(thread);
        spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
        spdk_set_thread(app_);
        return ch;
    }

    // Reads one block through desc on ch, on thread; the module holds it.
    spdk_bdev_io *held_read(spdk_thread *thread, spdk_bdev_desc *desc, spdk_io_channel *ch,
                            DmaBuffer &buf, IoResult &r) {
        spdk_set_thread(thread);
        g_hold.last_submitted = nullptr;
        EXPECT_EQ(spdk_bdev_read_blocks(desc, ch, buf.data(), 0, 1, io_done, &r), 0);
        spdk_set_thread(app_);
        run();
        return g_hold.last_submitted;
    }

    void release_on(spdk_thread *thread) {
        spdk_set_thread(thread);
        release_held(thread);
        spdk_set_thread(app_);
        run();
    }

    void put_on(spdk_thread *thread, spdk_io_channel *ch) {
        spdk_set_thread(thread);
        spdk_put_io_channel(ch);
        spdk_set_thread(app_);
        run();
    }

    void close_desc(spdk_bdev_desc *desc) {
        spdk_set_thread(app_);
        spdk_bdev_close(desc);
        run();
    }

    spdk_thread *worker_ = nullptr;
    uint64_t hz_ = 0;
    uint64_t now_ = 0;
};

TEST_F(BdevIoTimeoutTest, AHeldIoIsReportedAtEachLookOnItsChannelsThread) {
    spdk_bdev_desc *desc = open("Hold0", false);
    spdk_io_channel *ch = channel_on(worker_, desc);
    DmaBuffer buf(512);
    IoResult r;
    spdk_bdev_io *io = held_read(worker_, desc, ch, buf, r);
    ASSERT_NE(io, nullptr);
    Reports reports;
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 2, record_timeout, &reports), 0);

    advance_seconds(1);  // 1.5 s old
    EXPECT_TRUE(reports.ios.empty()) << "reported before its timeout";
    advance_seconds(1);  // 2.5 s
    ASSERT_EQ(reports.ios.size(), 1U);
    EXPECT_EQ(reports.ios[0], io);
    EXPECT_EQ(reports.threads[0], worker_) << "reported on the channel's thread";
    EXPECT_EQ(spdk_bdev_io_get_thread(io), worker_);
    advance_seconds(2);
    EXPECT_EQ(reports.ios.size(), 3U) << "once per look while it stays outstanding";
    EXPECT_TRUE(std::all_of(reports.ios.begin(), reports.ios.end(),
                            [&](spdk_bdev_io *x) { return x == io; }));

    release_on(worker_);
    EXPECT_EQ(r.completions, 1);
    advance_seconds(2);
    EXPECT_EQ(reports.ios.size(), 3U) << "a completed I/O is no longer reported";
    put_on(worker_, ch);
    close_desc(desc);
}

TEST_F(BdevIoTimeoutTest, OnlyTheDescriptorsOwnIoIsReported) {
    spdk_bdev_desc *watched = open("Hold0", false);
    spdk_bdev_desc *other = open("Hold0", false);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(other);
    DmaBuffer buf(512);
    IoResult r_other;
    IoResult r_watched;
    // The other descriptor's I/O is older: the walk must pass over it.
    spdk_bdev_io *io_other = held_read(app_, other, ch, buf, r_other);
    spdk_bdev_io *io_watched = held_read(app_, watched, ch, buf, r_watched);
    ASSERT_NE(io_other, nullptr);
    ASSERT_NE(io_watched, nullptr);
    Reports reports;
    ASSERT_EQ(spdk_bdev_set_timeout(watched, 1, record_timeout, &reports), 0);
    advance_seconds(3);
    EXPECT_EQ(reports.ios, (std::vector<spdk_bdev_io *>{io_watched, io_watched, io_watched}));

    release_on(app_);
    EXPECT_EQ(r_other.completions + r_watched.completions, 2);
    spdk_put_io_channel(ch);
    close_desc(other);
    close_desc(watched);
}

TEST_F(BdevIoTimeoutTest, AnIoCompletedBeforeItsTimeoutIsNeverReported) {
    spdk_bdev_desc *desc = open("Hold0", false);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    DmaBuffer buf(512);
    Reports reports;
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 3, record_timeout, &reports), 0);
    IoResult early;
    IoResult late;
    spdk_bdev_io *io_early = held_read(app_, desc, ch, buf, early);
    spdk_bdev_io *io_late = held_read(app_, desc, ch, buf, late);
    ASSERT_NE(io_early, nullptr);
    advance_seconds(1);
    // Done at 1.5 s, the late one still held.
    release_io(io_early);
    ASSERT_EQ(early.completions, 1);
    advance_seconds(4);
    // The late read from the third look on (3.5 s old).
    EXPECT_EQ(reports.ios, (std::vector<spdk_bdev_io *>{io_late, io_late, io_late}));
    release_on(app_);
    EXPECT_EQ(late.completions, 1);
    spdk_put_io_channel(ch);
    close_desc(desc);
}

TEST_F(BdevIoTimeoutTest, AZeroTimeoutEndsTheWatchAndALaterSettingReplacesIt) {
    spdk_bdev_desc *desc = open("Hold0", false);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    DmaBuffer buf(512);
    IoResult r;
    held_read(app_, desc, ch, buf, r);
    Reports first;
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 1, record_timeout, &first), 0);
    advance_seconds(1);
    ASSERT_EQ(first.ios.size(), 1U);

    ASSERT_EQ(spdk_bdev_set_timeout(desc, 0, nullptr, nullptr), 0);
    advance_seconds(3);
    EXPECT_EQ(first.ios.size(), 1U) << "reported after the timeout was turned off";

    Reports second;
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 10, record_timeout, &second), 0);
    advance_seconds(3);
    EXPECT_TRUE(second.ios.empty()) << "7.5 s old at most, below the new timeout";
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 5, record_timeout, &second), 0);
    advance_seconds(1);
    EXPECT_EQ(second.ios.size(), 1U);
    EXPECT_EQ(first.ios.size(), 1U) << "the first setting was replaced";

    release_on(app_);
    spdk_put_io_channel(ch);
    close_desc(desc);
}

// A look runs from the descriptor's thread to each channel's thread in turn; closing
// the descriptor in between stops it there, and the descriptor is freed only once
// the look has ended (ASan checks both).
TEST_F(BdevIoTimeoutTest, ClosingTheDescriptorDuringALookStopsIt) {
    spdk_bdev_desc *desc = open("Hold0", false);
    spdk_io_channel *ch = channel_on(worker_, desc);
    DmaBuffer buf(512);
    IoResult r;
    ASSERT_NE(held_read(worker_, desc, ch, buf, r), nullptr);
    Reports reports;
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 1, record_timeout, &reports), 0);

    now_ += hz_;
    ASSERT_GT(spdk_thread_poll(app_, 0, now_), 0);  // the look starts
    spdk_bdev_close(desc);                          // before it reached the worker
    run();
    EXPECT_TRUE(reports.ios.empty()) << "reported through a closed descriptor";
    advance_seconds(2);
    EXPECT_TRUE(reports.ios.empty()) << "the poller went with the descriptor";

    release_on(worker_);
    EXPECT_EQ(r.completions, 1);
    put_on(worker_, ch);
}

TEST_F(BdevIoTimeoutTest, ItIsSetOnTheDescriptorsThreadWithACallback) {
    spdk_bdev_desc *desc = open("Hold0", false);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    DmaBuffer buf(512);
    IoResult r;
    held_read(app_, desc, ch, buf, r);
    Reports reports;
    spdk_set_thread(worker_);
    EXPECT_EQ(spdk_bdev_set_timeout(desc, 1, record_timeout, &reports), -EINVAL);
    spdk_set_thread(app_);
    EXPECT_EQ(spdk_bdev_set_timeout(desc, 1, nullptr, nullptr), -EINVAL);
    advance_seconds(2);
    EXPECT_TRUE(reports.ios.empty());
    release_on(app_);
    spdk_put_io_channel(ch);
    close_desc(desc);
}

// A write zeroes the bdev layer splits (here into pieces of 2 blocks) is reported
// as the one I/O that was submitted, its pieces never.
TEST_F(BdevIoTimeoutTest, ASplitIoIsReportedAsItsParent) {
    spdk_bdev_desc *desc = open("Hold0", true);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    IoResult r;
    ASSERT_EQ(spdk_bdev_write_zeroes_blocks(desc, ch, 0, 8, io_done, &r), 0);
    run();
    Reports reports;
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 1, record_timeout, &reports), 0);
    advance_seconds(2);
    ASSERT_EQ(reports.ios.size(), 2U);
    EXPECT_EQ(reports.ios[0], reports.ios[1]);
    EXPECT_EQ(reports.ios[0]->type, SPDK_BDEV_IO_TYPE_WRITE_ZEROES);
    EXPECT_EQ(reports.ios[0]->u.bdev.num_blocks, 8U);
    release_on(app_);
    EXPECT_EQ(r.completions, 1);
    EXPECT_TRUE(r.success);
    spdk_put_io_channel(ch);
    close_desc(desc);
}

// The callback may complete I/O of its channel, the reported one and those after it:
// the look goes on past them without following a stale link.
TEST_F(BdevIoTimeoutTest, TheCallbackMayCompleteIoOfItsChannel) {
    spdk_bdev_desc *desc = open("Hold0", false);
    spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    DmaBuffer buf(512);
    IoResult r[3];
    for (IoResult &x : r) {
        ASSERT_NE(held_read(app_, desc, ch, buf, x), nullptr);
    }
    Reports reports;
    reports.release_in_callback = true;
    ASSERT_EQ(spdk_bdev_set_timeout(desc, 1, record_timeout, &reports), 0);
    advance_seconds(1);
    EXPECT_EQ(reports.ios.size(), 1U) << "the others were done before the look reached them";
    for (IoResult &x : r) {
        EXPECT_EQ(x.completions, 1);
    }
    advance_seconds(1);
    EXPECT_EQ(reports.ios.size(), 1U);
    spdk_put_io_channel(ch);
    close_desc(desc);
}

}  // namespace
