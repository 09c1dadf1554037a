// Env, and DMA memory before and after SPDK's environment exists. This binary holds
// no Env of its own, so the first test sees a process SPDK has not set up.
#include "spdkcpp/env.hpp"

#include <gtest/gtest.h>

#include <type_traits>

#include "spdkcpp/dma_buf.hpp"

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

}  // namespace
}  // namespace spdkcpp
