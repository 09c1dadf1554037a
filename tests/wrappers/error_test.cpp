#include "spdkcpp/error.hpp"

#include <gtest/gtest.h>

#include <system_error>

namespace spdkcpp {
namespace {

TEST(Error, FromNegativeAndPositiveErrnoAgree) {
    const Error neg = Error::from_errno(-ENODEV, "Malloc9");
    const Error pos = Error::from_errno(ENODEV, "Malloc9");
    EXPECT_EQ(neg.code(), ENODEV);
    EXPECT_EQ(pos.code(), ENODEV);
    EXPECT_EQ(neg.kind(), ErrorKind::BdevNotFound);
    EXPECT_EQ(neg, pos);
}

TEST(Error, KindsOfCommonErrnoValues) {
    EXPECT_EQ(Error::from_errno(-EINVAL).kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(Error::from_errno(-ENOMEM).kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(Error::from_errno(-ENOTSUP).kind(), ErrorKind::NotSupported);
    EXPECT_EQ(Error::from_errno(-EIO).kind(), ErrorKind::IoFailed);
    EXPECT_EQ(Error::from_errno(-ECANCELED).kind(), ErrorKind::Cancelled);
    EXPECT_EQ(Error::from_errno(-EBADF).kind(), ErrorKind::PermissionDenied);
    EXPECT_EQ(Error::from_errno(-ETIMEDOUT).kind(), ErrorKind::Other);
}

TEST(Error, KindWithoutCodeGetsItsErrno) {
    const Error e(ErrorKind::WrongThread, "put on thread 2");
    EXPECT_EQ(e.code(), EXDEV);
    // Its message does not borrow EXDEV's misleading text.
    EXPECT_EQ(e.message(), "wrong thread: put on thread 2 (EXDEV)");
    EXPECT_EQ(Error(ErrorKind::Closed).code(), EBADF);
    EXPECT_EQ(Error(ErrorKind::OutOfMemory).code(), ENOMEM);
}

TEST(Error, StalledSaysSo) {
    const Error e(ErrorKind::Stalled, "the task is still waiting");
    EXPECT_EQ(e.code(), EDEADLK);
    EXPECT_EQ(e.message().rfind("stalled: the task is still waiting", 0), 0u) << e.message();
}

TEST(Error, MessageNamesKindContextAndErrno) {
    const Error e = Error::from_errno(-ENODEV, "no bdev named 'Nope'");
    EXPECT_EQ(e.message(), "bdev not found: no bdev named 'Nope' (No such device)");
    EXPECT_EQ(fmt::format("{}", e), e.message());
    EXPECT_EQ(fmt::format("{}", ErrorKind::Cancelled), "cancelled");
}

TEST(Error, ConvertsToStdErrorCode) {
    const std::error_code ec = Error::from_errno(-EINVAL);
    EXPECT_EQ(ec, std::errc::invalid_argument);
    EXPECT_EQ(Error(ErrorKind::OutOfMemory).error_code(), std::errc::not_enough_memory);
}

TEST(Result, CheckTurnsReturnCodesIntoResults) {
    EXPECT_TRUE(check(0).has_value());
    const Result<void> failed = check(-EINVAL, "offset");
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().kind(), ErrorKind::InvalidParameter);
    EXPECT_EQ(failed.error().context(), "offset");
    EXPECT_EQ(check(EIO).error().code(), EIO);
}

TEST(Result, FailBuildsAnUnexpected) {
    auto f = []() -> Result<int> { return fail(ErrorKind::Busy, "in use"); };
    const Result<int> r = f();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), ErrorKind::Busy);
    EXPECT_EQ(r.error().code(), EBUSY);
}

}  // namespace
}  // namespace spdkcpp
