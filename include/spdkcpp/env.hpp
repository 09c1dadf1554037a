// Env: the owner of SPDK's environment (spdk_env_init / spdk_env_fini) for
// programs that use DMA memory or spdk_threads without the app framework. App and
// ThreadDriver hold one of their own; DMA memory cannot be had before one exists.
//
//   auto env = spdkcpp::Env::init({.name = "my_tool"});
//   if (!env) return 1;                         // the reason is in env.error()
//   auto buf = spdkcpp::DmaBuf::alloc(4096);
#pragma once

#include <string>
#include <utility>

#include "spdk/env.h"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

struct EnvOptions {
    std::string name = "spdkcpp";
    std::string core_mask = "0x1";
    // Without hugepages SPDK takes ordinary pages, and needs to be told how many.
    bool no_huge = true;
    int mem_size_mb = 512;
    bool no_pci = true;
};

class Env {
  public:
    // Busy while another Env is alive in the process. SPDK sets its environment up
    // once per process: after the first Env is dropped, the next one brings the
    // same environment back (SPDK's spdk_env_init(NULL)), whatever its options.
    static Result<Env> init(const EnvOptions &options = {}) {
        if (state().alive) {
            return fail(ErrorKind::Busy, "SPDK's environment is already held by an Env");
        }
        int rc = 0;
        if (state().was_set_up) {
            rc = spdk_env_init(nullptr);
        } else {
            spdk_env_opts opts{};
            opts.opts_size = sizeof(opts);
            spdk_env_opts_init(&opts);
            opts.name = options.name.c_str();
            opts.core_mask = options.core_mask.c_str();
            opts.no_huge = options.no_huge;
            opts.mem_size = options.mem_size_mb;
            opts.no_pci = options.no_pci;
            rc = spdk_env_init(&opts);
        }
        if (rc != 0) {
            return fail(Error::from_errno(rc, "spdk_env_init"));
        }
        state().alive = true;
        state().was_set_up = true;
        return Env(true);
    }

    Env(const Env &) = delete;
    Env &operator=(const Env &) = delete;
    Env(Env &&other) noexcept : owns_(std::exchange(other.owns_, false)) {}
    Env &operator=(Env &&) = delete;
    ~Env() {
        if (owns_) {
            spdk_env_fini();
            state().alive = false;
        }
    }

  private:
    struct State {
        bool alive = false;
        bool was_set_up = false;
    };
    static State &state() noexcept {
        static State s;
        return s;
    }

    explicit Env(bool owns) noexcept : owns_(owns) {}

    bool owns_ = false;
};

}  // namespace spdkcpp
