// The error bdev written on the wrappers, driven as SPDK's is: through SPDK JSON
// configs with SPDK's method names. I/O is counted on the error bdev only: on real
// SPDK other modules examine new bdevs (GPT reads their first blocks).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "error.hpp"
#include "module_fixture.hpp"
#include "spdk/bdev.h"
#include "spdk/json.h"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/subsystems.hpp"
#include "spdkcpp/when_all.hpp"

namespace spdkcpp {
namespace {

using error_bdev::ErrorOps;
using namespace std::chrono_literals;

constexpr const char *kCreate =
    R"({"method":"bdev_error_create","params":{"base_name":"Malloc0"}})";

std::string inject(const std::string &params) {
    return R"({"method":"bdev_error_inject_error","params":{"name":"EE_Malloc0",)" + params + "}}";
}

void fill(DmaBuf &buf, int seed) {
    for (std::size_t i = 0; i < buf.size(); ++i) {
        buf.data()[i] = std::byte(static_cast<unsigned>(i * 7 + seed));
    }
}

// An I/O's outcome: ok, or the Error's kind.
std::optional<ErrorKind> outcome(const Result<void> &r) {
    return r ? std::nullopt : std::optional<ErrorKind>(r.error().kind());
}

class ErrorBdevTest : public testing::ModuleFixture {
  protected:
    // One I/O on EE_Malloc0 at block 0 from the app thread.
    std::optional<ErrorKind> read_top() {
        return run([]() -> Task<std::optional<ErrorKind>> {
            auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
            auto ch = top->io_channel();
            auto buf = *DmaBuf::alloc(512);
            co_return outcome(co_await top->read(*ch, buf, 0));
        }());
    }
    // Runs task on the app thread, moving time on while it waits (timed retries).
    template <typename T>
    std::optional<T> run_timed(Task<T> task) {
        std::optional<T> result;
        driver_->on(app_, [&] {
            spawn([](Task<T> t, std::optional<T> *out) -> Task<void> {
                out->emplace(co_await std::move(t));
            }(std::move(task), &result));
        });
        for (int i = 0; i < 1000 && !result; ++i) {
            driver_->advance(10ms);
        }
        return result;
    }
};

TEST_F(ErrorBdevTest, StackedIoGivesTheBaseBytesWhenNothingIsInjected) {
    ASSERT_TRUE(apply(kCreate));
    run([]() -> Task<int> {
        auto ee = TypedBdev<ErrorOps>::lookup("EE_Malloc0");
        EXPECT_TRUE(ee) << ee.error().message();
        EXPECT_EQ(ee->ops().base().name(), "Malloc0");
        EXPECT_EQ(ee->bdev().product_name(), "Error Injection Disk");
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto base = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_TRUE(top && base);
        EXPECT_EQ(top->bdev().num_blocks(), base->bdev().num_blocks());
        EXPECT_EQ(top->bdev().block_size(), base->bdev().block_size());
        auto tch = top->io_channel();
        auto bch = base->io_channel();
        auto out = *DmaBuf::alloc(4096);
        fill(out, 1);
        EXPECT_TRUE(co_await top->write(*tch, out, 8192));
        auto via_base = *DmaBuf::alloc_zeroed(4096);
        auto via_top = *DmaBuf::alloc_zeroed(4096);
        EXPECT_TRUE(co_await base->read(*bch, via_base, 8192));
        EXPECT_TRUE(co_await top->read(*tch, via_top, 8192));
        EXPECT_EQ(std::memcmp(via_base.data(), out.data(), 4096), 0);
        EXPECT_EQ(std::memcmp(via_top.data(), out.data(), 4096), 0);
        EXPECT_TRUE(co_await top->write_zeroes(*tch, 8192, 512));
        EXPECT_TRUE(co_await base->read(*bch, via_base, 8192));
        EXPECT_EQ(via_base.data()[0], std::byte{0});
        EXPECT_TRUE(co_await top->unmap(*tch, 0, 4096));
        EXPECT_TRUE(co_await top->flush(*tch, 0, 4096));
        // The base is claimed: a writer cannot open it underneath the error bdev.
        EXPECT_FALSE(BdevDesc::open("Malloc0", OpenMode::ReadWrite));
        co_return 0;
    }());
}

TEST_F(ErrorBdevTest, FailureFailsTheNextNumIoOfItsTypeOnly) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(inject(R"("io_type":"read","error_type":"failure","num":2)")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto buf = *DmaBuf::alloc(512);
        // Writes are not affected and do not count.
        EXPECT_TRUE(co_await top->write(*ch, buf, 0));
        EXPECT_EQ(outcome(co_await top->read(*ch, buf, 0)), ErrorKind::IoFailed);
        EXPECT_EQ(outcome(co_await top->read(*ch, buf, 512)), ErrorKind::IoFailed);
        EXPECT_TRUE(co_await top->read(*ch, buf, 0));  // num is used up
        EXPECT_TRUE(co_await top->read(*ch, buf, 0));
        co_return 0;
    }());
    // num defaults to 1.
    ASSERT_TRUE(apply(inject(R"("io_type":"write","error_type":"failure")")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto buf = *DmaBuf::alloc(512);
        EXPECT_TRUE(co_await top->read(*ch, buf, 0));
        EXPECT_EQ(outcome(co_await top->write(*ch, buf, 0)), ErrorKind::IoFailed);
        EXPECT_TRUE(co_await top->write(*ch, buf, 0));
        co_return 0;
    }());
}

TEST_F(ErrorBdevTest, AllInjectsIntoTheFourTypesAndClearRemovesInjections) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(inject(R"("io_type":"all","error_type":"failure","num":3)")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto buf = *DmaBuf::alloc(512);
        EXPECT_EQ(outcome(co_await top->read(*ch, buf, 0)), ErrorKind::IoFailed);
        EXPECT_EQ(outcome(co_await top->write(*ch, buf, 0)), ErrorKind::IoFailed);
        EXPECT_EQ(outcome(co_await top->unmap(*ch, 0, 512)), ErrorKind::IoFailed);
        EXPECT_EQ(outcome(co_await top->flush(*ch, 0, 512)), ErrorKind::IoFailed);
        // Write zeroes is never injected.
        EXPECT_TRUE(co_await top->write_zeroes(*ch, 0, 512));
        co_return 0;
    }());
    // Each type has its own count: two more of each remain, until cleared.
    // "clear" takes SPDK's required error_type too, and ignores it.
    ASSERT_TRUE(apply(inject(R"("io_type":"clear","error_type":"failure")")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto buf = *DmaBuf::alloc(512);
        EXPECT_TRUE(co_await top->read(*ch, buf, 0));
        EXPECT_TRUE(co_await top->write(*ch, buf, 0));
        EXPECT_TRUE(co_await top->unmap(*ch, 0, 512));
        EXPECT_TRUE(co_await top->flush(*ch, 0, 512));
        co_return 0;
    }());
}

TEST_F(ErrorBdevTest, CorruptDataFlipsAByteOfTheDataReadOrWritten) {
    ASSERT_TRUE(apply(kCreate));
    // A read gives the base's data with byte 100 XORed.
    ASSERT_TRUE(apply(inject(
        R"("io_type":"read","error_type":"corrupt_data","corrupt_offset":100,"corrupt_value":255)")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto out = *DmaBuf::alloc(4096);
        fill(out, 3);
        EXPECT_TRUE(co_await top->write(*ch, out, 0));
        auto in = *DmaBuf::alloc_zeroed(4096);
        EXPECT_TRUE(co_await top->read(*ch, in, 0));  // a success, with wrong bytes
        EXPECT_EQ(in.data()[100], out.data()[100] ^ std::byte{0xff});
        EXPECT_EQ(std::memcmp(in.data(), out.data(), 100), 0);
        EXPECT_EQ(std::memcmp(in.data() + 101, out.data() + 101, 4096 - 101), 0);
        EXPECT_TRUE(co_await top->read(*ch, in, 0));  // num 1: the next read is right
        EXPECT_EQ(std::memcmp(in.data(), out.data(), 4096), 0);
        co_return 0;
    }());
    // A write stores its data with byte 7 XORed (in the caller's buffer, as SPDK's).
    ASSERT_TRUE(apply(inject(
        R"("io_type":"write","error_type":"corrupt_data","corrupt_offset":7,"corrupt_value":1)")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto base = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        auto tch = top->io_channel();
        auto bch = base->io_channel();
        auto out = *DmaBuf::alloc(1024);
        auto expected = *DmaBuf::alloc(1024);
        fill(out, 5);
        fill(expected, 5);
        expected.data()[7] ^= std::byte{1};
        EXPECT_TRUE(co_await top->write(*tch, out, 4096));
        auto stored = *DmaBuf::alloc_zeroed(1024);
        EXPECT_TRUE(co_await base->read(*bch, stored, 4096));
        EXPECT_EQ(std::memcmp(stored.data(), expected.data(), 1024), 0);
        // An offset past the data changes nothing.
        co_return 0;
    }());
    ASSERT_TRUE(apply(inject(
        R"("io_type":"read","error_type":"corrupt_data","corrupt_offset":4096,"corrupt_value":9)")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto a = *DmaBuf::alloc_zeroed(512);
        auto b = *DmaBuf::alloc_zeroed(512);
        EXPECT_TRUE(co_await top->read(*ch, a, 0));
        EXPECT_TRUE(co_await top->read(*ch, b, 0));
        EXPECT_EQ(std::memcmp(a.data(), b.data(), 512), 0);
        co_return 0;
    }());
}

TEST_F(ErrorBdevTest, NomemIsRetriedByTheBdevLayerUntilTheCountIsUsedUp) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(run([]() -> Task<Result<void>> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto out = *DmaBuf::alloc(512);
        fill(out, 9);
        co_return co_await top->write(*ch, out, 0);
    }()));
    ASSERT_TRUE(apply(inject(R"("io_type":"read","error_type":"nomem","num":3)")));
    auto r = run_timed([]() -> Task<Result<void>> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto in = *DmaBuf::alloc_zeroed(512);
        auto out = *DmaBuf::alloc(512);
        fill(out, 9);
        Result<void> read = co_await top->read(*ch, in, 0);
        EXPECT_EQ(std::memcmp(in.data(), out.data(), 512), 0);
        co_return read;
    }());
    ASSERT_TRUE(r) << "the read never completed";
    EXPECT_TRUE(*r) << r->error().message();
    // The three NOMEM answers used the count up.
    EXPECT_EQ(read_top(), std::nullopt);
}

TEST_F(ErrorBdevTest, QueueDepthInjectsOnlyWhileThatManyIoAreAtTheBase) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(inject(R"("io_type":"read","error_type":"failure","queue_depth":1)")));
    // Alone, a read finds nothing at the base: no error, the count stays.
    EXPECT_EQ(read_top(), std::nullopt);
    auto [a, b] = run([]() -> Task<std::pair<bool, bool>> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        auto read = [](BdevDesc &d, BdevChannel &c) -> Task<bool> {
            auto buf = *DmaBuf::alloc(512);
            co_return static_cast<bool>(co_await d.read(c, buf, 0));
        };
        auto [x, y] = co_await when_all(read(*top, *ch), read(*top, *ch));
        co_return std::pair{x, y};
    }());
    // The first is at the base when the second arrives: the second fails.
    EXPECT_TRUE(a);
    EXPECT_FALSE(b);
    EXPECT_EQ(read_top(), std::nullopt);  // used up
}

TEST_F(ErrorBdevTest, PendingHoldsIoUntilAResetAbortsIt) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(inject(R"("io_type":"read","error_type":"pending")")));
    run([]() -> Task<int> {
        auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite);
        auto ch = top->io_channel();
        std::optional<Result<void>> held;
        spawn([](BdevDesc &d, BdevChannel &c, std::optional<Result<void>> &out) -> Task<void> {
            auto buf = *DmaBuf::alloc(512);
            out.emplace(co_await d.read(c, buf, 0));
        }(*top, *ch, held));
        auto buf = *DmaBuf::alloc(512);
        // Other I/O goes on around it (num 1: the next read passes).
        EXPECT_TRUE(co_await top->read(*ch, buf, 0));
        EXPECT_TRUE(co_await top->write(*ch, buf, 0));
        EXPECT_FALSE(held.has_value());
        EXPECT_TRUE(co_await top->reset(*ch));
        EXPECT_TRUE(co_await top->read(*ch, buf, 0));
        EXPECT_TRUE(held.has_value());
        if (held) {
            EXPECT_EQ(outcome(*held), ErrorKind::IoFailed);  // aborted
        }
        co_return 0;
    }());
}

TEST_F(ErrorBdevTest, DeletingWithPendingIoInFlightAbortsItAndFinishes) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(inject(R"("io_type":"read","error_type":"pending","num":4)")));
    std::optional<Result<void>> held;
    std::optional<BdevEvent> seen;
    // A user on another thread whose read is held; it lets the bdev go once told.
    driver_->on(worker_, [&] {
        spawn([](std::optional<Result<void>> &out, std::optional<BdevEvent> &ev) -> Task<void> {
            auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite,
                                      [&ev](BdevEvent e, Bdev) { ev = e; });
            auto ch = top->io_channel();
            auto buf = *DmaBuf::alloc(512);
            out.emplace(co_await top->read(*ch, buf, 0));
        }(held, seen));
    });
    driver_->run_until_idle();
    EXPECT_FALSE(held.has_value());
    ASSERT_TRUE(apply(R"({"method":"bdev_error_delete","params":{"name":"EE_Malloc0"}})"));
    EXPECT_EQ(seen, BdevEvent::Remove);
    ASSERT_TRUE(held.has_value());
    EXPECT_EQ(outcome(*held), ErrorKind::IoFailed);
    EXPECT_FALSE(exists("EE_Malloc0"));
    EXPECT_TRUE(driver_->on(
        app_, [] { return static_cast<bool>(BdevDesc::open("Malloc0", OpenMode::ReadWrite)); }));
}

TEST_F(ErrorBdevTest, AnErrorBdevConfiguredBeforeItsBaseAppearsWithIt) {
    ASSERT_TRUE(apply(R"({"method":"bdev_error_create","params":{"base_name":"Later"}})"));
    EXPECT_FALSE(exists("EE_Later"));
    ASSERT_TRUE(apply(
        R"({"method":"bdev_malloc_create","params":{"name":"Later","num_blocks":64,"block_size":512}})"));
    EXPECT_TRUE(exists("EE_Later"));
}

TEST_F(ErrorBdevTest, HotRemovalOfTheBaseRemovesTheErrorBdevAndItsConfiguration) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(inject(R"("io_type":"read","error_type":"pending","num":4)")));
    std::optional<BdevEvent> seen;
    std::optional<Result<void>> held;
    driver_->on(worker_, [&] {
        spawn([](std::optional<Result<void>> &out, std::optional<BdevEvent> &ev) -> Task<void> {
            auto top = BdevDesc::open("EE_Malloc0", OpenMode::ReadWrite,
                                      [&ev](BdevEvent e, Bdev) { ev = e; });
            auto ch = top->io_channel();
            auto buf = *DmaBuf::alloc(512);
            out.emplace(co_await top->read(*ch, buf, 0));
        }(held, seen));
    });
    bool base_gone = false;
    driver_->on(app_, [&] {
        spdk_bdev_unregister(
            spdk_bdev_get_by_name("Malloc0"),
            [](void *flag, int rc) { *static_cast<bool *>(flag) = rc == 0; }, &base_gone);
    });
    driver_->run_until_idle();
    EXPECT_EQ(seen, BdevEvent::Remove);  // the user of the error bdev is told
    ASSERT_TRUE(held.has_value());       // and its held read let go
    EXPECT_FALSE(*held);
    EXPECT_TRUE(base_gone);
    EXPECT_FALSE(exists("EE_Malloc0"));
    // As SPDK's: the configuration went with the bdev, so the base comes back alone.
    EXPECT_EQ(saved_config().find("bdev_error_create"), std::string::npos);
    ASSERT_TRUE(apply(
        R"({"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":2048,"block_size":512}})"));
    EXPECT_FALSE(exists("EE_Malloc0"));
}

TEST_F(ErrorBdevTest, DeleteRemovesTheBdevAndItsConfiguration) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(R"({"method":"bdev_error_delete","params":{"name":"EE_Malloc0"}})"));
    EXPECT_FALSE(exists("EE_Malloc0"));
    EXPECT_EQ(saved_config().find("bdev_error_create"), std::string::npos);
    // The base is free again: a writer may open it, and a new error bdev be made.
    EXPECT_TRUE(driver_->on(
        app_, [] { return static_cast<bool>(BdevDesc::open("Malloc0", OpenMode::ReadWrite)); }));
    // Deleting what does not exist, or a bdev of another module, is an error.
    EXPECT_FALSE(apply(R"({"method":"bdev_error_delete","params":{"name":"EE_Malloc0"}})"));
    EXPECT_FALSE(apply(R"({"method":"bdev_error_delete","params":{"name":"Malloc0"}})"));
    EXPECT_TRUE(exists("Malloc0"));
    ASSERT_TRUE(apply(kCreate));
    EXPECT_TRUE(exists("EE_Malloc0"));
}

TEST_F(ErrorBdevTest, BadRequestsAreRefusedAndChangeNothing) {
    // Create: no base_name, an unknown member, a bad UUID, the same base twice.
    EXPECT_FALSE(apply(R"({"method":"bdev_error_create","params":{}})"));
    EXPECT_FALSE(
        apply(R"({"method":"bdev_error_create","params":{"base_name":"Null0","name":"X"}})"));
    EXPECT_FALSE(
        apply(R"({"method":"bdev_error_create","params":{"base_name":"Null0","uuid":"nope"}})"));
    EXPECT_FALSE(exists("EE_Null0"));
    EXPECT_EQ(saved_config().find("bdev_error_create"), std::string::npos);
    ASSERT_TRUE(apply(kCreate));
    EXPECT_FALSE(apply(kCreate));
    EXPECT_TRUE(exists("EE_Malloc0"));

    // Inject: each refused, and no read fails afterwards.
    for (const char *bad : {
             R"("io_type":"reed","error_type":"failure")",
             R"("io_type":"write_zeroes","error_type":"failure")",
             R"("io_type":"read","error_type":"explode")",
             R"("io_type":"read")",
             R"("error_type":"failure")",
             R"("io_type":"read","error_type":"failure","num":-1)",
             R"("io_type":"read","error_type":"failure","bogus":1)",
             R"("io_type":"read","error_type":"corrupt_data","corrupt_offset":1)",
             R"("io_type":"read","error_type":"corrupt_data","corrupt_value":256)",
         }) {
        EXPECT_FALSE(apply(inject(bad))) << bad;
    }
    EXPECT_FALSE(apply(
        R"({"method":"bdev_error_inject_error","params":{"io_type":"read","error_type":"failure"}})"));
    EXPECT_FALSE(apply(
        R"({"method":"bdev_error_inject_error","params":{"name":"EE_Nope","io_type":"read","error_type":"failure"}})"));
    EXPECT_FALSE(apply(
        R"({"method":"bdev_error_inject_error","params":{"name":"Malloc0","io_type":"read","error_type":"failure"}})"));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(read_top(), std::nullopt);
    }
    // Delete: no name.
    EXPECT_FALSE(apply(R"({"method":"bdev_error_delete","params":{}})"));
    EXPECT_TRUE(exists("EE_Malloc0"));
}

TEST_F(ErrorBdevTest, ItsConfigurationReplaysToTheSameStack) {
    ASSERT_TRUE(apply(kCreate));
    const std::string derived =
        driver_->on(app_, [] { return std::string(Bdev::lookup("EE_Malloc0")->uuid()); });
    std::string saved = saved_config();
    EXPECT_NE(saved.find(R"("method":"bdev_error_create")"), std::string::npos) << saved;
    EXPECT_NE(saved.find(R"("base_name":"Malloc0")"), std::string::npos) << saved;
    EXPECT_EQ(saved.find(derived), std::string::npos) << "a derived UUID is not saved";
    // The derived UUID is the same every time the stack is made.
    ASSERT_TRUE(apply(R"({"method":"bdev_error_delete","params":{"name":"EE_Malloc0"}})"));
    ASSERT_TRUE(apply(kCreate));
    EXPECT_EQ(driver_->on(app_, [] { return std::string(Bdev::lookup("EE_Malloc0")->uuid()); }),
              derived);
    // A given UUID is the bdev's and is saved (SPDK writes it in lower case).
    ASSERT_TRUE(apply(
        R"({"method":"bdev_error_create","params":{"base_name":"Null0","uuid":"0E8D5E3A-1B2C-4D5E-8F90-123456789ABC"}})"));
    EXPECT_EQ(driver_->on(app_, [] { return std::string(Bdev::lookup("EE_Null0")->uuid()); }),
              "0e8d5e3a-1b2c-4d5e-8f90-123456789abc");
    saved = saved_config();
    EXPECT_NE(saved.find(R"("uuid":"0e8d5e3a-1b2c-4d5e-8f90-123456789abc")"), std::string::npos)
        << saved;
    // dump_info_json names the base, as SPDK's.
    const std::string info = driver_->on(app_, [] {
        std::string out;
        spdk_json_write_ctx *w = spdk_json_write_begin(
            [](void *ctx, const void *data, size_t size) {
                static_cast<std::string *>(ctx)->append(static_cast<const char *>(data), size);
                return 0;
            },
            &out, 0);
        spdk_json_write_object_begin(w);
        spdk_bdev_dump_info_json(spdk_bdev_get_by_name("EE_Null0"), w);
        spdk_json_write_object_end(w);
        spdk_json_write_end(w);
        return out;
    });
    EXPECT_NE(info.find(R"("error_disk":{"base_bdev":"Null0"})"), std::string::npos) << info;
}

}  // namespace
}  // namespace spdkcpp
