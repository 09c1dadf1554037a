// Conformance of the embedded env with SPDK's documented behaviour.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "spdk/env.h"
#include "spdkcpp_embedded/stats.h"

namespace {

spdkcpp_embedded_mem_stats mem_stats() {
    spdkcpp_embedded_mem_stats s{};
    spdkcpp_embedded_get_mem_stats(&s);
    return s;
}

// Initializes the env with a core mask for the duration of a test.
class EnvTest : public ::testing::Test {
  protected:
    int init(const char *mask, int main_core = -1) {
        spdk_env_opts opts{};
        opts.opts_size = sizeof(opts);
        spdk_env_opts_init(&opts);
        opts.name = "env_test";
        opts.core_mask = mask;
        opts.main_core = main_core;
        opts.no_huge = true;
        const int rc = spdk_env_init(&opts);
        initialized_ = rc == 0;
        return rc;
    }
    void TearDown() override {
        if (initialized_) {
            spdk_env_fini();
        }
    }
    bool initialized_ = false;
};

TEST(EnvOpts, InitFillsDefaultsAndKeepsOptsSize) {
    spdk_env_opts opts;
    std::memset(&opts, 0x5a, sizeof(opts));
    opts.opts_size = sizeof(opts);
    spdk_env_opts_init(&opts);
    EXPECT_EQ(opts.opts_size, sizeof(opts));
    ASSERT_NE(opts.name, nullptr);
    ASSERT_NE(opts.core_mask, nullptr);
    EXPECT_STREQ(opts.core_mask, "0x1");
    EXPECT_FALSE(opts.no_huge);
    EXPECT_FALSE(opts.no_pci);
    EXPECT_FALSE(opts.enforce_numa);
}

TEST(EnvOpts, OlderLayoutLeavesLaterFieldsAlone) {
    spdk_env_opts opts;
    std::memset(&opts, 0x5a, sizeof(opts));
    opts.opts_size = offsetof(spdk_env_opts, enforce_numa);
    spdk_env_opts_init(&opts);
    EXPECT_EQ(opts.opts_size, offsetof(spdk_env_opts, enforce_numa));
    uint8_t untouched = 0;
    std::memcpy(&untouched, &opts.enforce_numa, 1);
    EXPECT_EQ(untouched, 0x5a);  // past opts_size: not written
    EXPECT_STREQ(opts.core_mask, "0x1");
}

// The machine's last CPU: masks name only cores that exist (SPDK's env refuses others).
uint32_t last_cpu() {
    return static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_CONF) - 1);
}

TEST_F(EnvTest, CoresFollowTheCoreMask) {
    const uint32_t last = last_cpu();
    if (last == 0) {
        GTEST_SKIP() << "needs two CPUs";
    }
    const std::string mask = "[0," + std::to_string(last) + "]";
    ASSERT_EQ(init(mask.c_str()), 0);
    EXPECT_EQ(spdk_env_get_core_count(), 2U);
    EXPECT_EQ(spdk_env_get_first_core(), 0U);
    EXPECT_EQ(spdk_env_get_next_core(0), last);
    EXPECT_EQ(spdk_env_get_next_core(last), UINT32_MAX);
    EXPECT_EQ(spdk_env_get_last_core(), last);
    EXPECT_EQ(spdk_env_get_main_core(), 0U);
    EXPECT_EQ(spdk_env_get_current_core(), 0U);  // the initializing thread is the main core's
    std::vector<uint32_t> seen;
    uint32_t core = 0;
    SPDK_ENV_FOREACH_CORE(core) {
        seen.push_back(core);
    }
    EXPECT_EQ(seen, (std::vector<uint32_t>{0, last}));
    spdk_cpuset set{};
    spdk_env_get_cpuset(&set);
    spdk_cpuset want{};
    spdk_cpuset_set_cpu(&want, 0, true);
    spdk_cpuset_set_cpu(&want, last, true);
    EXPECT_TRUE(spdk_cpuset_equal(&set, &want));
}

TEST_F(EnvTest, ListMaskAndMainCore) {
    if (last_cpu() == 0) {
        GTEST_SKIP() << "needs two CPUs";
    }
    ASSERT_EQ(init("[0-1]", 1), 0);
    EXPECT_EQ(spdk_env_get_core_count(), 2U);
    EXPECT_EQ(spdk_env_get_main_core(), 1U);
    EXPECT_EQ(spdk_env_get_current_core(), 1U);
}

// As DPDK's EAL ("lcore N unavailable"): a core the machine does not have is refused,
// not run as an unpinned reactor.
TEST_F(EnvTest, CoresTheMachineDoesNotHaveAreRefused) {
    const uint32_t missing = last_cpu() + 1;
    const std::string list = "[" + std::to_string(missing) + "]";
    EXPECT_EQ(init(list.c_str()), -EINVAL);
    const std::string with_zero = "[0," + std::to_string(missing) + "]";
    EXPECT_EQ(init(with_zero.c_str()), -EINVAL);
    if (SPDK_CPUSET_SIZE > 64 && missing < 64) {
        EXPECT_EQ(init("0xffffffffffffffff"), -EINVAL);
    }
}

TEST_F(EnvTest, BadCoreMasksAreRejected) {
    EXPECT_EQ(init("0xZZ"), -EINVAL);
    EXPECT_EQ(init("0x0"), -EINVAL);
    EXPECT_EQ(init(""), -EINVAL);
    EXPECT_EQ(init("[3-1]"), -EINVAL);
    EXPECT_EQ(init("0x3", 5), -EINVAL);  // main core outside the mask
}

TEST_F(EnvTest, SecondInitIsRefusedAndNullReinitializes) {
    ASSERT_EQ(init("0x1"), 0);
    spdk_env_opts opts{};
    opts.opts_size = sizeof(opts);
    spdk_env_opts_init(&opts);
    EXPECT_EQ(spdk_env_init(&opts), -EINVAL);
    spdk_env_fini();
    EXPECT_EQ(spdk_env_init(nullptr), 0);
}

TEST_F(EnvTest, LaunchPinnedRunsOnItsCore) {
    ASSERT_EQ(init("0x3"), 0);
    static std::atomic<uint32_t> seen_core{UINT32_MAX - 1};
    ASSERT_EQ(spdk_env_thread_launch_pinned(
                  1,
                  [](void *) -> int {
                      seen_core = spdk_env_get_current_core();
                      return 0;
                  },
                  nullptr),
              0);
    spdk_env_thread_wait_all();
    EXPECT_EQ(seen_core.load(), 1U);
}

TEST(EnvCore, OtherOsThreadsHaveNoCore) {
    uint32_t core = 0;
    std::thread([&] { core = spdk_env_get_current_core(); }).join();
    EXPECT_EQ(core, SPDK_ENV_LCORE_ID_ANY);
}

// DMA memory exists once the env has been initialized, as with DPDK.
class DmaMemory : public EnvTest {
  protected:
    void SetUp() override { ASSERT_EQ(init("0x1"), 0); }
};

TEST_F(DmaMemory, AlignmentRules) {
    for (size_t align :
         {size_t{0}, size_t{1}, size_t{8}, size_t{64}, size_t{4096}, size_t{1} << 16}) {
        void *p = spdk_dma_malloc(100, align, nullptr);
        ASSERT_NE(p, nullptr) << align;
        // Always at least cache-line aligned.
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % std::max<size_t>(align, 64), 0U) << align;
        spdk_dma_free(p);
    }
    EXPECT_EQ(spdk_dma_malloc(100, 3, nullptr), nullptr);
    EXPECT_EQ(spdk_dma_malloc(100, 96, nullptr), nullptr);
}

TEST_F(DmaMemory, InvalidRequestsFail) {
    EXPECT_EQ(spdk_dma_malloc(0, 0, nullptr), nullptr);
    uint64_t phys = 0;
    EXPECT_EQ(spdk_dma_malloc(64, 0, &phys), nullptr);  // the unused argument must be NULL
    EXPECT_EQ(spdk_malloc(64, 0, nullptr, SPDK_ENV_NUMA_ID_ANY, 0), nullptr);  // no flag
    EXPECT_EQ(spdk_malloc(SIZE_MAX, 0, nullptr, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA), nullptr);
}

TEST_F(DmaMemory, ZmallocZeroesSmallAndLargeBlocks) {
    for (size_t size : {size_t{100}, size_t{1} << 20, size_t{5} << 20}) {
        auto *p = static_cast<uint8_t *>(
            spdk_zmalloc(size, 4096, nullptr, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA));
        ASSERT_NE(p, nullptr);
        for (size_t i = 0; i < size; i += 511) {
            ASSERT_EQ(p[i], 0) << i;
        }
        EXPECT_EQ(p[size - 1], 0);
        std::memset(p, 0xff, size);
        spdk_free(p);
        // A recycled heap block must come back zeroed too.
        p = static_cast<uint8_t *>(spdk_dma_zmalloc(size, 4096, nullptr));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p[0], 0);
        EXPECT_EQ(p[size - 1], 0);
        spdk_dma_free(p);
    }
}

TEST_F(DmaMemory, CountersTrackWhatIsHandedOut) {
    const auto before = mem_stats();
    void *a = spdk_dma_malloc(1000, 0, nullptr);
    void *b = spdk_dma_malloc(3 << 20, 0, nullptr);
    const auto during = mem_stats();
    EXPECT_EQ(during.allocations_in_use, before.allocations_in_use + 2);
    EXPECT_EQ(during.bytes_in_use, before.bytes_in_use + 1000 + (3 << 20));
    spdk_dma_free(a);
    spdk_free(b);
    const auto after = mem_stats();
    EXPECT_EQ(after.allocations_in_use, before.allocations_in_use);
    EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
    EXPECT_EQ(after.total_allocations, before.total_allocations + 2);
}

TEST_F(DmaMemory, FreeOfForeignOrFreedPointerIsRefused) {
    const auto before = mem_stats();
    alignas(64) static char not_ours[256];
    spdk_free(not_ours + 128);  // logged and ignored
    spdk_free(nullptr);
    EXPECT_EQ(mem_stats().allocations_in_use, before.allocations_in_use);
}

TEST_F(DmaMemory, ReallocKeepsContents) {
    auto *p = static_cast<char *>(spdk_dma_malloc(16, 0, nullptr));
    ASSERT_NE(p, nullptr);
    std::memcpy(p, "spdkcpp-realloc", 16);
    auto *q = static_cast<char *>(spdk_realloc(p, 1 << 20, 4096));
    ASSERT_NE(q, nullptr);
    EXPECT_STREQ(q, "spdkcpp-realloc");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 4096, 0U);
    spdk_free(q);
}

TEST(Ticks, MonotonicAndCalibrated) {
    const uint64_t hz = spdk_get_ticks_hz();
    ASSERT_GT(hz, 1'000'000U);
    const uint64_t t0 = spdk_get_ticks();
    spdk_delay_us(20'000);
    const uint64_t t1 = spdk_get_ticks();
    ASSERT_GT(t1, t0);
    const double elapsed_us = static_cast<double>(t1 - t0) * 1e6 / static_cast<double>(hz);
    EXPECT_GE(elapsed_us, 19'000.0);
}

}  // namespace
