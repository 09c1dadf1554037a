// Env, and DMA memory before and after SPDK's environment exists. This binary holds
// no Env of its own, so the first test sees a process SPDK has not set up.
#include "spdkcpp/env.hpp"

#include <gtest/gtest.h>

#include <type_traits>

#include "spdkcpp/app.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace spdkcpp {
namespace {

static_assert(!std::is_copy_constructible_v<Env> && std::is_nothrow_move_constructible_v<Env>);

TEST(Env, DmaMemoryBeforeTheEnvIsAClearError) {
    auto buf = DmaBuf::alloc(4096);
    ASSERT_FALSE(buf);
    EXPECT_EQ(buf.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_NE(buf.error().message().find("no SPDK environment"), std::string::npos)
        << buf.error().message();
}

TEST(Env, OneAtATimeAndBackAfterItIsDropped) {
    {
        auto env = Env::init({.name = "spdkcpp_env_test"});
        ASSERT_TRUE(env) << env.error().message();
        auto second = Env::init();
        ASSERT_FALSE(second);
        EXPECT_EQ(second.error().kind(), ErrorKind::Busy);
        Env moved = std::move(*env);  // the moved-from owner releases nothing
        auto buf = DmaBuf::alloc_zeroed(1 << 20, 4096);
        ASSERT_TRUE(buf) << buf.error().message();
        EXPECT_EQ(buf->bytes()[12345], std::byte{0});
    }
    for (int round = 0; round < 3; ++round) {
        auto again = Env::init();
        ASSERT_TRUE(again) << "round " << round << ": " << again.error().message();
        auto buf = DmaBuf::alloc(4096);
        EXPECT_TRUE(buf) << buf.error().message();
    }
}

#ifdef SPDKCPP_TEST_EMBEDDED
// Real SPDK sets its environment up once per process (DPDK's EAL does not start
// twice), so an App after a driver is refused there; the runtime allows both orders.
TEST(Env, AnAppAfterADriverAndADriverAfterAnAppBothRun) {
    for (int round = 0; round < 2; ++round) {
        {
            auto driver = ThreadDriver::create();
            ASSERT_TRUE(driver) << "round " << round << ": " << driver.error().message();
        }
        AppOptions options;
        options.name = "spdkcpp_env_test";
        options.mem_size_mb = 256;
        options.no_huge = true;
        options.disable_cpumask_locks = true;
        options.no_rpc_server = true;
        App app(std::move(options));
        EXPECT_EQ(app.run([]() -> Task<int> { co_return 7; }()), 7) << "round " << round;
    }
    auto driver = ThreadDriver::create();
    EXPECT_TRUE(driver) << driver.error().message();
}
#endif

}  // namespace
}  // namespace spdkcpp
