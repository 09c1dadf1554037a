// Conformance of cpuset, string, log and zipf helpers.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "spdk/cpuset.h"
#include "spdk/env.h"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/util.h"
#include "spdk/zipf.h"

SPDK_LOG_REGISTER_COMPONENT(util_test)

// SPDK_INFOLOG declares its flag extern at block scope, which inside an anonymous
// namespace would name a different variable: log from global scope.
static void info_util_test(const char *text) {
    SPDK_INFOLOG(util_test, "%s", text);
}

namespace {

TEST(Cpuset, ParsesMasksAndLists) {
    spdk_cpuset set{};
    ASSERT_EQ(spdk_cpuset_parse(&set, "0x13"), 0);
    EXPECT_EQ(spdk_cpuset_count(&set), 3U);
    EXPECT_TRUE(spdk_cpuset_get_cpu(&set, 0));
    EXPECT_TRUE(spdk_cpuset_get_cpu(&set, 1));
    EXPECT_TRUE(spdk_cpuset_get_cpu(&set, 4));
    EXPECT_STREQ(spdk_cpuset_fmt(&set), "13");
    ASSERT_EQ(spdk_cpuset_parse(&set, "[0-2,8]"), 0);
    EXPECT_STREQ(spdk_cpuset_fmt(&set), "107");
    ASSERT_EQ(spdk_cpuset_parse(&set, "ff"), 0);
    EXPECT_EQ(spdk_cpuset_count(&set), 8U);
}

TEST(Cpuset, RejectsMalformedMasksAndKeepsTheSet) {
    spdk_cpuset set{};
    ASSERT_EQ(spdk_cpuset_parse(&set, "0x3"), 0);
    for (const char *bad : {"", "0x", "0xg", "[", "[1-", "[2-1]", "[1,]", "[5000]", "[1]x"}) {
        EXPECT_EQ(spdk_cpuset_parse(&set, bad), -1) << bad;
    }
    EXPECT_EQ(spdk_cpuset_count(&set), 2U);
}

TEST(Cpuset, SetAlgebra) {
    spdk_cpuset a{};
    spdk_cpuset b{};
    spdk_cpuset_parse(&a, "0x3");
    spdk_cpuset_parse(&b, "0x6");
    spdk_cpuset c{};
    spdk_cpuset_copy(&c, &a);
    spdk_cpuset_and(&c, &b);
    EXPECT_STREQ(spdk_cpuset_fmt(&c), "2");
    spdk_cpuset_copy(&c, &a);
    spdk_cpuset_or(&c, &b);
    EXPECT_STREQ(spdk_cpuset_fmt(&c), "7");
    spdk_cpuset_xor(&c, &b);
    EXPECT_STREQ(spdk_cpuset_fmt(&c), "1");
    spdk_cpuset_xor(&c, &b);
    spdk_cpuset_and(&c, &a);
    EXPECT_TRUE(spdk_cpuset_equal(&c, &a));
    spdk_cpuset_zero(&c);
    EXPECT_EQ(spdk_cpuset_count(&c), 0U);
    std::vector<uint32_t> cpus;
    spdk_cpuset_for_each_cpu(
        &b,
        [](void *ctx, uint32_t cpu) { static_cast<std::vector<uint32_t> *>(ctx)->push_back(cpu); },
        &cpus);
    EXPECT_EQ(cpus, (std::vector<uint32_t>{1, 2}));
}

TEST(String, StrerrorIgnoresSign) {
    EXPECT_STREQ(spdk_strerror(-ENOMEM), spdk_strerror(ENOMEM));
    EXPECT_STREQ(spdk_strerror(ENODEV), "No such device");
}

TEST(String, ParseCapacity) {
    uint64_t cap = 0;
    bool prefix = true;
    ASSERT_EQ(spdk_parse_capacity("4096", &cap, &prefix), 0);
    EXPECT_EQ(cap, 4096U);
    EXPECT_FALSE(prefix);
    ASSERT_EQ(spdk_parse_capacity("4k", &cap, &prefix), 0);
    EXPECT_EQ(cap, 4096U);
    EXPECT_TRUE(prefix);
    ASSERT_EQ(spdk_parse_capacity("256M", &cap, nullptr), 0);
    EXPECT_EQ(cap, 256ULL << 20);
    ASSERT_EQ(spdk_parse_capacity("2G", &cap, nullptr), 0);
    EXPECT_EQ(cap, 2ULL << 30);
    EXPECT_EQ(spdk_parse_capacity("x", &cap, nullptr), -EINVAL);
    EXPECT_EQ(spdk_parse_capacity("12T", &cap, nullptr), -EINVAL);
}

TEST(String, StrtolRejectsJunkAndNegatives) {
    EXPECT_EQ(spdk_strtol("42", 10), 42);
    EXPECT_EQ(spdk_strtol("0x10", 16), 16);
    EXPECT_EQ(spdk_strtol("4x", 10), -EINVAL);
    EXPECT_EQ(spdk_strtol("-4", 10), -ERANGE);
    EXPECT_EQ(spdk_strtol("", 10), -EINVAL);
    EXPECT_EQ(spdk_strtoll("99999999999999999999999", 10), -ERANGE);
}

TEST(String, SprintfAllocAndTrim) {
    char *s = spdk_sprintf_alloc("%s-%d", "bdev", 7);
    ASSERT_NE(s, nullptr);
    EXPECT_STREQ(s, "bdev-7");
    free(s);
    char text[] = "  padded \n";
    EXPECT_STREQ(spdk_str_trim(text), "padded");
}

TEST(Util, Log2AndAlign) {
    EXPECT_EQ(spdk_u32log2(1), 0U);
    EXPECT_EQ(spdk_u32log2(4096), 12U);
    EXPECT_EQ(spdk_u64log2(1ULL << 40), 40U);
    EXPECT_EQ(spdk_align32pow2(3), 4U);
    EXPECT_EQ(spdk_align64pow2(4097), 8192U);
    EXPECT_TRUE(spdk_u64_is_pow2(512));
    EXPECT_FALSE(spdk_u64_is_pow2(0));
    EXPECT_EQ(SPDK_ALIGN_CEIL(4097U, 4096U), 8192U);
    EXPECT_EQ(SPDK_ALIGN_FLOOR(4097U, 4096U), 4096U);
}

TEST(Util, Iovcpy) {
    char a[] = "hello";
    char b[] = "world";
    char out[10] = {};
    iovec src[] = {{a, 5}, {b, 5}};
    iovec dst[] = {{out, 3}, {out + 3, 7}};
    EXPECT_EQ(spdk_iovcpy(src, 2, dst, 2), 10U);
    EXPECT_EQ(std::string(out, 10), "helloworld");
}

struct Captured {
    std::vector<std::pair<int, std::string>> lines;
};
Captured g_captured;

void capture(int level, const char *, const int, const char *, const char *format, va_list args) {
    char buf[256];
    vsnprintf(buf, sizeof(buf), format, args);
    g_captured.lines.emplace_back(level, buf);
}

TEST(Log, CallbackReceivesMessagesAtOrBelowLevel) {
    g_captured.lines.clear();
    spdk_log_open(capture);
    spdk_log_set_level(SPDK_LOG_NOTICE);
    SPDK_ERRLOG("error %d\n", 1);
    SPDK_NOTICELOG("notice\n");
    spdk_log(SPDK_LOG_DEBUG, __FILE__, __LINE__, __func__, "debug is filtered\n");
    spdk_log_close();
    ASSERT_EQ(g_captured.lines.size(), 2U);
    EXPECT_EQ(g_captured.lines[0].first, SPDK_LOG_ERROR);
    EXPECT_EQ(g_captured.lines[0].second, "error 1\n");
    EXPECT_EQ(g_captured.lines[1].first, SPDK_LOG_NOTICE);
}

// One message a second from a call site; the count of the rest comes with the next.
TEST(Log, RateLimitedErrorsAreSquashedAndCounted) {
    g_captured.lines.clear();
    spdk_log_open(capture);
    auto burst = [](int n) {
        for (int i = 0; i < n; ++i) {
            SPDK_ERRLOG_RATELIMIT("failed %d\n", i);
        }
    };
    burst(1000);
    ASSERT_EQ(g_captured.lines.size(), 1U);
    EXPECT_EQ(g_captured.lines[0].second, "failed 0\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    burst(1);
    spdk_log_close();
    ASSERT_EQ(g_captured.lines.size(), 3U);
    EXPECT_EQ(g_captured.lines[1].second, "failed 0\n");
    EXPECT_EQ(g_captured.lines[2].first, SPDK_LOG_ERROR);
    EXPECT_EQ(g_captured.lines[2].second, "(same message squashed 999 times)\n");
}

TEST(Log, FlagsGateInfoLogs) {
    g_captured.lines.clear();
    spdk_log_open(capture);
    spdk_log_set_level(SPDK_LOG_INFO);
    EXPECT_FALSE(spdk_log_get_flag("util_test"));
    info_util_test("hidden\n");
    ASSERT_EQ(spdk_log_set_flag("util_test"), 0);
    EXPECT_TRUE(spdk_log_get_flag("util_test"));
    info_util_test("shown\n");
    EXPECT_EQ(spdk_log_set_flag("no_such_flag"), -EINVAL);
    ASSERT_EQ(spdk_log_clear_flag("util_test"), 0);
    spdk_log_close();
    spdk_log_set_level(SPDK_LOG_NOTICE);
    ASSERT_EQ(g_captured.lines.size(), 1U);
    EXPECT_EQ(g_captured.lines[0].second, "shown\n");
    bool found = false;
    for (spdk_log_flag *f = spdk_log_get_first_flag(); f != nullptr;
         f = spdk_log_get_next_flag(f)) {
        found = found || std::string(f->name) == "util_test";
    }
    EXPECT_TRUE(found);
}

TEST(Zipf, RefusesBadArguments) {
    EXPECT_EQ(spdk_zipf_create(0, 0.5, 1), nullptr);
    EXPECT_EQ(spdk_zipf_create(100, 1.0, 1), nullptr);
    EXPECT_EQ(spdk_zipf_create(100, -0.1, 1), nullptr);
    spdk_zipf *none = nullptr;
    spdk_zipf_free(&none);
    spdk_zipf_free(nullptr);
}

TEST(Zipf, DrawsSkewedRepeatableValuesInRange) {
    constexpr uint64_t kRange = 1000;
    constexpr int kDraws = 200000;
    spdk_zipf *a = spdk_zipf_create(kRange, 0.99, 7);
    spdk_zipf *b = spdk_zipf_create(kRange, 0.99, 7);
    ASSERT_NE(a, nullptr);
    std::vector<int> counts(kRange);
    bool same = true;
    for (int i = 0; i < kDraws; ++i) {
        const uint64_t v = spdk_zipf_generate(a);
        ASSERT_LT(v, kRange);
        counts[v]++;
        same = same && spdk_zipf_generate(b) == v;
    }
    EXPECT_TRUE(same);
    // P(0) = 1 / zeta(1000, 0.99) = 0.1294, P(1) = 0.5^0.99 P(0) = 0.0651.
    EXPECT_NEAR(counts[0] / double(kDraws), 0.1294, 0.005);
    EXPECT_NEAR(counts[1] / double(kDraws), 0.0651, 0.005);
    EXPECT_GT(counts[1], counts[10]);
    EXPECT_GT(counts[10], counts[500]);
    spdk_zipf_free(&a);
    spdk_zipf_free(&b);
    EXPECT_EQ(a, nullptr);
}

TEST(Zipf, ThetaZeroIsUniformAndHugeRangesAreQuick) {
    spdk_zipf *z = spdk_zipf_create(4, 0.0, 3);
    ASSERT_NE(z, nullptr);
    std::vector<int> counts(4);
    for (int i = 0; i < 40000; ++i) {
        counts[spdk_zipf_generate(z)]++;
    }
    for (int c : counts) {
        EXPECT_NEAR(c, 10000, 600);
    }
    spdk_zipf_free(&z);
    z = spdk_zipf_create(1, 0.9, 3);
    ASSERT_NE(z, nullptr);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(spdk_zipf_generate(z), 0U);
    }
    spdk_zipf_free(&z);
    // 2^40 values: creation sums 2^20 terms exactly and integrates the rest.
    z = spdk_zipf_create(1ULL << 40, 0.5, 3);
    ASSERT_NE(z, nullptr);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_LT(spdk_zipf_generate(z), 1ULL << 40);
    }
    spdk_zipf_free(&z);
}

}  // namespace
