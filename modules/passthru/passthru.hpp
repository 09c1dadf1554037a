// The passthru bdev, written on the wrappers: a virtual bdev that claims a base
// bdev and forwards every I/O to it unchanged (SPDK's module/bdev/passthru, the
// model every stacking module starts from).
//
// Created by SPDK's own RPC methods, so SPDK JSON configs work unchanged:
//   bdev_passthru_create {"base_bdev_name", "name", "uuid"?}  -> the new bdev's name
//   bdev_passthru_delete {"name"}                             -> true
// As SPDK's, a passthru may be configured before its base exists: it is created
// when the base appears (examine), removed when the base is hot-removed, and
// created again if the base comes back, until it is deleted.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spdkcpp/bdev_channel.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/bdev_io.hpp"
#include "spdkcpp/bdev_module.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/json_writer.hpp"
#include "spdkcpp/rpc.hpp"
#include "spdkcpp/task.hpp"

namespace spdkcpp::passthru {

class PassthruOps {
  public:
    struct Channel {
        static Result<Channel> create(PassthruOps &ops);
        BdevChannel base;
    };

    // base: a descriptor holding the module's claim on the base bdev; uuid: the
    // passthru's own, in text form.
    PassthruOps(std::string name, std::string uuid, BdevDesc base) noexcept;

    void submit(Channel &ch, BdevIo<PassthruOps> io) { std::move(io).forward(ch.base); }
    [[nodiscard]] bool supports(IoType type) const { return base_.bdev().supports(type); }
    void dump_info_json(JsonWriter &w) const;
    void write_config_json(JsonWriter &w) const;

    [[nodiscard]] Bdev base() const noexcept { return base_.bdev(); }

  private:
    std::string name_;
    std::string uuid_;
    std::string base_name_;
    BdevDesc base_;
};

class PassthruModule {
  public:
    // Configures passthru `name` over `base_name`: created now when the base exists,
    // else when it appears. AlreadyExists when `name` is configured.
    Result<void> create(const std::string &name, const std::string &base_name,
                        const std::optional<std::string> &uuid);
    // Forgets `name` and unregisters its bdev; BdevNotFound when it has none.
    Task<Result<void>> remove(std::string name);

    void examine_config(Bdev bdev);

    // The base of `name` was hot-removed: its bdev goes, its configuration stays.
    void base_removed(const std::string &name);

  private:
    struct Entry {
        std::string name;
        std::string base_name;
        std::optional<std::string> uuid;
        BdevRegistration<PassthruOps> bdev;
    };

    Result<void> attach(Entry &entry);
    Entry *find(const std::string &name);

    std::vector<std::unique_ptr<Entry>> entries_;
};

// The module object (SPDK's module name "passthru").
extern BdevModule<PassthruModule, PassthruOps> module;

}  // namespace spdkcpp::passthru
