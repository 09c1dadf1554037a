// Helpers of the bdev conformance tests: a fixture that starts SPDK's subsystems on
// an app thread driven by hand, applies a JSON config, and stops them again; DMA
// buffers; an I/O completion recorder.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "spdk/bdev.h"
#include "spdk/env.h"
#include "spdk/init.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"
#include "thread_test_util.hpp"

namespace spdk_test {

// A zeroed DMA buffer freed at the end of its scope.
class DmaBuffer {
  public:
    explicit DmaBuffer(size_t size) : size_(size) {
        data_ = static_cast<uint8_t *>(spdk_dma_zmalloc(size, 4096, nullptr));
        EXPECT_NE(data_, nullptr);
    }
    ~DmaBuffer() { spdk_dma_free(data_); }
    DmaBuffer(const DmaBuffer &) = delete;
    DmaBuffer &operator=(const DmaBuffer &) = delete;

    uint8_t *data() const { return data_; }
    size_t size() const { return size_; }
    uint8_t &operator[](size_t i) { return data_[i]; }
    // Byte i of a pattern that differs per seed and position.
    static uint8_t pattern(uint32_t seed, size_t i) {
        return static_cast<uint8_t>((i * 131 + seed * 7 + (i >> 9)) & 0xff);
    }
    void fill(uint32_t seed) {
        for (size_t i = 0; i < size_; ++i) {
            data_[i] = pattern(seed, i);
        }
    }
    bool all(uint8_t value, size_t from = 0, size_t to = SIZE_MAX) const {
        to = std::min(to, size_);
        for (size_t i = from; i < to; ++i) {
            if (data_[i] != value) {
                return false;
            }
        }
        return true;
    }

  private:
    size_t size_;
    uint8_t *data_ = nullptr;
};

// What the completion callbacks saw.
struct IoResult {
    int completions = 0;
    bool success = false;
    spdk_thread *thread = nullptr;
    // Set by the test around its submit call.
    const bool *in_submit = nullptr;
    bool ran_inside_submit = false;
    // Kept instead of freed when set (the test frees it).
    bool keep_io = false;
    spdk_bdev_io *io = nullptr;
};

inline void io_done(spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    auto *r = static_cast<IoResult *>(cb_arg);
    r->completions++;
    r->success = success;
    r->thread = spdk_get_thread();
    if (r->in_submit != nullptr && *r->in_submit) {
        r->ran_inside_submit = true;
    }
    if (r->keep_io) {
        r->io = bdev_io;
    } else {
        spdk_bdev_free_io(bdev_io);
    }
}

// Descriptor events with the thread each ran on.
struct Events {
    std::vector<spdk_bdev_event_type> types;
    std::vector<spdk_thread *> threads;
    // Closed from the REMOVE event when set.
    spdk_bdev_desc **close_on_remove = nullptr;
    spdk_io_channel **put_on_remove = nullptr;
};

inline void record_event(spdk_bdev_event_type type, spdk_bdev * /*bdev*/, void *ctx) {
    auto *e = static_cast<Events *>(ctx);
    e->types.push_back(type);
    e->threads.push_back(spdk_get_thread());
    if (type == SPDK_BDEV_EVENT_REMOVE) {
        if (e->put_on_remove != nullptr && *e->put_on_remove != nullptr) {
            spdk_put_io_channel(*e->put_on_remove);
            *e->put_on_remove = nullptr;
        }
        if (e->close_on_remove != nullptr && *e->close_on_remove != nullptr) {
            spdk_bdev_close(*e->close_on_remove);
            *e->close_on_remove = nullptr;
        }
    }
}

// The default configuration: a 1 MiB malloc bdev of 512-byte blocks, a 4 KiB-block
// malloc bdev and a null bdev.
inline const char *default_config() {
    return R"({"subsystems": [{"subsystem": "bdev", "config": [
        {"method": "bdev_malloc_create",
         "params": {"name": "Malloc0", "num_blocks": 2048, "block_size": 512}},
        {"method": "bdev_malloc_create",
         "params": {"name": "Malloc4k", "num_blocks": 64, "block_size": 4096,
                    "uuid": "0a1b2c3d-4e5f-4a6b-8c7d-8e9f00112233"}},
        {"method": "bdev_null_create",
         "params": {"name": "Null0", "num_blocks": 1024, "block_size": 512}}
    ]}]})";
}

// Starts the subsystems on an app thread driven from the test's OS thread.
class BdevFixture : public ::testing::Test {
  protected:
    // Set before SetUp to start with other spdk_bdev_opts.
    uint32_t pool_size_ = 0;
    uint32_t cache_size_ = 0;

    void SetUp() override {
        ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
        app_ = spdk_thread_create("app", nullptr);
        ASSERT_NE(app_, nullptr);
        spdk_set_thread(app_);
        if (pool_size_ != 0) {
            spdk_bdev_opts opts{};
            spdk_bdev_get_opts(&opts, sizeof(opts));
            saved_opts_ = opts;
            opts.bdev_io_pool_size = pool_size_;
            opts.bdev_io_cache_size = cache_size_;
            ASSERT_EQ(spdk_bdev_set_opts(&opts), 0);
            restore_opts_ = true;
        }
        int rc = 1;
        bool done = false;
        std::pair<int *, bool *> result{&rc, &done};
        spdk_subsystem_init(
            [](int r, void *arg) {
                auto *p = static_cast<std::pair<int *, bool *> *>(arg);
                *p->first = r;
                *p->second = true;
            },
            &result);
        poll_until([&] { return done; });
        ASSERT_TRUE(done) << "spdk_subsystem_init did not complete";
        ASSERT_EQ(rc, 0);
        started_ = true;
        // As SPDK's app framework: the RUNTIME methods of a config run from now on.
        spdk_rpc_set_state(SPDK_RPC_RUNTIME);
        ASSERT_EQ(load_config(default_config()), 0);
    }

    void TearDown() override {
        spdk_set_thread(app_);
        if (started_) {
            bool done = false;
            spdk_subsystem_fini([](void *arg) { *static_cast<bool *>(arg) = true; }, &done);
            poll_until([&] { return done; });
            EXPECT_TRUE(done) << "spdk_subsystem_fini did not complete";
            spdk_rpc_set_state(SPDK_RPC_STARTUP);
        }
        for (spdk_thread *t : threads_) {
            spdk_set_thread(t);
            spdk_thread_exit(t);
        }
        spdk_set_thread(app_);
        spdk_thread_exit(app_);
        for (int i = 0; i < 1000; ++i) {
            bool all_exited = spdk_thread_is_exited(app_);
            spdk_thread_poll(app_, 0, 0);
            for (spdk_thread *t : threads_) {
                spdk_thread_poll(t, 0, 0);
                all_exited = all_exited && spdk_thread_is_exited(t);
            }
            if (all_exited) {
                break;
            }
        }
        for (spdk_thread *t : threads_) {
            EXPECT_TRUE(spdk_thread_is_exited(t));
            spdk_thread_destroy(t);
        }
        EXPECT_TRUE(spdk_thread_is_exited(app_));
        spdk_thread_destroy(app_);
        spdk_set_thread(nullptr);
        spdk_thread_lib_fini();
        if (restore_opts_) {
            spdk_bdev_set_opts(&saved_opts_);
        }
    }

    spdk_thread *make_thread(const char *name) {
        spdk_thread *t = spdk_thread_create(name, nullptr);
        EXPECT_NE(t, nullptr);
        threads_.push_back(t);
        return t;
    }

    // Polls every thread until a whole round does no work.
    void poll_all() {
        for (int round = 0; round < 100000; ++round) {
            int work = spdk_thread_poll(app_, 0, 0);
            for (spdk_thread *t : threads_) {
                work += spdk_thread_poll(t, 0, 0);
            }
            if (work == 0) {
                return;
            }
        }
        ADD_FAILURE() << "threads did not become idle";
    }

    // Reads num_blocks at offset_blocks without a buffer and sets *iov to the one
    // buffer the bdev lent; r keeps the I/O (r.io), the caller frees it. Use with
    // ASSERT_NO_FATAL_FAILURE.
    void read_without_buffer(spdk_bdev_desc *desc, spdk_io_channel *ch, uint64_t offset_blocks,
                             uint64_t num_blocks, IoResult &r, iovec **iov) {
        r.keep_io = true;
        ASSERT_EQ(spdk_bdev_read_blocks(desc, ch, nullptr, offset_blocks, num_blocks, io_done, &r),
                  0);
        poll_all();
        ASSERT_EQ(r.completions, 1);
        ASSERT_TRUE(r.success);
        int iovcnt = 0;
        spdk_bdev_io_get_iovec(r.io, iov, &iovcnt);
        ASSERT_EQ(iovcnt, 1);
    }

    template <typename Pred>
    void poll_until(Pred done) {
        for (int round = 0; round < 100000 && !done(); ++round) {
            spdk_thread_poll(app_, 0, 0);
            for (spdk_thread *t : threads_) {
                spdk_thread_poll(t, 0, 0);
            }
        }
    }

    // Applies a JSON config on the app thread; returns its rc.
    int load_config(const std::string &json) {
        spdk_set_thread(app_);
        std::string copy = json;
        int rc = 1;
        bool done = false;
        std::pair<int *, bool *> result{&rc, &done};
        spdk_subsystem_load_config(
            copy.data(), static_cast<ssize_t>(copy.size()),
            [](int r, void *arg) {
                auto *p = static_cast<std::pair<int *, bool *> *>(arg);
                *p->first = r;
                *p->second = true;
            },
            &result, true);
        poll_until([&] { return done; });
        EXPECT_TRUE(done) << "spdk_subsystem_load_config did not complete";
        return rc;
    }

    // Opens name on the current thread, recording events in events_.
    spdk_bdev_desc *open(const char *name, bool write, Events *events = nullptr) {
        spdk_bdev_desc *desc = nullptr;
        const int rc = spdk_bdev_open_ext(name, write, record_event,
                                          events != nullptr ? events : &events_, &desc);
        EXPECT_EQ(rc, 0) << name;
        return desc;
    }

    spdk_thread *app_ = nullptr;
    std::vector<spdk_thread *> threads_;
    Events events_;
    bool started_ = false;
    bool restore_opts_ = false;
    spdk_bdev_opts saved_opts_{};
};

}  // namespace spdk_test
