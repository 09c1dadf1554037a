// Bdevs written in C++: the module, the builder, typed module I/O, typed lookup,
// claims, forwarding to a base bdev, and unregistration with I/O in flight.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bdev_fixture.hpp"
#include "spdk/rpc.h"
#include "spdkcpp/bdev_builder.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/bdev_module.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/scheduling.hpp"

namespace spdkcpp {
namespace {

// A RAM disk. Reads without a buffer borrow one through get_buf; with `hold` set,
// I/O is parked until release() (to have I/O in flight at a chosen moment).
struct MemOps {
    struct Channel {
        explicit Channel(MemOps &owner) : ops(&owner) { ++owner.channels; }
        Channel(Channel &&) = delete;
        ~Channel() { --ops->channels; }
        MemOps *ops;
    };
    struct IoContext {
        uint32_t submissions;
    };

    explicit MemOps(uint64_t bytes) : data(bytes) {}

    void submit(Channel &, BdevIo<MemOps> io) {
        io.ctx().submissions = ++submitted;
        if (hold) {
            held.push_back(std::move(io));
            return;
        }
        serve(std::move(io));
    }
    void serve(BdevIo<MemOps> io) {
        if (io.type() == IoType::Read && !io.has_buf()) {
            spawn(read_into_lent_buffer(this, std::move(io)));
            return;
        }
        std::byte *at = data.data() + io.offset_blocks() * io.block_size();
        switch (io.type()) {
            case IoType::Read:
                for (const iovec &v : io.iovs()) {
                    std::memcpy(v.iov_base, at, v.iov_len);
                    at += v.iov_len;
                }
                break;
            case IoType::Write:
                for (const iovec &v : io.iovs()) {
                    std::memcpy(at, v.iov_base, v.iov_len);
                    at += v.iov_len;
                }
                break;
            case IoType::WriteZeroes:
                std::fill_n(at, io.length_bytes(), std::byte{0});
                break;
            case IoType::Flush:
                break;
            default:
                return std::move(io).fail(ENOTSUP);
        }
        std::move(io).complete();
    }
    static Task<void> read_into_lent_buffer(MemOps *self, BdevIo<MemOps> io) {
        if (auto got = co_await io.get_buf(); !got) {
            std::move(io).complete(IoStatus::Failed);
            co_return;
        }
        ++self->lent_buffers;
        self->serve(std::move(io));
    }
    void release() {
        auto parked = std::move(held);
        held.clear();
        for (auto &io : parked) {
            serve(std::move(io));
        }
    }
    bool supports(IoType t) const {
        return t == IoType::Read || t == IoType::Write || t == IoType::WriteZeroes ||
               t == IoType::Flush;
    }
    void destruct() { destructed = true; }
    void dump_info_json(JsonWriter &w) const {
        w.named_object("mem", [&] { w.named("bytes", data.size()); });
    }

    std::vector<std::byte> data;
    std::vector<BdevIo<MemOps>> held;
    bool hold = false;
    uint32_t submitted = 0;
    int channels = 0;
    int lent_buffers = 0;
    bool destructed = false;
};

// Stacked on a base bdev: claims it and forwards every I/O.
struct FwdOps {
    struct Channel {
        static Result<Channel> create(FwdOps &ops) {
            auto ch = ops.base.io_channel();
            if (!ch) {
                return fail(ch.error());
            }
            return Channel{std::move(*ch)};
        }
        BdevChannel base;
    };

    void submit(Channel &ch, BdevIo<FwdOps> io) { std::move(io).forward(ch.base); }
    bool supports(IoType t) const { return base.bdev().supports(t); }

    BdevDesc base;  // claimed: the claim ends when it closes
};

struct TestModule {
    std::vector<std::string> examined;
    void examine_config(Bdev b) { examined.emplace_back(b.name()); }
};

BdevModule<TestModule, MemOps, FwdOps> test_module{"spdkcpp_test"};

// A module whose start and stop take a while (they wait a round of messages).
struct SlowModule {
    bool started = false;
    static inline int finished = 0;
    Task<Result<void>> init() {
        co_await yield();
        started = true;
        co_return {};
    }
    Task<void> fini() {
        co_await yield();
        ++finished;
    }
};
BdevModule<SlowModule, MemOps> slow_module{"spdkcpp_test_slow"};

// A module that fails to start when asked to (off for every other test).
struct BrittleModule {
    static inline bool fail_start = false;
    Result<void> init() {
        if (fail_start) {
            return fail(ErrorKind::IoFailed, "its backing store is gone");
        }
        return {};
    }
};
BdevModule<BrittleModule, MemOps> brittle_module{"spdkcpp_test_brittle"};

using BdevModuleTest = testing::BdevFixture;
using BdevModuleLifeTest = testing::DriverFixture;

TEST_F(BdevModuleLifeTest, TheSubsystemWaitsForAModulesAsyncInitAndFini) {
    EXPECT_EQ(slow_module.get(), nullptr);
    auto up =
        driver_->run(app_, []() -> Task<Result<void>> { co_return co_await init_subsystems(); }());
    ASSERT_TRUE(up) << up.error().message();
    ASSERT_NE(slow_module.get(), nullptr);
    EXPECT_TRUE(slow_module.get()->started);  // init finished before the subsystem was up
    const int before = SlowModule::finished;
    auto down = driver_->run(app_, []() -> Task<int> {
        co_await fini_subsystems();
        co_return 0;
    }());
    ASSERT_TRUE(down);
    EXPECT_EQ(SlowModule::finished, before + 1);
    EXPECT_EQ(slow_module.get(), nullptr);
}

// A module that fails to start fails init_subsystems, at the wrapper's level: the
// caller gets an Error (not a hang), SPDK's RPC state stays STARTUP (RUNTIME
// methods stay refused), the module has no instance, and the subsystems still
// finish.
TEST_F(BdevModuleLifeTest, AModuleThatFailsToStartFailsInitSubsystems) {
    BrittleModule::fail_start = true;
    auto up =
        driver_->run(app_, []() -> Task<Result<void>> { co_return co_await init_subsystems(); }());
    BrittleModule::fail_start = false;
    ASSERT_FALSE(up);
    EXPECT_NE(up.error().kind(), ErrorKind::Stalled) << up.error().message();
    EXPECT_EQ(up.error().context(), "subsystem initialization") << up.error().message();
    EXPECT_EQ(spdk_rpc_get_state(), SPDK_RPC_STARTUP);
    EXPECT_EQ(brittle_module.get(), nullptr);
    auto down = driver_->run(app_, []() -> Task<int> {
        co_await fini_subsystems();
        co_return 0;
    }());
    EXPECT_TRUE(down) << down.error().message();
}

Task<Result<BdevRegistration<MemOps>>> make_mem(std::string name, uint64_t blocks = 64) {
    co_return test_module.bdev<MemOps>()
        .name(std::move(name))
        .product_name("RAM disk")
        .block_size(512)
        .block_count(blocks)
        .build(blocks * 512);
}

TEST_F(BdevModuleTest, ARegisteredBdevServesIoThroughItsOps) {
    run([]() -> Task<int> {
        auto reg = co_await make_mem("Mem0");
        EXPECT_TRUE(reg) << reg.error().message();
        EXPECT_EQ(reg->name(), "Mem0");
        auto desc = BdevDesc::open("Mem0", OpenMode::ReadWrite);
        EXPECT_TRUE(desc);
        EXPECT_EQ(desc->bdev().num_blocks(), 64U);
        EXPECT_EQ(desc->bdev().product_name(), "RAM disk");
        EXPECT_TRUE(desc->bdev().supports(IoType::WriteZeroes));
        EXPECT_FALSE(desc->bdev().supports(IoType::Unmap));
        auto ch = desc->io_channel();
        EXPECT_EQ(reg->ops().channels, 1);
        auto out = *DmaBuf::alloc(1024);
        for (std::size_t i = 0; i < out.size(); ++i) {
            out.data()[i] = std::byte(i * 7);
        }
        EXPECT_TRUE(co_await desc->write(*ch, out, 512));
        auto in = *DmaBuf::alloc_zeroed(1024);
        EXPECT_TRUE(co_await desc->read(*ch, in, 512));
        EXPECT_EQ(std::memcmp(in.data(), out.data(), 1024), 0);
        // At least ours: on SPDK, other modules' examine (GPT) reads new bdevs too.
        EXPECT_GE(reg->ops().submitted, 2U);
        // A type the ops refuse reaches the caller as a failed I/O.
        auto u = co_await desc->unmap(*ch, 0, 512);
        EXPECT_FALSE(u);
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, ModuleLivesWithTheSubsystemAndExaminesNewBdevs) {
    run([]() -> Task<int> {
        EXPECT_NE(test_module.get(), nullptr);
        auto reg = co_await make_mem("Mem1");
        EXPECT_TRUE(reg);
        const auto &seen = test_module.get()->examined;
        EXPECT_NE(std::find(seen.begin(), seen.end(), "Mem1"), seen.end());
        EXPECT_NE(std::find(seen.begin(), seen.end(), "Malloc0"), seen.end());
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, BadBuilderValuesAreErrors) {
    run([]() -> Task<int> {
        auto b = [](uint32_t bs, uint64_t n, std::string name = "Bad0") {
            return test_module.bdev<MemOps>()
                .name(std::move(name))
                .product_name("x")
                .block_size(bs)
                .block_count(n);
        };
        EXPECT_EQ(b(1000, 8).build(8000).error().kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(b(256, 8).build(2048).error().kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(b(512, 0).build(0).error().kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(b(512, 8, "").build(4096).error().kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(b(512, 8).uuid("not-a-uuid").build(4096).error().kind(),
                  ErrorKind::InvalidParameter);
        EXPECT_EQ(b(512, 8).required_alignment(3).build(4096).error().kind(),
                  ErrorKind::InvalidParameter);
        auto taken = b(512, 8, "Malloc0").build(4096);
        EXPECT_EQ(taken.error().kind(), ErrorKind::AlreadyExists);
        EXPECT_EQ(Bdev::lookup("Bad0").error().kind(), ErrorKind::BdevNotFound);
        auto good = b(512, 8).uuid("9d0b2b4c-6f1e-4f39-9c0a-2d8a4f1f6a11").build(4096);
        EXPECT_TRUE(good);
        EXPECT_EQ(good->bdev().uuid(), "9d0b2b4c-6f1e-4f39-9c0a-2d8a4f1f6a11");
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, LookupByTypeRefusesEveryOtherBdev) {
    run([]() -> Task<int> {
        auto reg = co_await make_mem("Mem2");
        auto mem = TypedBdev<MemOps>::lookup("Mem2");
        EXPECT_TRUE(mem);
        EXPECT_EQ(&mem->ops(), &reg->ops());
        EXPECT_EQ(TypedBdev<FwdOps>::lookup("Mem2").error().kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(TypedBdev<MemOps>::lookup("Malloc0").error().kind(), ErrorKind::InvalidParameter);
        EXPECT_EQ(TypedBdev<MemOps>::lookup("nope").error().kind(), ErrorKind::BdevNotFound);
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, UnregisterWaitsForTheDestructAndReportsIt) {
    run([]() -> Task<int> {
        auto reg = co_await make_mem("Mem3");
        EXPECT_TRUE(co_await reg->unregister());
        EXPECT_FALSE(*reg);
        EXPECT_EQ(Bdev::lookup("Mem3").error().kind(), ErrorKind::BdevNotFound);
        // A second unregister has nothing left to do.
        EXPECT_EQ((co_await reg->unregister()).error().kind(), ErrorKind::Closed);
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, TheOwnerForgetsABdevUnregisteredByOthers) {
    std::optional<BdevRegistration<MemOps>> reg;
    run([&]() -> Task<int> {
        reg.emplace(*co_await make_mem("Mem4"));
        EXPECT_EQ(spdk_bdev_unregister_by_name("Mem4", test_module.raw(), nullptr, nullptr), 0);
        co_return 0;
    }());
    driver_->run_until_idle();
    EXPECT_FALSE(*reg);  // told, not dangling
    EXPECT_EQ(reg->name(), "");
    driver_->on(app_, [&] { reg.reset(); });  // dropping it does nothing
}

TEST_F(BdevModuleTest, UnregisterWithIoInFlightCompletesTheIoThenTheUnregister) {
    std::optional<BdevRegistration<MemOps>> reg;
    std::optional<Result<void>> read_result;
    std::vector<std::string> order;
    run([&]() -> Task<int> {
        reg.emplace(*co_await make_mem("Mem5"));
        reg->ops().hold = true;
        co_return 0;
    }());
    auto reader = [&]() -> Task<int> {
        auto desc = BdevDesc::open("Mem5", OpenMode::ReadOnly, [&](BdevEvent e, Bdev) {
            if (e == BdevEvent::Remove)
                order.emplace_back("remove");
        });
        auto ch = desc->io_channel();
        auto buf = *DmaBuf::alloc(512);
        read_result = co_await desc->read(*ch, buf, 0);
        order.emplace_back("read done");
        co_return 0;
    };
    ASSERT_TRUE(spawn(worker_, reader()));
    driver_->run_until_idle();
    ASSERT_EQ(reg->ops().held.size(), 1U);  // the read is in flight, held by the bdev
    MemOps *ops = &reg->ops();
    auto unregister = [&]() -> Task<int> {
        auto r = co_await reg->unregister();
        EXPECT_TRUE(r) << r.error().message();
        order.emplace_back("unregistered");
        co_return 0;
    };
    ASSERT_TRUE(spawn(app_, unregister()));
    driver_->run_until_idle();
    EXPECT_FALSE(read_result.has_value());  // still held: the unregister waits for it
    ASSERT_EQ(order, std::vector<std::string>{"remove"});
    driver_->on(app_, [&] { ops->release(); });
    driver_->run_until_idle();
    ASSERT_TRUE(read_result.has_value());
    EXPECT_TRUE(*read_result);
    EXPECT_EQ(order, (std::vector<std::string>{"remove", "read done", "unregistered"}));
}

TEST_F(BdevModuleTest, ReadsWithoutABufferBorrowOneThroughGetBuf) {
    run([]() -> Task<int> {
        auto reg = co_await make_mem("Mem6");
        auto desc = BdevDesc::open("Mem6", OpenMode::ReadWrite);
        auto ch = desc->io_channel();
        auto out = *DmaBuf::alloc(512);
        out.fill(std::byte{0x3c});
        EXPECT_TRUE(co_await desc->write(*ch, out, 0));
        struct Raw {
            std::coroutine_handle<> h;
            bool ok = false;
            std::byte first{};
        } raw;
        struct Await {
            Raw *r;
            spdk_bdev_desc *d;
            spdk_io_channel *c;
            bool await_ready() { return false; }
            bool await_suspend(std::coroutine_handle<> h) {
                r->h = h;
                return spdk_bdev_read_blocks(
                           d, c, nullptr, 0, 1,
                           [](spdk_bdev_io *io, bool ok, void *arg) {
                               auto *result = static_cast<Raw *>(arg);
                               result->ok = ok;
                               result->first =
                                   static_cast<std::byte *>(io->u.bdev.iovs[0].iov_base)[0];
                               spdk_bdev_free_io(io);
                               result->h.resume();
                           },
                           r) == 0;
            }
            void await_resume() {}
        };
        co_await Await{&raw, desc->raw(), ch->raw()};
        EXPECT_TRUE(raw.ok);
        EXPECT_EQ(raw.first, std::byte{0x3c});
        EXPECT_EQ(reg->ops().lent_buffers, 1);
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, AClaimEndsWhenReleasedOrWhenItsDescriptorCloses) {
    run([]() -> Task<int> {
        auto a = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_TRUE(a->claim(test_module.raw()));
        EXPECT_TRUE(a->claimed());
        EXPECT_TRUE(a->writable());  // the claim makes it the writer
        EXPECT_EQ(a->claim(test_module.raw()).error().kind(), ErrorKind::Busy);
        auto b = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_EQ(b->claim(test_module.raw()).error().kind(), ErrorKind::Busy);
        EXPECT_TRUE(a->release_claim());
        EXPECT_EQ(a->release_claim().error().kind(), ErrorKind::InvalidParameter);
        EXPECT_TRUE(b->claim(test_module.raw()));
        EXPECT_TRUE(b->close());
        co_await yield();  // the close runs
        EXPECT_TRUE(a->claim(test_module.raw()));
        co_return 0;
    }());
}

// Writes one block through desc: whether it succeeded.
Task<bool> writes(BdevDesc &desc) {
    auto ch = desc.io_channel();
    auto buf = DmaBuf::alloc_zeroed(512);
    if (!ch || !buf) {
        co_return false;
    }
    co_return (co_await desc.write(*ch, *buf, 0)).has_value();
}

bool opens_for_writing(const char *name) {
    auto w = BdevDesc::open(name, OpenMode::ReadWrite);
    if (!w) {
        EXPECT_EQ(w.error().kind(), ErrorKind::PermissionDenied);
    }
    return w.has_value();
}

TEST_F(BdevModuleTest, AnExclusiveWriteClaimThroughTheDescriptorKeepsOthersFromWriting) {
    run([]() -> Task<int> {
        auto a = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_TRUE(a->claim(test_module.raw(), ClaimType::ExclusiveWrite));
        EXPECT_EQ(a->claim_type(), ClaimType::ExclusiveWrite);
        EXPECT_TRUE(co_await writes(*a));
        EXPECT_FALSE(opens_for_writing("Malloc0"));
        auto b = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        for (ClaimType t : {ClaimType::ExclusiveWrite, ClaimType::ReadManyWriteOne,
                            ClaimType::ReadManyWriteNone}) {
            auto refused = b->claim(slow_module.raw(), t);
            EXPECT_EQ(refused.error().kind(), ErrorKind::Busy);
            EXPECT_NE(refused.error().message().find("'Malloc0' is already claimed"),
                      std::string::npos)
                << refused.error().message();
        }
        EXPECT_EQ(b->claim(slow_module.raw(), ClaimType::ReadManyWriteShared, 3).error().kind(),
                  ErrorKind::Busy);
        // Closing the claimant ends its claim (SPDK keeps an EXCL_WRITE claim past
        // its descriptor: the wrapper releases it as it closes).
        EXPECT_TRUE(a->close());
        co_await yield();
        EXPECT_TRUE(opens_for_writing("Malloc0"));
        EXPECT_TRUE(b->claim(slow_module.raw(), ClaimType::ReadManyWriteNone));
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, AReadManyWriteOneClaimMakesItsDescriptorTheOnlyWriter) {
    run([]() -> Task<int> {
        auto w = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        auto a = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        // Not while another descriptor writes.
        auto refused = a->claim(test_module.raw(), ClaimType::ReadManyWriteOne);
        EXPECT_EQ(refused.error().kind(), ErrorKind::Busy);
        EXPECT_NE(refused.error().message().find("another descriptor writes"), std::string::npos)
            << refused.error().message();
        EXPECT_EQ(a->claim(test_module.raw(), ClaimType::ReadManyWriteOne, 5).error().kind(),
                  ErrorKind::InvalidParameter);
        EXPECT_TRUE(w->close());
        co_await yield();
        EXPECT_FALSE(a->writable());
        auto got = a->claim(test_module.raw(), ClaimType::ReadManyWriteOne);
        EXPECT_TRUE(got) << got.error().message();
        EXPECT_TRUE(a->writable());
        EXPECT_EQ(a->claim_type(), ClaimType::ReadManyWriteOne);
        EXPECT_TRUE(co_await writes(*a));
        EXPECT_FALSE(opens_for_writing("Malloc0"));
        auto b = BdevDesc::open("Malloc0", OpenMode::ReadOnly);  // readers still may
        EXPECT_TRUE(b);
        EXPECT_EQ(b->claim(slow_module.raw(), ClaimType::ReadManyWriteOne).error().kind(),
                  ErrorKind::Busy);
        EXPECT_EQ(b->claim(slow_module.raw()).error().kind(), ErrorKind::Busy);
        // SPDK ends such a claim only with its descriptor.
        EXPECT_EQ(a->release_claim().error().kind(), ErrorKind::NotSupported);
        EXPECT_TRUE(a->claimed());
        EXPECT_FALSE(opens_for_writing("Malloc0"));
        EXPECT_TRUE(a->close());
        co_await yield();
        EXPECT_TRUE(opens_for_writing("Malloc0"));
        EXPECT_TRUE(b->claim(slow_module.raw(), ClaimType::ReadManyWriteOne));
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, ReadManyWriteNoneClaimsAreSharedByReadersOnly) {
    run([]() -> Task<int> {
        auto w = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        EXPECT_EQ(w->claim(test_module.raw(), ClaimType::ReadManyWriteNone).error().kind(),
                  ErrorKind::InvalidParameter);
        auto a = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_EQ(a->claim(test_module.raw(), ClaimType::ReadManyWriteNone).error().kind(),
                  ErrorKind::Busy);
        EXPECT_TRUE(w->close());
        co_await yield();
        auto b = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_TRUE(a->claim(test_module.raw(), ClaimType::ReadManyWriteNone));
        EXPECT_TRUE(b->claim(slow_module.raw(), ClaimType::ReadManyWriteNone));
        EXPECT_FALSE(a->writable());
        EXPECT_FALSE(co_await writes(*a));
        EXPECT_FALSE(opens_for_writing("Malloc0"));
        EXPECT_EQ(b->release_claim().error().kind(), ErrorKind::NotSupported);
        EXPECT_TRUE(a->close());
        co_await yield();
        EXPECT_FALSE(opens_for_writing("Malloc0"));  // b's claim is left
        EXPECT_TRUE(b->close());
        co_await yield();
        EXPECT_TRUE(opens_for_writing("Malloc0"));
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, ReadManyWriteSharedClaimsMakeWritersThatShareAKey) {
    run([]() -> Task<int> {
        auto a = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_EQ(a->claim(test_module.raw(), ClaimType::ReadManyWriteShared).error().kind(),
                  ErrorKind::InvalidParameter);
        EXPECT_TRUE(a->claim(test_module.raw(), ClaimType::ReadManyWriteShared, 7));
        EXPECT_TRUE(a->writable());
        auto b = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        auto other_key = b->claim(slow_module.raw(), ClaimType::ReadManyWriteShared, 8);
        EXPECT_EQ(other_key.error().kind(), ErrorKind::Busy);
        EXPECT_NE(other_key.error().message().find("another key"), std::string::npos)
            << other_key.error().message();
        EXPECT_EQ(b->claim(slow_module.raw(), ClaimType::ReadManyWriteNone).error().kind(),
                  ErrorKind::Busy);
        EXPECT_TRUE(b->claim(slow_module.raw(), ClaimType::ReadManyWriteShared, 7));
        EXPECT_EQ(b->claim_type(), ClaimType::ReadManyWriteShared);
        EXPECT_TRUE(co_await writes(*a));
        EXPECT_TRUE(co_await writes(*b));
        EXPECT_FALSE(opens_for_writing("Malloc0"));  // a new writer opens ReadOnly, claims
        EXPECT_TRUE(a->close());
        EXPECT_TRUE(b->close());
        co_await yield();
        EXPECT_TRUE(opens_for_writing("Malloc0"));
        co_return 0;
    }());
}

TEST_F(BdevModuleTest, AStackedBdevForwardsToItsClaimedBase) {
    run([]() -> Task<int> {
        auto base = BdevDesc::open("Malloc0", OpenMode::ReadWrite);
        EXPECT_TRUE(base);
        auto claim = base->claim(test_module.raw());
        EXPECT_TRUE(claim) << claim.error().message();
        // The claim is exclusive: a second one is refused, with a clear error.
        auto other = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        auto second = other->claim(test_module.raw());
        EXPECT_EQ(second.error().kind(), ErrorKind::Busy);
        const Bdev malloc0 = base->bdev();
        auto reg = test_module.bdev<FwdOps>()
                       .name("Fwd0")
                       .product_name("forwarder")
                       .block_size(malloc0.block_size())
                       .block_count(malloc0.num_blocks())
                       .build(std::move(*base));
        EXPECT_TRUE(reg) << reg.error().message();
        {
            auto top = BdevDesc::open("Fwd0", OpenMode::ReadWrite);
            auto tch = top->io_channel();
            auto out = *DmaBuf::alloc(2048);
            for (std::size_t i = 0; i < out.size(); ++i) {
                out.data()[i] = std::byte(i ^ 0x5a);
            }
            EXPECT_TRUE(co_await top->write(*tch, out, 4096));
            // The bytes are on the base, as written through the stack.
            auto och = other->io_channel();
            auto in = *DmaBuf::alloc_zeroed(2048);
            EXPECT_TRUE(co_await other->read(*och, in, 4096));
            EXPECT_EQ(std::memcmp(in.data(), out.data(), 2048), 0);
            EXPECT_TRUE(co_await top->write_zeroes(*tch, 4096, 512));
            EXPECT_TRUE(co_await other->read(*och, in, 4096));
            EXPECT_EQ(in.data()[0], std::byte{0});
            EXPECT_EQ(in.data()[512], out.data()[512]);
        }  // the stack's user lets go, or the unregister below would wait for it
        // Once the unregister is reported, the ops are gone and with them the claim.
        EXPECT_TRUE(co_await reg->unregister());
        auto next = BdevDesc::open("Malloc0", OpenMode::ReadOnly);
        EXPECT_TRUE(next->claim(test_module.raw()));
        co_return 0;
    }());
}

}  // namespace
}  // namespace spdkcpp
