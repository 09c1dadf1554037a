#include "spdkcpp/zipf.hpp"

#include <gtest/gtest.h>

#include <type_traits>
#include <vector>

namespace spdkcpp {
namespace {

static_assert(!std::is_copy_constructible_v<Zipf> && std::is_nothrow_move_constructible_v<Zipf>);

TEST(Zipf, BadArgumentsAreErrors) {
    EXPECT_EQ(Zipf::create(0, 0.5).error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(Zipf::create(10, -0.1).error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(Zipf::create(10, 1.0).error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(Zipf::create(10, std::nan("")).error().kind(), ErrorKind::InvalidParameter);
}

TEST(Zipf, ValuesStayInRangeAndTheFirstIsHottest) {
    auto z = Zipf::create(100, 0.9, 7);
    ASSERT_TRUE(z) << z.error().message();
    std::vector<int> counts(100);
    for (int i = 0; i < 20000; ++i) {
        const uint64_t v = z->next();
        ASSERT_LT(v, 100U);
        ++counts[v];
    }
    EXPECT_GT(counts[0], counts[1]);
    EXPECT_GT(counts[1], counts[50]);
    EXPECT_GT(counts[0], 10 * counts[99]);
}

TEST(Zipf, MovedFromOwnsNothing) {
    auto a = Zipf::create(1000, 0.5, 42);
    ASSERT_TRUE(a);
    Zipf moved = std::move(*a);  // the moved-from owner frees nothing
    EXPECT_TRUE(moved);
    EXPECT_FALSE(*a);
    EXPECT_LT(moved.next(), 1000U);
}

#ifdef SPDKCPP_TEST_EMBEDDED
// SPDK 25.09 ignores the seed (its generator seeds itself); the runtime keeps it.
TEST(Zipf, TheSameSeedGivesTheSameSequence) {
    auto a = Zipf::create(1000, 0.5, 42);
    auto b = Zipf::create(1000, 0.5, 42);
    ASSERT_TRUE(a && b);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(a->next(), b->next());
    }
}
#endif

}  // namespace
}  // namespace spdkcpp
