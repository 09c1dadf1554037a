// DMA memory exists only inside SPDK's environment: the binaries whose tests
// allocate it without a ThreadDriver hold one Env for their whole run.
#include <gtest/gtest.h>

#include <optional>

#include "spdkcpp/env.hpp"

namespace {

class HeldEnv : public ::testing::Environment {
  public:
    void SetUp() override {
        auto env = spdkcpp::Env::init({.name = "spdkcpp_tests"});
        ASSERT_TRUE(env) << env.error().message();
        env_.emplace(std::move(*env));
    }
    void TearDown() override { env_.reset(); }

  private:
    std::optional<spdkcpp::Env> env_;
};

[[maybe_unused]] ::testing::Environment *const g_env =
    ::testing::AddGlobalTestEnvironment(new HeldEnv);  // gtest owns it

}  // namespace
