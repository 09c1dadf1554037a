// Test main shared by every test binary.
#include <gtest/gtest.h>

#ifdef SPDKCPP_TEST_EMBEDDED
#include "spdkcpp_embedded/stats.h"

namespace {

// Fails the binary when DMA memory is still allocated after the last test.
class NoLeakedDmaMemory : public ::testing::Environment {
  public:
    void TearDown() override {
        spdkcpp_embedded_mem_stats stats{};
        spdkcpp_embedded_get_mem_stats(&stats);
        EXPECT_EQ(stats.allocations_in_use, 0U) << "DMA allocations leaked";
        EXPECT_EQ(stats.bytes_in_use, 0U) << "DMA bytes leaked";
    }
};

}  // namespace
#endif

int main(int argc, char **argv) {
    ::testing::InitGoogleTest(&argc, argv);
#ifdef SPDKCPP_TEST_EMBEDDED
    ::testing::AddGlobalTestEnvironment(new NoLeakedDmaMemory);  // gtest owns it
#endif
    return RUN_ALL_TESTS();
}
