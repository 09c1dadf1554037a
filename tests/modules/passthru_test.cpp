// The passthru bdev written on the wrappers, driven as SPDK's is: through SPDK JSON
// configs with SPDK's method names.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>

#include "module_fixture.hpp"
#include "passthru.hpp"
#include "spdk/bdev.h"
#include "spdk/json.h"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/subsystems.hpp"

namespace spdkcpp {
namespace {

using passthru::PassthruOps;

using PassthruTest = testing::ModuleFixture;

constexpr const char *kCreate =
    R"({"method":"bdev_passthru_create","params":{"base_bdev_name":"Malloc0","name":"PT0"}})";

TEST_F(PassthruTest, StackedIoGivesTheBaseBytes) {
    ASSERT_TRUE(apply(kCreate));
    run([]() -> Task<int> {
        auto pt = TypedBdev<PassthruOps>::lookup("PT0");
        EXPECT_TRUE(pt) << pt.error().message();
        EXPECT_EQ(pt->ops().base().name(), "Malloc0");
        EXPECT_EQ(pt->bdev().product_name(), "passthru");
        auto top = BdevDesc::open("PT0", OpenMode::ReadWrite);
        auto base = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_TRUE(top && base);
        EXPECT_EQ(top->bdev().num_blocks(), base->bdev().num_blocks());
        auto tch = top->io_channel();
        auto bch = base->io_channel();
        auto out = *DmaBuf::alloc(4096);
        for (std::size_t i = 0; i < out.size(); ++i) {
            out.data()[i] = std::byte(i * 13 + 1);
        }
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
        EXPECT_TRUE(co_await top->flush(*tch, 0, 4096));
        // The base is claimed: a writer cannot open it underneath the passthru.
        EXPECT_FALSE(BdevDesc::open("Malloc0", OpenMode::ReadWrite));
        co_return 0;
    }());
}

TEST_F(PassthruTest, APassthruConfiguredBeforeItsBaseAppearsWithIt) {
    ASSERT_TRUE(apply(
        R"({"method":"bdev_passthru_create","params":{"base_bdev_name":"Later","name":"PT1"}})"));
    EXPECT_FALSE(exists("PT1"));
    ASSERT_TRUE(apply(
        R"({"method":"bdev_malloc_create","params":{"name":"Later","num_blocks":64,"block_size":512}})"));
    EXPECT_TRUE(exists("PT1"));
}

TEST_F(PassthruTest, HotRemovalOfTheBaseRemovesThePassthruAndItsReturnRestoresIt) {
    ASSERT_TRUE(apply(kCreate));
    std::optional<BdevDesc> user;
    std::optional<BdevEvent> seen;
    driver_->on(worker_, [&] {
        user.emplace(
            *BdevDesc::open("PT0", OpenMode::ReadWrite, [&](BdevEvent e, Bdev) { seen = e; }));
    });
    bool base_gone = false;
    driver_->on(app_, [&] {
        spdk_bdev_unregister(
            spdk_bdev_get_by_name("Malloc0"),
            [](void *flag, int rc) { *static_cast<bool *>(flag) = rc == 0; }, &base_gone);
    });
    driver_->run_until_idle();
    EXPECT_EQ(seen, BdevEvent::Remove);  // the user of the passthru is told
    EXPECT_TRUE(base_gone);
    EXPECT_FALSE(exists("PT0"));
    driver_->on(worker_, [&] { user.reset(); });
    ASSERT_TRUE(apply(
        R"({"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":2048,"block_size":512}})"));
    EXPECT_TRUE(exists("PT0"));
}

TEST_F(PassthruTest, DeleteRemovesTheBdevAndItsConfiguration) {
    ASSERT_TRUE(apply(kCreate));
    ASSERT_TRUE(apply(R"({"method":"bdev_passthru_delete","params":{"name":"PT0"}})"));
    EXPECT_FALSE(exists("PT0"));
    // The base is free again: a writer may open it.
    EXPECT_TRUE(driver_->on(
        app_, [] { return static_cast<bool>(BdevDesc::open("Malloc0", OpenMode::ReadWrite)); }));
    // Deleting what does not exist is an error.
    EXPECT_FALSE(apply(R"({"method":"bdev_passthru_delete","params":{"name":"PT0"}})"));
}

TEST_F(PassthruTest, BadRequestsAreRefusedAndChangeNothing) {
    // Missing name, unknown member, wrong type.
    EXPECT_FALSE(
        apply(R"({"method":"bdev_passthru_create","params":{"base_bdev_name":"Malloc0"}})"));
    EXPECT_FALSE(apply(
        R"({"method":"bdev_passthru_create","params":{"base_bdev_name":"Malloc0","name":"X","size":1}})"));
    EXPECT_FALSE(
        apply(R"({"method":"bdev_passthru_create","params":{"base_bdev_name":7,"name":"X"}})"));
    EXPECT_FALSE(exists("X"));
    // A second passthru on a claimed base, and a name configured twice.
    ASSERT_TRUE(apply(kCreate));
    EXPECT_FALSE(apply(
        R"({"method":"bdev_passthru_create","params":{"base_bdev_name":"Malloc0","name":"PT9"}})"));
    EXPECT_FALSE(exists("PT9"));
    EXPECT_FALSE(apply(kCreate));
    EXPECT_TRUE(exists("PT0"));
}

TEST_F(PassthruTest, ItsConfigurationReplaysToTheSameStack) {
    ASSERT_TRUE(apply(kCreate));
    const std::string saved = saved_config();
    EXPECT_NE(saved.find(R"("method":"bdev_passthru_create")"), std::string::npos) << saved;
    EXPECT_NE(saved.find(R"("base_bdev_name":"Malloc0")"), std::string::npos) << saved;
    const std::string uuid = driver_->on(app_, [] { return (*Bdev::lookup("PT0")).uuid(); });
    EXPECT_NE(saved.find(uuid), std::string::npos) << saved;
}

}  // namespace
}  // namespace spdkcpp
