// The bdev fixture, plus what the module tests do through SPDK's own interface:
// apply config entries by SPDK's method names, look bdevs up, save the config.
#pragma once

#include <string>

#include "../support/json_text.hpp"
#include "../wrappers/bdev_fixture.hpp"
#include "spdk/bdev.h"
#include "spdkcpp/subsystems.hpp"

namespace spdkcpp::testing {

class ModuleFixture : public BdevFixture {
  protected:
    // Loads `entries` (config entries, comma-separated) into the bdev subsystem.
    Result<void> apply(std::string entries) {
        return run([](std::string e) -> Task<Result<void>> {
            std::string json = R"({"subsystems":[{"subsystem":"bdev","config":[)" + e + "]}]}";
            co_return co_await load_config(json);
        }(std::move(entries)));
    }
    bool exists(const std::string &name) {
        return driver_->on(app_, [&] { return spdk_bdev_get_by_name(name.c_str()) != nullptr; });
    }
    // The bdev subsystem's config as SPDK saves it.
    std::string saved_config() {
        return driver_->on(app_, [] { return json_text(spdk_bdev_subsystem_config_json); });
    }
};

}  // namespace spdkcpp::testing
