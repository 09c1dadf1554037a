// Conformance of the runtime's JSON-RPC server in process (spdk/jsonrpc.h,
// spdk/rpc.h, spdk/init.h): requests answered from another OS thread or after
// their client or the server went away, connection close callbacks, a handler
// that shuts its server down, the socket path and lock file, spdk_rpc_initialize's
// poller, the allowlist, and spdk_bdev_open_async's waits. The tests poll the
// server themselves; tests/rpc drives whole apps over their sockets.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "../rpc/app_process.hpp"
#include "../rpc/rpc_client.hpp"
#include "spdk/init.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"

namespace {

using nlohmann::json;
using spdkcpp::testing::RpcClient;
using spdkcpp::testing::TempDir;
using namespace std::chrono_literals;

// What the handler of the server under test saw.
spdk_jsonrpc_request *g_request = nullptr;
int g_handled = 0;
spdk_jsonrpc_server *g_server = nullptr;
bool g_shutdown_in_handler = false;

void keep_request(spdk_jsonrpc_request *request, const spdk_json_val * /*method*/,
                  const spdk_json_val * /*params*/) {
    ++g_handled;
    g_request = request;
    if (g_shutdown_in_handler) {
        spdk_jsonrpc_send_bool_response(request, true);
        g_request = nullptr;
        spdk_jsonrpc_server_shutdown(g_server);
    }
}

class JsonrpcServer : public ::testing::Test {
  protected:
    void SetUp() override {
        g_request = nullptr;
        g_handled = 0;
        g_shutdown_in_handler = false;
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
        g_server = spdk_jsonrpc_server_listen(AF_UNIX, 0, reinterpret_cast<sockaddr *>(&addr),
                                              sizeof(addr), keep_request);
        ASSERT_NE(g_server, nullptr);
    }
    void TearDown() override {
        if (g_server != nullptr) {
            spdk_jsonrpc_server_shutdown(g_server);
            g_server = nullptr;
        }
    }

    // Polls until cond holds (at most 5 s).
    template <typename F>
    bool poll_until(F cond) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!cond()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            spdk_jsonrpc_server_poll(g_server);
            std::this_thread::sleep_for(1ms);
        }
        return true;
    }

    // Polls while the client waits for its next value.
    std::optional<json> read(RpcClient &c) {
        std::optional<json> r;
        poll_until([&] {
            r = c.read(1ms);
            return r.has_value();
        });
        return r;
    }

    RpcClient connect_and_send(const std::string &text) {
        auto c = RpcClient::connect(path_);
        EXPECT_TRUE(c.has_value());
        EXPECT_TRUE(c->send(text));
        return std::move(*c);
    }

    TempDir dir_;
    std::string path_ = dir_.file("s.sock");
};

TEST_F(JsonrpcServer, AnAnswerFromAnotherOsThreadIsSent) {
    RpcClient c = connect_and_send(R"({"jsonrpc":"2.0","method":"m","id":"x"})");
    ASSERT_TRUE(poll_until([] { return g_request != nullptr; }));
    std::thread answerer([request = g_request] {
        spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
        spdk_json_write_string(w, "from another thread");
        spdk_jsonrpc_end_result(request, w);
    });
    answerer.join();
    const std::optional<json> r = read(c);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->at("id"), "x");
    EXPECT_EQ(r->at("result"), "from another thread");
}

void closed(spdk_jsonrpc_server_conn *conn, void *ctx) {
    auto *seen = static_cast<std::pair<spdk_jsonrpc_server_conn *, int> *>(ctx);
    seen->first = conn;
    ++seen->second;
}

void other_closed(spdk_jsonrpc_server_conn * /*conn*/, void * /*ctx*/) {}

TEST_F(JsonrpcServer, AnAnswerAfterTheClientLeftIsDroppedAndTheCloseCallbackRunsOnce) {
    RpcClient c = connect_and_send(R"({"method":"m","id":1})");
    ASSERT_TRUE(poll_until([] { return g_request != nullptr; }));
    spdk_jsonrpc_server_conn *conn = spdk_jsonrpc_get_conn(g_request);
    ASSERT_NE(conn, nullptr);
    std::pair<spdk_jsonrpc_server_conn *, int> seen{nullptr, 0};
    EXPECT_EQ(spdk_jsonrpc_conn_add_close_cb(conn, closed, &seen), 0);
    EXPECT_EQ(spdk_jsonrpc_conn_add_close_cb(conn, closed, &seen), -EEXIST);
    EXPECT_EQ(spdk_jsonrpc_conn_add_close_cb(conn, other_closed, nullptr), -ENOSPC);
    EXPECT_EQ(spdk_jsonrpc_conn_del_close_cb(conn, other_closed, nullptr), -ENOENT);
    c.close();
    ASSERT_TRUE(poll_until([&] { return seen.second > 0; }));
    EXPECT_EQ(seen.first, conn);
    EXPECT_EQ(spdk_jsonrpc_get_conn(g_request), nullptr);
    spdk_jsonrpc_send_bool_response(g_request, true);  // dropped
    for (int i = 0; i < 5; ++i) {
        spdk_jsonrpc_server_poll(g_server);
    }
    EXPECT_EQ(seen.second, 1);
}

TEST_F(JsonrpcServer, AnAnswerAfterTheServerStoppedIsDropped) {
    RpcClient c = connect_and_send(R"({"method":"m","id":1})");
    ASSERT_TRUE(poll_until([] { return g_request != nullptr; }));
    spdk_jsonrpc_server_shutdown(g_server);
    g_server = nullptr;
    EXPECT_TRUE(c.wait_closed(2s));
    spdk_jsonrpc_send_error_response(g_request, -1, "too late");  // dropped
}

TEST_F(JsonrpcServer, AHandlerMayStopItsServer) {
    g_shutdown_in_handler = true;
    RpcClient c = connect_and_send(R"({"method":"m","id":1}{"method":"m","id":2})");
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (g_handled == 0 && std::chrono::steady_clock::now() < deadline) {
        spdk_jsonrpc_server_poll(g_server);  // the last poll frees the server
        std::this_thread::sleep_for(1ms);
    }
    g_server = nullptr;
    EXPECT_EQ(g_handled, 1);  // the second request is never handled
    // What was answered before the stop still went out.
    const std::optional<json> r = c.read(2s);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->at("result"), true);
    EXPECT_TRUE(c.wait_closed(2s));
}

TEST_F(JsonrpcServer, AResultThatIsNotOneValueIsAnInternalError) {
    RpcClient c = connect_and_send(R"({"method":"m","id":1})");
    ASSERT_TRUE(poll_until([] { return g_request != nullptr; }));
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(g_request);
    spdk_json_write_object_begin(w);  // never ended
    spdk_jsonrpc_end_result(g_request, w);
    const std::optional<json> r = read(c);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->at("error").at("code"), SPDK_JSONRPC_ERROR_INTERNAL_ERROR);
}

// --- spdk_rpc_server_listen: the path and its lock ----------------------------------------

TEST(RpcServerListen, RefusesAPathTooLongForASocket) {
    EXPECT_EQ(spdk_rpc_server_listen(("/tmp/" + std::string(200, 'x')).c_str()), nullptr);
    EXPECT_EQ(spdk_rpc_server_listen(""), nullptr);
    EXPECT_EQ(spdk_rpc_server_listen(nullptr), nullptr);
}

TEST(RpcServerListen, CloseRemovesTheSocketAndItsLock) {
    TempDir dir;
    const std::string path = dir.file("spdk.sock");
    spdk_rpc_server *server = spdk_rpc_server_listen(path.c_str());
    ASSERT_NE(server, nullptr);
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    ASSERT_EQ(stat((path + ".lock").c_str(), &st), 0);
    // The same path again, in the same process: the lock says no.
    EXPECT_EQ(spdk_rpc_server_listen(path.c_str()), nullptr);
    spdk_rpc_server_close(server);
    EXPECT_NE(stat(path.c_str(), &st), 0);
    EXPECT_NE(stat((path + ".lock").c_str(), &st), 0);
}

TEST(RpcServerListen, CloseLeavesAPathSomeoneElseTookOver) {
    TempDir dir;
    const std::string path = dir.file("spdk.sock");
    spdk_rpc_server *server = spdk_rpc_server_listen(path.c_str());
    ASSERT_NE(server, nullptr);
    ASSERT_EQ(unlink(path.c_str()), 0);
    { std::ofstream(path) << "not ours"; }
    spdk_rpc_server_close(server);
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0);
}

// --- spdk_rpc_initialize and the registry ---------------------------------------------------

class RpcInitialize : public ::testing::Test {
  protected:
    void SetUp() override {
        spdk_rpc_set_state(SPDK_RPC_RUNTIME);
        ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
        app_ = spdk_thread_create("app", nullptr);
        ASSERT_NE(app_, nullptr);
        spdk_set_thread(app_);
    }
    void TearDown() override {
        spdk_rpc_set_allowlist(nullptr);
        spdk_rpc_finish();
        spdk_thread_exit(app_);
        for (int i = 0; i < 100 && !spdk_thread_is_exited(app_); ++i) {
            spdk_thread_poll(app_, 0, 0);
        }
        spdk_thread_destroy(app_);
        spdk_set_thread(nullptr);
        spdk_thread_lib_fini();
        spdk_rpc_set_state(SPDK_RPC_STARTUP);
    }

    // Polls the app thread (its RPC poller among the rest) while c waits.
    std::optional<json> call(RpcClient &c, const std::string &method,
                             const json &params = nullptr) {
        nlohmann::json request = {{"jsonrpc", "2.0"}, {"method", method}, {"id", 1}};
        if (!params.is_null()) {
            request["params"] = params;
        }
        EXPECT_TRUE(c.send(request.dump()));
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            spdk_thread_poll(app_, 0, 0);
            if (auto r = c.read(1ms)) {
                return r;
            }
        }
        return std::nullopt;
    }

    spdk_thread *app_ = nullptr;
    TempDir dir_;
};

TEST_F(RpcInitialize, ServesTwoAddressesAndRefusesOneTwice) {
    const std::string a = dir_.file("a.sock");
    const std::string b = dir_.file("b.sock");
    ASSERT_EQ(spdk_rpc_initialize(a.c_str(), nullptr), 0);
    ASSERT_EQ(spdk_rpc_initialize(b.c_str(), nullptr), 0);
    EXPECT_EQ(spdk_rpc_initialize(a.c_str(), nullptr), -EADDRINUSE);
    for (const std::string &path : {a, b}) {
        auto c = RpcClient::connect(path);
        ASSERT_TRUE(c.has_value());
        const std::optional<json> r = call(*c, "spdk_get_version");
        ASSERT_TRUE(r.has_value()) << path;
        EXPECT_TRUE(r->contains("result"));
    }
    // Paused: the connection waits; resumed: it is served.
    spdk_rpc_server_pause(a.c_str());
    auto c = RpcClient::connect(a);
    ASSERT_TRUE(c.has_value());
    ASSERT_TRUE(c->send(R"({"method":"spdk_get_version","id":2})"));
    for (int i = 0; i < 50; ++i) {
        spdk_thread_poll(app_, 0, 0);
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_FALSE(c->read(1ms).has_value());
    spdk_rpc_server_resume(a.c_str());
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::optional<json> r;
    while (!r && std::chrono::steady_clock::now() < deadline) {
        spdk_thread_poll(app_, 0, 0);
        r = c->read(1ms);
    }
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->at("id"), 2);
    spdk_rpc_server_finish(a.c_str());
    EXPECT_FALSE(RpcClient::connect(a, 0ms).has_value());
}

TEST_F(RpcInitialize, TheAllowlistHidesTheOtherMethods) {
    const std::string path = dir_.file("s.sock");
    ASSERT_EQ(spdk_rpc_initialize(path.c_str(), nullptr), 0);
    const char *allowed[] = {"rpc_get_methods", nullptr};
    spdk_rpc_set_allowlist(allowed);
    auto c = RpcClient::connect(path);
    ASSERT_TRUE(c.has_value());
    const std::optional<json> methods = call(*c, "rpc_get_methods");
    ASSERT_TRUE(methods.has_value());
    EXPECT_EQ(methods->at("result"), json::array({"rpc_get_methods"}));
    EXPECT_EQ(call(*c, "spdk_get_version")->at("error").at("code"), -32601);
    EXPECT_EQ(spdk_rpc_is_method_allowed("spdk_get_version", SPDK_RPC_RUNTIME), -ENOENT);
    spdk_rpc_set_allowlist(nullptr);
    EXPECT_TRUE(call(*c, "spdk_get_version")->contains("result"));
}

}  // namespace
