#include "error.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <tuple>
#include <utility>

#include "spdk/log.h"
#include "spdk/uuid.h"
#include "spdkcpp/rpc.hpp"

namespace spdkcpp::error_bdev {

BdevModule<ErrorModule, ErrorOps> module{"error"};

namespace {

// SPDK's error bdev is a bdev "part" covering its whole base, and a part's UUID,
// when none is given, is derived from this namespace, the base's UUID and the
// part's block range: the same stack gets the same UUID on every start.
constexpr const char *kPartUuidNamespace = "976b899e-3e1e-4d71-ab69-c2b08e9df8b8";

std::string derived_uuid(Bdev base) {
    struct {
        spdk_uuid uuid;
        uint64_t offset_blocks;
        uint64_t num_blocks;
    } name{};
    static_assert(sizeof(name) == 32, "hashed as SPDK hashes it: no padding");
    spdk_uuid_copy(&name.uuid, spdk_bdev_get_uuid(base.raw()));
    name.offset_blocks = 0;
    name.num_blocks = base.num_blocks();
    spdk_uuid ns{};
    spdk_uuid derived{};
    if (spdk_uuid_parse(&ns, kPartUuidNamespace) != 0 ||
        spdk_uuid_generate_sha1(&derived, &ns, reinterpret_cast<const char *>(&name),
                                sizeof(name)) != 0) {
        return {};
    }
    char text[SPDK_UUID_STRING_LEN] = {};
    spdk_uuid_fmt_lower(text, sizeof(text), &derived);
    return text;
}

// XORs the byte at `offset` of the data in iovs with value (nothing when the data
// is shorter).
void corrupt(std::span<iovec> iovs, uint64_t offset, uint8_t value) noexcept {
    for (const iovec &v : iovs) {
        if (v.iov_base == nullptr) {
            return;
        }
        if (offset < v.iov_len) {
            static_cast<uint8_t *>(v.iov_base)[offset] ^= value;
            return;
        }
        offset -= v.iov_len;
    }
}

// The slot of an injectable I/O type, or -1.
int slot_of(IoType type) noexcept {
    switch (type) {
        case IoType::Read:
            return 0;
        case IoType::Write:
            return 1;
        case IoType::Unmap:
            return 2;
        case IoType::Flush:
            return 3;
        default:
            return -1;
    }
}

std::string bdev_name_of(const std::string &base_name) {
    return "EE_" + base_name;
}

}  // namespace

// ---- the bdev ---------------------------------------------------------------------

ErrorOps::Channel::Channel(BdevChannel b) noexcept : base(std::move(b)) {}

ErrorOps::Channel::Channel(Channel &&other) noexcept
    : base(std::move(other.base)),
      at_base(std::exchange(other.at_base, 0)),
      pending(std::move(other.pending)) {}

ErrorOps::Channel::~Channel() {
    if (!pending.empty()) {
        SPDK_ERRLOG("error bdev channel destroyed with %zu I/O pending: aborted\n", pending.size());
        abort_pending();
    }
}

Result<ErrorOps::Channel> ErrorOps::Channel::create(ErrorOps &ops) {
    Result<BdevChannel> ch = ops.base_.io_channel();
    if (!ch) {
        return fail(ch.error());
    }
    return Channel(std::move(*ch));
}

void ErrorOps::Channel::abort_pending() noexcept {
    std::vector<BdevIo<ErrorOps>> held = std::move(pending);
    pending.clear();
    for (BdevIo<ErrorOps> &io : held) {
        std::move(io).complete(IoStatus::Aborted);
    }
}

ErrorOps::ErrorOps(BdevDesc base) noexcept
    : base_name_(base.bdev().name()), base_(std::move(base)) {}

bool ErrorOps::supports(IoType type) const {
    switch (type) {
        case IoType::Read:
        case IoType::Write:
        case IoType::Unmap:
        case IoType::Flush:
        case IoType::Reset:
        case IoType::WriteZeroes:
        case IoType::Compare:
        case IoType::Copy:
            // As SPDK's parts: what the base supports (the forwardable types).
            return base_.bdev().supports(type);
        default:
            return false;
    }
}

ErrorType ErrorOps::take(IoType type, const Channel &ch, IoContext &ctx) noexcept {
    const int index = slot_of(type);
    if (index < 0) {
        return ErrorType::None;
    }
    Slot &slot = slots_[static_cast<std::size_t>(index)];
    if (ch.at_base < slot.queue_depth.load(std::memory_order_relaxed)) {
        return ErrorType::None;
    }
    uint32_t left = slot.remaining.load(std::memory_order_relaxed);
    do {
        if (left == 0) {
            return ErrorType::None;
        }
    } while (!slot.remaining.compare_exchange_weak(left, left - 1, std::memory_order_acquire,
                                                   std::memory_order_relaxed));
    ctx.corrupt_offset = slot.corrupt_offset.load(std::memory_order_relaxed);
    ctx.corrupt_value = slot.corrupt_value.load(std::memory_order_relaxed);
    return slot.type.load(std::memory_order_relaxed);
}

void ErrorOps::submit(Channel &ch, BdevIo<ErrorOps> io) {
    if (io.type() == IoType::Reset) {
        // Not forwarded (SPDK's neither): a reset releases what is held pending.
        spawn(reset(std::move(io)));
        return;
    }
    IoContext &ctx = io.ctx();
    ctx.channel = &ch;
    ctx.injected = take(io.type(), ch, ctx);
    switch (ctx.injected) {
        case ErrorType::Failure:
            return std::move(io).complete(IoStatus::Failed);
        case ErrorType::NoMemory:
            return std::move(io).complete(IoStatus::NoMemory);
        case ErrorType::Pending:
            ch.pending.push_back(std::move(io));
            return;
        case ErrorType::CorruptData:
            if (io.type() == IoType::Write) {
                corrupt(io.iovs(), ctx.corrupt_offset, ctx.corrupt_value);
            }
            break;
        case ErrorType::None:
            break;
    }
    ++ch.at_base;
    std::move(io).forward(ch.base, &base_done);
}

void ErrorOps::base_done(BdevIo<ErrorOps> io, BaseIo base) {
    const IoContext &ctx = io.ctx();
    --ctx.channel->at_base;
    if (!base.success()) {
        return std::move(io).complete_like(base);
    }
    if (ctx.injected == ErrorType::CorruptData && io.type() == IoType::Read) {
        corrupt(io.iovs(), ctx.corrupt_offset, ctx.corrupt_value);
    }
    std::move(io).complete();
}

Task<void> ErrorOps::reset(BdevIo<ErrorOps> io) {
    Result<TypedBdev<ErrorOps>> self = TypedBdev<ErrorOps>::from(io.bdev());
    Result<void> walked;
    if (self) {
        walked = co_await self->for_each_channel([](Channel &ch) { ch.abort_pending(); });
    } else {
        walked = fail(self.error());
    }
    if (!walked) {
        SPDK_ERRLOG("error bdev '%s': the reset could not release pending I/O: %s\n",
                    std::string(io.bdev().name()).c_str(), walked.error().message().c_str());
    }
    std::move(io).complete(walked ? IoStatus::Success : IoStatus::Failed);
}

void ErrorOps::inject(const Injection &in) {
    auto set = [&](Slot &slot) {
        slot.type.store(in.type, std::memory_order_relaxed);
        slot.queue_depth.store(in.queue_depth, std::memory_order_relaxed);
        slot.corrupt_offset.store(in.corrupt_offset, std::memory_order_relaxed);
        slot.corrupt_value.store(in.corrupt_value, std::memory_order_relaxed);
        // Last, so that an I/O that takes one of the count sees the rest.
        slot.remaining.store(in.count, std::memory_order_release);
    };
    switch (in.target) {
        case InjectTarget::All:
            std::for_each(slots_.begin(), slots_.end(), set);
            break;
        case InjectTarget::Clear:
            for (Slot &slot : slots_) {
                slot.remaining.store(0, std::memory_order_relaxed);
            }
            break;
        default:
            set(slots_[static_cast<std::size_t>(in.target)]);
            break;
    }
}

void ErrorOps::destruct() {
    if (ErrorModule *m = module.get()) {
        m->destroyed(base_name_);
    }
}

void ErrorOps::dump_info_json(JsonWriter &w) const {
    w.named_object("error_disk", [&] { w.named("base_bdev", base_name_); });
}

// ---- the module -------------------------------------------------------------------

ErrorModule::Config *ErrorModule::find_config(const std::string &base_name) {
    auto it = std::find_if(configs_.begin(), configs_.end(),
                           [&](const Config &c) { return c.base_name == base_name; });
    return it == configs_.end() ? nullptr : &*it;
}

Result<void> ErrorModule::create(const std::string &base_name,
                                 const std::optional<std::string> &uuid) {
    std::string text;
    if (uuid) {
        spdk_uuid parsed{};
        if (spdk_uuid_parse(&parsed, uuid->c_str()) != 0) {
            return fail(ErrorKind::InvalidParameter, "'" + *uuid + "' is not a UUID");
        }
        if (!spdk_uuid_is_null(&parsed)) {  // SPDK takes the null UUID for none
            char lower[SPDK_UUID_STRING_LEN] = {};
            spdk_uuid_fmt_lower(lower, sizeof(lower), &parsed);
            text = lower;
        }
    }
    if (find_config(base_name) != nullptr) {
        return fail(Error(ErrorKind::AlreadyExists, EEXIST,
                          "an error bdev on '" + base_name + "' is already configured"));
    }
    configs_.push_back(Config{base_name, std::move(text)});
    Result<void> r = attach(configs_.back());
    if (!r && r.error().kind() == ErrorKind::BdevNotFound) {
        return {};  // made when the base appears
    }
    if (!r) {
        configs_.pop_back();
    }
    return r;
}

Result<void> ErrorModule::attach(const Config &config) {
    const std::string base_name = config.base_name;
    auto base = BdevDesc::open(base_name, OpenMode::ReadWrite, [base_name](BdevEvent e, Bdev) {
        if (e == BdevEvent::Remove) {
            if (ErrorModule *m = module.get()) {
                m->base_removed(base_name);
            }
        }
    });
    if (!base) {
        return fail(base.error());
    }
    if (auto claim = base->claim(module.raw()); !claim) {
        return fail(claim.error());
    }
    const Bdev b = base->bdev();
    const std::string name = bdev_name_of(base_name);
    auto reg = module.bdev<ErrorOps>()
                   .name(name)
                   .product_name("Error Injection Disk")
                   .block_size(b.block_size())
                   .block_count(b.num_blocks())
                   .uuid(config.uuid.empty() ? derived_uuid(b) : config.uuid)
                   .write_cache(b.has_write_cache())
                   .required_alignment(b.buf_align())
                   .build(std::move(*base));
    if (!reg) {
        return fail(reg.error());
    }
    // Its own descriptor tells the bdev when it starts going away (any way).
    auto self = BdevDesc::open(name, OpenMode::ReadOnly, [](BdevEvent e, Bdev bdev) {
        if (e != BdevEvent::Remove) {
            return;
        }
        if (auto typed = TypedBdev<ErrorOps>::from(bdev)) {
            spawn([](TypedBdev<ErrorOps> t) -> Task<void> {
                (void)co_await t.for_each_channel(
                    [](ErrorOps::Channel &ch) { ch.abort_pending(); });
            }(*typed));
        }
    });
    if (self) {
        reg->ops().watch(std::move(*self));
    } else {
        SPDK_ERRLOG("error bdev '%s': cannot watch for its removal: %s\n", name.c_str(),
                    self.error().message().c_str());
    }
    std::erase_if(bdevs_, [](const BdevRegistration<ErrorOps> &r) { return !r; });
    bdevs_.push_back(std::move(*reg));
    return {};
}

Task<Result<void>> ErrorModule::remove(std::string name) {
    auto it = std::find_if(bdevs_.begin(), bdevs_.end(),
                           [&](const BdevRegistration<ErrorOps> &r) { return r.name() == name; });
    if (it == bdevs_.end()) {
        co_return fail(
            Error(ErrorKind::BdevNotFound, ENODEV, "no error bdev named '" + name + "'"));
    }
    BdevRegistration<ErrorOps> bdev = std::move(*it);
    bdevs_.erase(it);
    co_return co_await bdev.unregister();
}

Result<void> ErrorModule::inject(const std::string &name, const Injection &injection) {
    if (injection.type == ErrorType::CorruptData && injection.corrupt_value == 0) {
        return fail(Error(ErrorKind::InvalidParameter, EINVAL,
                          "corrupt_value must not be 0 (XOR with 0 changes nothing)"));
    }
    Result<TypedBdev<ErrorOps>> bdev = TypedBdev<ErrorOps>::lookup(name);
    if (!bdev) {
        return fail(Error(ErrorKind::BdevNotFound, ENODEV, "no error bdev named '" + name + "'"));
    }
    bdev->ops().inject(injection);
    return {};
}

void ErrorModule::examine_config(Bdev bdev) {
    if (const Config *config = find_config(std::string(bdev.name()))) {
        if (Result<void> r = attach(*config); !r) {
            SPDK_ERRLOG("error bdev on '%s': %s\n", config->base_name.c_str(),
                        r.error().message().c_str());
        }
    }
}

void ErrorModule::config_json(JsonWriter &w) const {
    for (const Config &config : configs_) {
        w.object([&] {
            w.named("method", "bdev_error_create");
            w.named_object("params", [&] {
                w.named("base_name", config.base_name);
                if (!config.uuid.empty()) {
                    w.named("uuid", config.uuid);
                }
            });
        });
    }
}

void ErrorModule::base_removed(const std::string &base_name) {
    for (BdevRegistration<ErrorOps> &r : bdevs_) {
        if (r && r.ops().base_name() == base_name) {
            r = {};  // unregisters
        }
    }
}

void ErrorModule::destroyed(const std::string &base_name) {
    std::erase_if(configs_, [&](const Config &c) { return c.base_name == base_name; });
}

// ---- RPC methods (SPDK's names and parameters) -----------------------------------

namespace {

struct CreateParams {
    std::string base_name;
    std::optional<std::string> uuid;
    static constexpr auto fields = std::tuple{rpc::required("base_name", &CreateParams::base_name),
                                              rpc::optional("uuid", &CreateParams::uuid)};
};

void create(CreateParams p, RpcRequest request) {
    ErrorModule *m = module.get();
    if (m == nullptr) {
        return std::move(request).error(-ENODEV, "the error module is not running");
    }
    std::move(request).reply(m->create(p.base_name, p.uuid));
}

struct DeleteParams {
    std::string name;
    static constexpr auto fields = std::tuple{rpc::required("name", &DeleteParams::name)};
};

Task<void> delete_and_answer(ErrorModule *m, std::string name, RpcRequest request) {
    std::move(request).reply(co_await m->remove(std::move(name)));
}

void remove(DeleteParams p, RpcRequest request) {
    ErrorModule *m = module.get();
    if (m == nullptr) {
        return std::move(request).error(-ENODEV, "the error module is not running");
    }
    spawn(delete_and_answer(m, std::move(p.name), std::move(request)));
}

struct InjectParams {
    std::string name;
    std::string io_type;
    std::string error_type;
    uint32_t num = 1;
    uint64_t queue_depth = 0;
    uint64_t corrupt_offset = 0;
    uint8_t corrupt_value = 0;
    static constexpr auto fields =
        std::tuple{rpc::required("name", &InjectParams::name),
                   rpc::required("io_type", &InjectParams::io_type),
                   rpc::required("error_type", &InjectParams::error_type),
                   rpc::optional("num", &InjectParams::num),
                   rpc::optional("queue_depth", &InjectParams::queue_depth),
                   rpc::optional("corrupt_offset", &InjectParams::corrupt_offset),
                   rpc::optional("corrupt_value", &InjectParams::corrupt_value)};
};

std::optional<InjectTarget> target_named(const std::string &s) {
    constexpr std::pair<const char *, InjectTarget> kNames[] = {
        {"read", InjectTarget::Read},   {"write", InjectTarget::Write},
        {"unmap", InjectTarget::Unmap}, {"flush", InjectTarget::Flush},
        {"all", InjectTarget::All},     {"clear", InjectTarget::Clear}};
    for (const auto &[name, target] : kNames) {
        if (s == name) {
            return target;
        }
    }
    return std::nullopt;
}

std::optional<ErrorType> error_named(const std::string &s) {
    constexpr std::pair<const char *, ErrorType> kNames[] = {
        {"failure", ErrorType::Failure},
        {"pending", ErrorType::Pending},
        {"corrupt_data", ErrorType::CorruptData},
        {"nomem", ErrorType::NoMemory}};
    for (const auto &[name, type] : kNames) {
        if (s == name) {
            return type;
        }
    }
    return std::nullopt;
}

void inject(InjectParams p, RpcRequest request) {
    ErrorModule *m = module.get();
    if (m == nullptr) {
        return std::move(request).error(-ENODEV, "the error module is not running");
    }
    // Refused as SPDK refuses a value its decoder does not know: as bad params.
    const std::optional<InjectTarget> target = target_named(p.io_type);
    if (!target) {
        return std::move(request).error(SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                        "Invalid parameters: 'io_type' is not one of read, "
                                        "write, unmap, flush, all, clear");
    }
    const std::optional<ErrorType> type = error_named(p.error_type);
    if (!type) {
        return std::move(request).error(SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                        "Invalid parameters: 'error_type' is not one of "
                                        "failure, pending, corrupt_data, nomem");
    }
    const Injection injection{*target,          *type,          p.num, p.queue_depth,
                              p.corrupt_offset, p.corrupt_value};
    std::move(request).reply(m->inject(p.name, injection));
}

const RpcMethod<CreateParams, &create> create_method{"bdev_error_create", SPDK_RPC_RUNTIME};
const RpcMethod<DeleteParams, &remove> delete_method{"bdev_error_delete", SPDK_RPC_RUNTIME};
const RpcMethod<InjectParams, &inject> inject_method{"bdev_error_inject_error", SPDK_RPC_RUNTIME};

}  // namespace

}  // namespace spdkcpp::error_bdev
