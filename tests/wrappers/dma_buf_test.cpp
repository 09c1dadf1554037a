#include "spdkcpp/dma_buf.hpp"

#include <gtest/gtest.h>

#include <type_traits>
#include <vector>

namespace spdkcpp {
namespace {

static_assert(!std::is_copy_constructible_v<DmaBuf> && !std::is_copy_assignable_v<DmaBuf>);
static_assert(std::is_nothrow_move_constructible_v<DmaBuf>);
// Views of a temporary would dangle: they must not compile.
template <typename T>
concept HasBytes = requires(T &&t) {
    std::forward<T>(t).bytes();
};
static_assert(HasBytes<DmaBuf &> && HasBytes<const DmaBuf &>);
static_assert(!HasBytes<DmaBuf &&>);
template <typename T>
concept HasSubspan = requires(T &&t) {
    std::forward<T>(t).subspan(0, 1);
};
static_assert(HasSubspan<DmaBuf &> && !HasSubspan<DmaBuf &&>);

TEST(DmaBuf, AllocatesWithRequestedAlignment) {
    for (std::size_t align : {std::size_t{0}, std::size_t{64}, std::size_t{512}, std::size_t{4096},
                              std::size_t{1} << 21}) {
        auto buf = DmaBuf::alloc(4096, align);
        ASSERT_TRUE(buf) << buf.error().message();
        EXPECT_EQ(buf->size(), 4096U);
        EXPECT_GE(buf->alignment(), align == 0 ? 64U : align);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buf->data()) % (align == 0 ? 64 : align), 0U);
    }
}

TEST(DmaBuf, ZeroedIsZeroAndWritable) {
    auto buf = DmaBuf::alloc_zeroed(1 << 20);
    ASSERT_TRUE(buf);
    for (std::byte b : buf->bytes()) {
        ASSERT_EQ(b, std::byte{0});
    }
    buf->fill(std::byte{0xab});
    EXPECT_EQ(buf->bytes()[0], std::byte{0xab});
    EXPECT_EQ(buf->bytes()[(1 << 20) - 1], std::byte{0xab});
}

TEST(DmaBuf, ZeroSizeIsInvalid) {
    auto buf = DmaBuf::alloc(0);
    ASSERT_FALSE(buf);
    EXPECT_EQ(buf.error().kind(), ErrorKind::InvalidParameter);
}

TEST(DmaBuf, AlignmentNotPowerOfTwoIsInvalid) {
    for (std::size_t align : {3, 100, 4095}) {
        auto buf = DmaBuf::alloc(4096, align);
        ASSERT_FALSE(buf);
        EXPECT_EQ(buf.error().kind(), ErrorKind::InvalidParameter);
        EXPECT_NE(buf.error().context().find("power of two"), std::string::npos);
    }
}

TEST(DmaBuf, ImpossibleSizeIsOutOfMemory) {
    auto buf = DmaBuf::alloc(SIZE_MAX - 10);
    ASSERT_FALSE(buf);
    EXPECT_EQ(buf.error().kind(), ErrorKind::OutOfMemory);
    auto huge = DmaBuf::alloc(std::size_t{1} << 62);
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().kind(), ErrorKind::OutOfMemory);
}

TEST(DmaBuf, MoveTransfersOwnership) {
    auto a = DmaBuf::alloc(512);
    ASSERT_TRUE(a);
    std::byte *data = a->data();
    DmaBuf b = std::move(*a);
    EXPECT_TRUE(a->empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
    EXPECT_EQ(a->size(), 0U);
    EXPECT_EQ(b.data(), data);
    DmaBuf c;
    c = std::move(b);
    EXPECT_EQ(c.data(), data);
    EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
}

TEST(DmaBuf, SubspanIsBoundsChecked) {
    auto buf = DmaBuf::alloc(4096);
    ASSERT_TRUE(buf);
    auto inside = buf->subspan(1024, 2048);
    ASSERT_TRUE(inside);
    EXPECT_EQ(inside->data(), buf->data() + 1024);
    EXPECT_EQ(inside->size(), 2048U);
    EXPECT_TRUE(buf->subspan(4096, 0));
    EXPECT_EQ(buf->subspan(4096, 1).error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(buf->subspan(1, 4096).error().kind(), ErrorKind::InvalidParameter);
    EXPECT_FALSE(buf->subspan(SIZE_MAX, 2));
    EXPECT_FALSE(buf->subspan(2, SIZE_MAX));
}

TEST(DmaBuf, CopyFromAndCompare) {
    auto a = DmaBuf::alloc_zeroed(16);
    auto b = DmaBuf::alloc_zeroed(16);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    const std::vector<std::byte> hello{std::byte{'h'}, std::byte{'i'}};
    ASSERT_TRUE(a->copy_from(hello, 14));
    EXPECT_NE(*a, *b);
    EXPECT_EQ(a->bytes()[15], std::byte{'i'});
    auto past = a->copy_from(hello, 15);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(a->bytes()[15], std::byte{'i'});  // nothing written on failure
    auto c = DmaBuf::alloc_zeroed(32);
    ASSERT_TRUE(c);
    EXPECT_NE(*b, *c);  // different sizes
}

TEST(DmaBuf, ReleaseHandsOwnershipToCaller) {
    auto buf = DmaBuf::alloc(128);
    ASSERT_TRUE(buf);
    void *raw = buf->release();
    EXPECT_TRUE(buf->empty());
    spdk_dma_free(raw);
}

}  // namespace
}  // namespace spdkcpp
