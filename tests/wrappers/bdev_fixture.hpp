// A ThreadDriver with the bdev subsystem up and a malloc and a null bdev.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "driver_fixture.hpp"
#include "spdk/bdev.h"
#include "spdkcpp/subsystems.hpp"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp::testing {

inline std::string bdev_config() {
    return R"({"subsystems":[{"subsystem":"bdev","config":[
        {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":2048,"block_size":512}},
        {"method":"bdev_null_create","params":{"name":"Null0","num_blocks":1024,"block_size":4096}}
    ]}]})";
}

class BdevFixture : public DriverFixture {
  protected:
    void SetUp() override {
        DriverFixture::SetUp();
        if (HasFatalFailure()) {
            return;  // no driver: the failure is reported, nothing to bring up
        }
        auto up = driver_->run(app_, bring_up());
        ASSERT_TRUE(up) << up.error().message();
    }

    void TearDown() override {
        if (driver_) {
            auto down = driver_->run(app_, tear_down());
            EXPECT_TRUE(down) << "subsystem fini did not finish";
        }
        driver_.reset();
    }

    // Runs a task on the app thread to its end and gives what it returned (a
    // task that returns a Result gives its own, success or failure).
    template <typename T>
    T run(Task<T> task) {
        auto r = driver_->run(app_, std::move(task));
        if constexpr (is_result_v<T>) {
            EXPECT_TRUE(r || r.error().kind() != ErrorKind::Stalled) << r.error().message();
            return r;
        } else {
            EXPECT_TRUE(r) << r.error().message();
            return std::move(*r);
        }
    }

  private:
    static Task<Result<void>> bring_up() {
        if (auto r = co_await init_subsystems(); !r) {
            co_return r;
        }
        std::string config = bdev_config();
        co_return co_await load_config(config);
    }
    static Task<int> tear_down() {
        co_await fini_subsystems();
        co_return 0;
    }
};

// The bdev fixture with SPDK's bdev options changed for the test by adjust(), and
// restored after it.
class BdevOptionsFixture : public BdevFixture {
  protected:
    virtual void adjust(spdk_bdev_opts &opts) = 0;

    void SetUp() override {
        spdk_bdev_opts opts{};
        spdk_bdev_get_opts(&opts, sizeof(opts));
        defaults_ = opts;
        adjust(opts);
        ASSERT_EQ(spdk_bdev_set_opts(&opts), 0);
        BdevFixture::SetUp();
    }
    void TearDown() override {
        BdevFixture::TearDown();
        spdk_bdev_set_opts(&defaults_);
    }

  private:
    spdk_bdev_opts defaults_{};
};

}  // namespace spdkcpp::testing
