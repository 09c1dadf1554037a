// A ThreadDriver with two threads, "app" (SPDK's app thread) and "worker".
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "spdkcpp/thread_driver.hpp"

// For tests that place a timed poller's first run exactly in virtual time.
#define SPDKCPP_SKIP_WITHOUT_EXACT_VIRTUAL_TIME()                                       \
    if (!driver_->exact_virtual_time())                                                 \
    GTEST_SKIP() << "this provider stamps new timed pollers with the real clock (real " \
                    "SPDK): a first period cannot be placed in virtual time"

namespace spdkcpp::testing {

class DriverFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        auto d = ThreadDriver::create();
        ASSERT_TRUE(d) << d.error().message();
        driver_.emplace(std::move(*d));
        auto app = driver_->add_thread("app");
        auto worker = driver_->add_thread("worker");
        ASSERT_TRUE(app && worker) << "cannot create the driver's threads";
        app_ = *app;
        worker_ = *worker;
        driver_->run_until_idle();  // both threads now at the virtual clock
    }
    void TearDown() override { driver_.reset(); }

    std::optional<ThreadDriver> driver_;
    ThreadRef app_;
    ThreadRef worker_;
};

}  // namespace spdkcpp::testing
