// BdevModule<M, Ops...>: a bdev module written in C++. M is the module's own class,
// made when the bdev subsystem starts and destroyed when it stops (after every bdev
// is gone); Ops... are the BdevOps types of the bdevs it registers.
//
//   class MyModule {                       // every member below is optional
//     public:
//       Result<void> init();               // after construction; an Error fails the start
//                                          // (or Task<Result<void>> init(): the start waits)
//       Task<void> fini();                 // before destruction, when the subsystem stops
//       void examine_config(Bdev);         // a new bdev appeared (decide synchronously)
//       void examine_disk(Bdev);           // or Task<void> examine_disk(Bdev)
//       void config_json(JsonWriter &);    // module-wide config entries
//   };
//   spdkcpp::BdevModule<MyModule, MyOps> my_module{"my"};   // one object, at namespace scope
//
//   my_module.get()                         // MyModule *, while the subsystem runs
//   my_module.bdev<MyOps>().name(...)...    // a BdevBuilder; only for the module's Ops
//
// The object registers the module with SPDK when it is constructed (as
// SPDK_BDEV_MODULE_REGISTER does, before main), so define it where it is linked in
// whole. The module's per-I/O context size is the largest of its Ops' IoContexts.
// examine_* run on the app thread; the module's examine is reported done after
// examine_config returns and after examine_disk returns (or its task ends).
#pragma once

#include <algorithm>
#include <concepts>
#include <optional>
#include <type_traits>

#include "spdk/bdev_module.h"
#include "spdk/log.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_builder.hpp"
#include "spdkcpp/bdev_io.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/json_writer.hpp"
#include "spdkcpp/task.hpp"

namespace spdkcpp {

namespace detail {
template <typename M>
concept ModuleInits = requires(M &m) {
    { m.init() } -> std::same_as<Result<void>>;
};
template <typename M>
concept ModuleInitsLater = requires(M &m) {
    { m.init() } -> std::same_as<Task<Result<void>>>;
};
template <typename M>
concept ModuleFinishesLater = requires(M &m) {
    { m.fini() } -> std::same_as<Task<void>>;
};
template <typename M>
concept ModuleExaminesConfig = requires(M &m, Bdev b) {
    m.examine_config(b);
};
template <typename M>
concept ModuleExaminesDisk = requires(M &m, Bdev b) {
    m.examine_disk(b);
};
template <typename M>
concept ModuleWritesConfig = requires(M &m, JsonWriter &w) {
    m.config_json(w);
};
}  // namespace detail

template <typename M, typename... Ops>
class BdevModule {
    static_assert(sizeof...(Ops) > 0, "BdevModule: name the BdevOps types of its bdevs");
    static_assert(std::is_default_constructible_v<M>,
                  "BdevModule: the module class is made with its default constructor");

  public:
    explicit BdevModule(const char *name) noexcept {
        if (self_ != nullptr) {
            SPDK_ERRLOG("bdev module '%s': a second object of the same module type\n", name);
        }
        self_ = this;
        module_.name = name;
        module_.module_init = &init;
        module_.module_fini = &fini;
        module_.get_ctx_size = &ctx_size;
        module_.async_init = detail::ModuleInitsLater<M>;
        module_.async_fini = detail::ModuleFinishesLater<M>;
        if constexpr (detail::ModuleExaminesConfig<M>) {
            module_.examine_config = &examine_config;
        }
        if constexpr (detail::ModuleExaminesDisk<M>) {
            module_.examine_disk = &examine_disk;
        }
        if constexpr (detail::ModuleWritesConfig<M>) {
            module_.config_json = &config_json;
        }
        spdk_bdev_module_list_add(&module_);
    }
    BdevModule(const BdevModule &) = delete;
    BdevModule &operator=(const BdevModule &) = delete;

    // The module's instance while the bdev subsystem runs; null before and after.
    [[nodiscard]] M *get() noexcept { return instance_ ? &*instance_ : nullptr; }
    [[nodiscard]] spdk_bdev_module *raw() noexcept { return &module_; }
    [[nodiscard]] const char *name() const noexcept { return module_.name; }

    // A builder for a bdev of this module.
    template <typename O>
    [[nodiscard]] BdevBuilder<O> bdev() noexcept {
        static_assert((std::is_same_v<O, Ops> || ...),
                      "BdevModule::bdev<O>: O is not one of the module's Ops types (the "
                      "module sizes its per-I/O context from them)");
        return BdevBuilder<O>(&module_);
    }

  private:
    static int init() {
        BdevModule &self = *self_;
        self.instance_.emplace();
        if constexpr (detail::ModuleInits<M>) {
            if (Result<void> r = self.instance_->init(); !r) {
                SPDK_ERRLOG("bdev module '%s' failed to start: %s\n", self.module_.name,
                            r.error().message().c_str());
                self.instance_.reset();
                return -r.error().code();
            }
        } else if constexpr (detail::ModuleInitsLater<M>) {
            spawn(init_later());
        }
        return 0;
    }
    // SPDK's asynchronous init has no status: a failure is logged and leaves the
    // module without an instance (get() is null), so it creates nothing.
    static Task<void> init_later() {
        BdevModule &self = *self_;
        if (Result<void> r = co_await self.instance_->init(); !r) {
            SPDK_ERRLOG("bdev module '%s' failed to start: %s\n", self.module_.name,
                        r.error().message().c_str());
            self.instance_.reset();
        }
        spdk_bdev_module_init_done(&self.module_);
    }
    static void fini() {
        if constexpr (detail::ModuleFinishesLater<M>) {
            if (self_->instance_) {
                spawn(fini_later());
                return;
            }
            spdk_bdev_module_fini_done();
        } else {
            self_->instance_.reset();
        }
    }
    static Task<void> fini_later() {
        co_await self_->instance_->fini();
        self_->instance_.reset();
        spdk_bdev_module_fini_done();
    }

    static int ctx_size() { return static_cast<int>(std::max({sizeof(detail::IoFrame<Ops>)...})); }

    static void examine_config(spdk_bdev *bdev) {
        if (M *m = self_->get()) {
            m->examine_config(Bdev(bdev));
        }
        spdk_bdev_module_examine_done(&self_->module_);
    }
    static void examine_disk(spdk_bdev *bdev) {
        M *m = self_->get();
        if (m == nullptr) {
            spdk_bdev_module_examine_done(&self_->module_);
            return;
        }
        if constexpr (std::is_same_v<decltype(m->examine_disk(Bdev(bdev))), Task<void>>) {
            spawn(examine_then_done(m, Bdev(bdev)));
        } else {
            m->examine_disk(Bdev(bdev));
            spdk_bdev_module_examine_done(&self_->module_);
        }
    }
    static Task<void> examine_then_done(M *m, Bdev bdev) {
        co_await m->examine_disk(bdev);
        spdk_bdev_module_examine_done(&self_->module_);
    }
    static int config_json(spdk_json_write_ctx *w) {
        if (M *m = self_->get()) {
            JsonWriter writer(w);
            m->config_json(writer);
            return writer.ok() ? 0 : -EINVAL;
        }
        return 0;
    }

    static inline BdevModule *self_ = nullptr;
    spdk_bdev_module module_{};
    std::optional<M> instance_;
};

}  // namespace spdkcpp
