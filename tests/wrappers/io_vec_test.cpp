#include "spdkcpp/io_vec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace spdkcpp {
namespace {

// A view of a temporary buffer would dangle: it must not compile.
static_assert(std::is_constructible_v<IoVec, DmaBuf &>);
static_assert(!std::is_constructible_v<IoVec, DmaBuf &&>);
static_assert(!std::is_constructible_v<IoVec, DmaBuf>);

TEST(IoVec, ViewsAWholeBuffer) {
    auto buf = DmaBuf::alloc(4096);
    ASSERT_TRUE(buf);
    const IoVec v(*buf);
    EXPECT_EQ(v.data(), buf->data());
    EXPECT_EQ(v.size(), 4096U);
    EXPECT_EQ(v.as_iovec().iov_base, buf->data());
    EXPECT_EQ(v.as_iovec().iov_len, 4096U);
}

TEST(IoVec, FromSpanAndSubview) {
    std::array<std::byte, 64> storage{};
    const IoVec v(storage);
    auto sub = v.subview(8, 16);
    ASSERT_TRUE(sub);
    EXPECT_EQ(sub->data(), storage.data() + 8);
    EXPECT_EQ(sub->size(), 16U);
    EXPECT_EQ(v.subview(60, 8).error().kind(), ErrorKind::InvalidParameter);
}

TEST(IoVec, NullBaseWithLengthIsInvalid) {
    auto bad = IoVec::from_raw(nullptr, 16);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidParameter);
    auto empty = IoVec::from_raw(nullptr, 0);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(IoVec, SpanOfIoVecsIsASpanOfIovecsWithoutCopy) {
    auto a = DmaBuf::alloc(512);
    auto b = DmaBuf::alloc(1024);
    ASSERT_TRUE(a && b);
    const std::array<IoVec, 2> vecs{IoVec(*a), IoVec(*b)};
    const std::span<const iovec> iovs = as_iovecs(vecs);
    ASSERT_EQ(iovs.size(), 2U);
    EXPECT_EQ(static_cast<const void *>(iovs.data()), static_cast<const void *>(vecs.data()));
    EXPECT_EQ(iovs[1].iov_base, b->data());
    EXPECT_EQ(iovs[1].iov_len, 1024U);
    EXPECT_EQ(total_size(iovs), 1536U);
}

TEST(IoVec, RangeOfDmaBufsIsASpanOfIovecsWithoutCopy) {
    std::vector<DmaBuf> bufs;
    for (std::size_t size : {512, 4096, 8192}) {
        auto buf = DmaBuf::alloc(size);
        ASSERT_TRUE(buf);
        bufs.push_back(std::move(*buf));
    }
    const std::span<const iovec> iovs = as_iovecs(bufs);
    ASSERT_EQ(iovs.size(), 3U);
    EXPECT_EQ(static_cast<const void *>(iovs.data()), static_cast<const void *>(bufs.data()));
    for (std::size_t i = 0; i < bufs.size(); ++i) {
        EXPECT_EQ(iovs[i].iov_base, bufs[i].data());
        EXPECT_EQ(iovs[i].iov_len, bufs[i].size());
    }
}

}  // namespace
}  // namespace spdkcpp
