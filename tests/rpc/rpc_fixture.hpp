// The fixture of the RPC tests: rpc_test_app running in its own process, with its
// RPC socket in a private directory, stopped (and its exit code checked) at the end.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app_process.hpp"
#include "rpc_client.hpp"

namespace spdkcpp::testing {

class RpcAppTest : public ::testing::Test {
  protected:
    void TearDown() override {
        if (app_ != nullptr && app_->running()) {
            const std::optional<int> rc = app_->stop();
            EXPECT_EQ(rc, 0) << "the app did not stop cleanly:\n" << app_->log();
        }
    }

    std::string socket_path() const { return dir_.file("spdk.sock"); }

    // A new app process (not started) on the test's socket.
    std::unique_ptr<AppProcess> make_app(std::vector<std::string> args = {},
                                         const std::string &log = "app.log") const {
        return std::make_unique<AppProcess>(RPC_TEST_APP, socket_path(), std::move(args),
                                            dir_.file(log));
    }

    // Starts the app and waits for its socket.
    void start(std::vector<std::string> args = {}) {
        app_ = make_app(std::move(args));
        ASSERT_TRUE(app_->start()) << "the app did not start:\n" << app_->log();
    }

    RpcClient connect() const {
        auto c = RpcClient::connect(socket_path());
        EXPECT_TRUE(c.has_value()) << "cannot connect to " << socket_path();
        return c ? std::move(*c) : RpcClient();
    }

    // The result of a call that must succeed.
    static nlohmann::json result_of(RpcClient &c, const std::string &method,
                                    const nlohmann::json &params = nullptr, int id = 1) {
        const std::optional<nlohmann::json> r = c.call(method, params, id);
        EXPECT_TRUE(r.has_value()) << method << ": no answer";
        if (!r) {
            return nullptr;
        }
        EXPECT_EQ(r->value("id", nlohmann::json()), id) << r->dump();
        EXPECT_FALSE(r->contains("error")) << method << ": " << r->dump();
        return r->value("result", nlohmann::json());
    }

    // The error code of a call that must fail (0 when it did not).
    static int error_of(RpcClient &c, const std::string &method,
                        const nlohmann::json &params = nullptr, int id = 1) {
        const std::optional<nlohmann::json> r = c.call(method, params, id);
        EXPECT_TRUE(r.has_value()) << method << ": no answer";
        if (!r || !r->contains("error")) {
            ADD_FAILURE() << method << " did not fail: " << (r ? r->dump() : "");
            return 0;
        }
        return r->at("error").value("code", 0);
    }

    // The live configuration as SPDK's rpc.py save_config builds it: the
    // subsystems, then each one's config.
    static nlohmann::json save_config(RpcClient &c) {
        nlohmann::json config = {{"subsystems", nlohmann::json::array()}};
        const nlohmann::json subsystems = result_of(c, "framework_get_subsystems");
        for (const auto &s : subsystems) {
            const std::string name = s.at("subsystem");
            config["subsystems"].push_back(
                {{"subsystem", name},
                 {"config", result_of(c, "framework_get_config", {{"name", name}})}});
        }
        return config;
    }

    TempDir dir_;
    std::unique_ptr<AppProcess> app_;
};

}  // namespace spdkcpp::testing
