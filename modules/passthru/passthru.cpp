#include "passthru.hpp"

#include <algorithm>
#include <utility>

#include "spdk/uuid.h"

namespace spdkcpp::passthru {

BdevModule<PassthruModule, PassthruOps> module{"passthru"};

namespace {

// SPDK's passthru derives a bdev's UUID from its base's with this namespace, so
// that the same stack gets the same UUID on every start.
constexpr const char *kUuidNamespace = "7e25812e-c8c0-4d3f-8599-16d790555b85";

std::string derived_uuid(Bdev base) {
    spdk_uuid ns{};
    spdk_uuid derived{};
    const spdk_uuid *base_uuid = spdk_bdev_get_uuid(base.raw());
    if (spdk_uuid_parse(&ns, kUuidNamespace) != 0 ||
        spdk_uuid_generate_sha1(&derived, &ns, reinterpret_cast<const char *>(base_uuid),
                                sizeof(*base_uuid)) != 0) {
        return {};
    }
    char text[SPDK_UUID_STRING_LEN] = {};
    spdk_uuid_fmt_lower(text, sizeof(text), &derived);
    return text;
}

}  // namespace

Result<PassthruOps::Channel> PassthruOps::Channel::create(PassthruOps &ops) {
    Result<BdevChannel> ch = ops.base_.io_channel();
    if (!ch) {
        return fail(ch.error());
    }
    return Channel{std::move(*ch)};
}

PassthruOps::PassthruOps(std::string name, std::string uuid, BdevDesc base) noexcept
    : name_(std::move(name)),
      uuid_(std::move(uuid)),
      base_name_(base.bdev().name()),
      base_(std::move(base)) {}

void PassthruOps::dump_info_json(JsonWriter &w) const {
    w.named_object("passthru", [&] {
        w.named("name", name_);
        w.named("base_bdev_name", base_name_);
    });
}

void PassthruOps::write_config_json(JsonWriter &w) const {
    w.object([&] {
        w.named("method", "bdev_passthru_create");
        w.named_object("params", [&] {
            w.named("base_bdev_name", base_name_);
            w.named("name", name_);
            // From the ops, not the bdev: SPDK writes configs holding its bdev lock.
            if (!uuid_.empty()) {
                w.named("uuid", uuid_);
            }
        });
    });
}

PassthruModule::Entry *PassthruModule::find(const std::string &name) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const auto &e) { return e->name == name; });
    return it == entries_.end() ? nullptr : it->get();
}

Result<void> PassthruModule::create(const std::string &name, const std::string &base_name,
                                    const std::optional<std::string> &uuid) {
    if (find(name) != nullptr) {
        return fail(ErrorKind::AlreadyExists, "passthru '" + name + "' is already configured");
    }
    entries_.push_back(std::make_unique<Entry>(Entry{name, base_name, uuid, {}}));
    Result<void> r = attach(*entries_.back());
    if (!r && r.error().kind() == ErrorKind::BdevNotFound) {
        return {};  // made when the base appears
    }
    if (!r) {
        entries_.pop_back();
    }
    return r;
}

Result<void> PassthruModule::attach(Entry &entry) {
    std::string name = entry.name;
    auto base = BdevDesc::open(entry.base_name, OpenMode::ReadWrite, [name](BdevEvent e, Bdev) {
        if (e == BdevEvent::Remove) {
            if (PassthruModule *m = module.get()) {
                m->base_removed(name);
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
    std::string uuid = entry.uuid ? *entry.uuid : derived_uuid(b);
    auto reg = module.bdev<PassthruOps>()
                   .name(entry.name)
                   .product_name("passthru")
                   .block_size(b.block_size())
                   .block_count(b.num_blocks())
                   .uuid(uuid)
                   .write_cache(b.has_write_cache())
                   .required_alignment(b.buf_align())
                   .optimal_io_boundary(spdk_bdev_get_optimal_io_boundary(b.raw()),
                                        b.raw()->split_on_optimal_io_boundary != 0)
                   .build(entry.name, uuid, std::move(*base));
    if (!reg) {
        return fail(reg.error());
    }
    entry.bdev = std::move(*reg);
    return {};
}

Task<Result<void>> PassthruModule::remove(std::string name) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const auto &e) { return e->name == name; });
    if (it == entries_.end()) {
        co_return fail(Error(ErrorKind::BdevNotFound, ENODEV, "no passthru named '" + name + "'"));
    }
    BdevRegistration<PassthruOps> bdev = std::move((*it)->bdev);
    entries_.erase(it);
    if (!bdev) {
        co_return fail(Error(ErrorKind::BdevNotFound, ENODEV,
                             "passthru '" + name + "' has no bdev (its base is missing)"));
    }
    co_return co_await bdev.unregister();
}

void PassthruModule::examine_config(Bdev bdev) {
    for (auto &entry : entries_) {
        if (!entry->bdev && entry->base_name == bdev.name()) {
            if (Result<void> r = attach(*entry); !r) {
                SPDK_ERRLOG("passthru '%s' over '%s': %s\n", entry->name.c_str(),
                            entry->base_name.c_str(), r.error().message().c_str());
            }
        }
    }
}

void PassthruModule::base_removed(const std::string &name) {
    if (Entry *entry = find(name)) {
        entry->bdev = {};  // unregisters; the entry stays for the base's return
    }
}

// ---- RPC methods (SPDK's names and parameters) -----------------------------------

namespace {

struct CreateParams {
    std::string base_bdev_name;
    std::string name;
    std::optional<std::string> uuid;
    static constexpr auto fields = std::tuple{
        rpc::required("base_bdev_name", &CreateParams::base_bdev_name),
        rpc::required("name", &CreateParams::name), rpc::optional("uuid", &CreateParams::uuid)};
};

void create(CreateParams p, RpcRequest request) {
    PassthruModule *m = module.get();
    if (m == nullptr) {
        return std::move(request).error(-ENODEV, "the passthru module is not running");
    }
    if (Result<void> r = m->create(p.name, p.base_bdev_name, p.uuid); !r) {
        return std::move(request).error(r.error());
    }
    std::move(request).result(std::string_view(p.name));
}

struct DeleteParams {
    std::string name;
    static constexpr auto fields = std::tuple{rpc::required("name", &DeleteParams::name)};
};

Task<void> delete_and_answer(PassthruModule *m, std::string name, RpcRequest request) {
    std::move(request).reply(co_await m->remove(std::move(name)));
}

void remove(DeleteParams p, RpcRequest request) {
    PassthruModule *m = module.get();
    if (m == nullptr) {
        return std::move(request).error(-ENODEV, "the passthru module is not running");
    }
    spawn(delete_and_answer(m, std::move(p.name), std::move(request)));
}

const RpcMethod<CreateParams, &create> create_method{"bdev_passthru_create", SPDK_RPC_RUNTIME};
const RpcMethod<DeleteParams, &remove> delete_method{"bdev_passthru_delete", SPDK_RPC_RUNTIME};

}  // namespace

}  // namespace spdkcpp::passthru
