// Bad and hostile clients of an app's RPC socket: each case once, then a check that
// the app still answers a well-behaved client promptly, and (at the fixture's end)
// that it stops cleanly. Run under ASan/UBSan on the asan preset, so a use after
// free of a request whose client left shows there.
#include <sys/socket.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rpc_fixture.hpp"

namespace spdkcpp::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

class BadClient : public RpcAppTest {
  protected:
    void SetUp() override { start(); }

    // A well-behaved client is answered, and within a second.
    void expect_still_serving() {
        RpcClient c = connect();
        const auto t0 = Clock::now();
        const std::optional<json> r = c.call("test_echo", {{"text", "alive"}}, 1, 5s);
        ASSERT_TRUE(r.has_value()) << "no answer:\n" << app_->log();
        EXPECT_EQ(r->at("result").at("text"), "alive");
        EXPECT_LT(Clock::now() - t0, 1s);
        EXPECT_TRUE(app_->running());
    }
};

TEST_F(BadClient, OversizedRequestClosesItsConnection) {
    RpcClient c = connect();
    // A request that never ends: a string parameter of 4 MiB and more.
    std::string huge = R"({"jsonrpc":"2.0","method":"test_echo","id":1,"params":{"text":")";
    huge.append(4 * 1024 * 1024, 'a');
    c.send(huge, 10s);  // the server may close before it took it all
    ASSERT_TRUE(c.wait_closed(20s));
#ifdef SPDKCPP_TEST_EMBEDDED
    // The runtime says why before it closes (SPDK closes at 32 KiB without a word).
    const json error = json::parse(c.pending());
    EXPECT_EQ(error.at("error").at("code"), -32600);
#endif
    expect_still_serving();
}

TEST_F(BadClient, NestingDeeperThan64IsAParseError) {
    RpcClient c = connect();
    std::string deep = R"({"jsonrpc":"2.0","method":"test_echo","id":1,"params":)";
    deep.append(100, '[');  // never closed: the depth alone ends it
    ASSERT_TRUE(c.send(deep));
    ASSERT_TRUE(c.wait_closed());
#ifdef SPDKCPP_TEST_EMBEDDED
    EXPECT_EQ(json::parse(c.pending()).at("error").at("code"), -32700);
#endif
    // 64 deep is fine (the request object and its params count).
    RpcClient ok = connect();
    std::string params = std::string(62, '[') + std::string(62, ']');
    ASSERT_TRUE(
        ok.send(R"({"jsonrpc":"2.0","method":"test_echo","id":1,"params":)" + params + "}"));
    const std::optional<json> r = ok.read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->at("error").at("code"), -32602);  // an array is not test_echo's params
    expect_still_serving();
}

TEST_F(BadClient, TooManyConnectionsWaitForAFreeOne) {
    // The server keeps 64 connections (as SPDK); more wait in the listen backlog.
    std::vector<RpcClient> idle;
    for (int i = 0; i < 64; ++i) {
        idle.push_back(connect());
    }
    // Let the server accept them all.
    ASSERT_EQ(result_of(idle[0], "test_echo", {{"text", "first"}}).at("text"), "first");
    std::this_thread::sleep_for(100ms);
    RpcClient extra = connect();
    ASSERT_TRUE(
        extra.send(R"({"jsonrpc":"2.0","method":"test_echo","params":{"text":"65"},"id":65})"));
    EXPECT_FALSE(extra.read(500ms).has_value());
    idle.back().close();
    const std::optional<json> r = extra.read(10s);
    ASSERT_TRUE(r.has_value()) << "not served once a connection was free";
    EXPECT_EQ(r->at("result").at("text"), "65");
    EXPECT_EQ(result_of(idle[1], "test_echo", {{"text", "an old one"}}).at("text"), "an old one");
}

TEST_F(BadClient, ClientThatNeverReadsItsResponses) {
    RpcClient greedy = connect();
    // Requests with large answers, sent without reading any: the server must not
    // block on them, and must stop reading from this client at some point.
    const std::string request = R"({"jsonrpc":"2.0","method":"rpc_get_methods","id":1})";
    size_t sent = 0;
    const auto deadline = Clock::now() + 10s;
    int stalled = 0;
    // Bounded, so that a server without back-pressure (SPDK's) is not flooded.
    while (Clock::now() < deadline && stalled < 50 && sent < 20000) {
        const size_t n = greedy.send_some(request);
        if (n == request.size()) {
            ++sent;
            stalled = 0;
            continue;
        }
        if (n > 0) {
            // A partial send: finish this request so the stream stays well formed.
            greedy.send(std::string_view(request).substr(n), 5s);
            ++sent;
        }
        ++stalled;
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_GT(sent, 100U);
#ifdef SPDKCPP_TEST_EMBEDDED
    // The runtime stopped reading this client once its unsent answers piled up.
    EXPECT_EQ(stalled, 50) << sent << " requests sent";
#endif
    // Meanwhile, others are served at once.
    expect_still_serving();
    greedy.close();
    expect_still_serving();
}

TEST_F(BadClient, DisconnectInTheMiddleOfARequest) {
    for (int i = 0; i < 10; ++i) {
        RpcClient c = connect();
        ASSERT_TRUE(c.send(R"({"jsonrpc":"2.0","method":"test_echo","params":{"te)"));
        c.close();
    }
    expect_still_serving();
}

TEST_F(BadClient, DisconnectBeforeAnAsyncAnswer) {
    for (int i = 0; i < 10; ++i) {
        RpcClient c = connect();
        ASSERT_TRUE(c.send(
            R"({"jsonrpc":"2.0","method":"test_answer_later","params":{"ms":100},"id":1})"
            R"({"jsonrpc":"2.0","method":"bdev_get_bdevs","params":{"name":"Nope","timeout":300},"id":2})"));
        std::this_thread::sleep_for(20ms);  // the server has the requests
        c.close();
    }
    // The answers come after their clients left: dropped, nothing else.
    std::this_thread::sleep_for(500ms);
    expect_still_serving();
}

TEST_F(BadClient, GarbageBytesCloseTheConnection) {
    std::mt19937 rng(7);
    for (int round = 0; round < 5; ++round) {
        RpcClient c = connect();
        std::string garbage(1000, '\0');
        for (char &ch : garbage) {
            ch = static_cast<char>(rng() & 0xff);
        }
        garbage[0] = '\x01';  // not whitespace, not the start of a value
        c.send(garbage, 5s);
        EXPECT_TRUE(c.wait_closed());
    }
    RpcClient c = connect();
    ASSERT_TRUE(c.send(std::string("\x00\xff\xfe{{{", 6)));
    EXPECT_TRUE(c.wait_closed());
    expect_still_serving();
}

TEST_F(BadClient, ARequestSentAByteAtATimeIsServed) {
    RpcClient c = connect();
    const std::string request =
        R"({"jsonrpc":"2.0","method":"test_echo","params":{"text":"s\"l{o[w"},"id":3})";
    for (char ch : request) {
        ASSERT_TRUE(c.send(std::string_view(&ch, 1)));
        std::this_thread::sleep_for(1ms);
    }
    const std::optional<json> r = c.read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->at("result").at("text"), "s\"l{o[w");
    expect_still_serving();
}

TEST_F(BadClient, HalfClosedClientStillGetsItsAnswers) {
    RpcClient c = connect();
    ASSERT_TRUE(
        c.send(R"({"jsonrpc":"2.0","method":"test_answer_later","params":{"ms":100},"id":1})"
               R"({"jsonrpc":"2.0","method":"spdk_get_version","id":2})"));
    shutdown(c.fd(), SHUT_WR);
    const std::optional<json> first = c.read();
    const std::optional<json> second = c.read();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->at("id"), 2);
    EXPECT_EQ(second->at("id"), 1);
    EXPECT_TRUE(c.wait_closed());
    expect_still_serving();
}

}  // namespace
}  // namespace spdkcpp::testing
