// App's shutdown: SIGTERM and SIGINT reach on_shutdown on the app thread, once,
// and the main task winds down and gives the exit code. One App per process (real
// SPDK's environment starts once), so each case is its own ctest process.
#include "spdkcpp/app.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <string>

#include <cstdlib>
#include <optional>
#include <thread>

#include "../rpc/rpc_client.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {
namespace {

using namespace std::chrono_literals;

struct Shutdown {
    std::atomic<int> calls{0};
    std::atomic<bool> on_app_thread{false};
    std::atomic<bool> requested{false};
};

AppOptions options(Shutdown &s) {
    AppOptions o;
    o.name = "spdkcpp_app_test";
    o.mem_size_mb = 512;
    o.no_huge = true;
    o.disable_cpumask_locks = true;
    o.no_rpc_server = true;
    o.on_shutdown = [&s] {
        s.calls.fetch_add(1);
        s.on_app_thread = spdk_thread_is_app_thread(nullptr);
        s.requested = true;
    };
    return o;
}

// Signals itself `signals` times, then waits (in virtual steps of 1 ms, up to 10 s)
// until on_shutdown asked it to stop; 42 when it was asked, 1 when not.
Task<int> wait_for_shutdown(Shutdown &s, int signo, int signals) {
    for (int i = 0; i < signals; ++i) {
        std::raise(signo);
    }
    for (int waited = 0; waited < 10'000 && !s.requested; ++waited) {
        (void)co_await sleep(1ms);
    }
    co_await sleep(20ms);  // later signals, if any, have had time to arrive
    co_return s.requested ? 42 : 1;
}

void expect_one_shutdown(int signo, int signals) {
    Shutdown s;
    App app(options(s));
    EXPECT_EQ(app.run(wait_for_shutdown(s, signo, signals)), 42);
    EXPECT_EQ(s.calls.load(), 1);
    EXPECT_TRUE(s.on_app_thread);
}

TEST(AppShutdown, SigtermRunsOnShutdownOnTheAppThreadAndTheTaskGivesTheExitCode) {
    expect_one_shutdown(SIGTERM, 1);
}

TEST(AppShutdown, RepeatedSigintsRunOnShutdownOnce) {
    expect_one_shutdown(SIGINT, 3);
}

// AppOptions::wait_for_rpc: the main task starts once a client (here a thread of
// the test) called framework_start_init on the app's RPC socket.
TEST(AppRpc, WaitForRpcStartsTheMainTaskOnFrameworkStartInit) {
    char dir[] = "/tmp/spdkcpp-app-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string socket = std::string(dir) + "/spdk.sock";
    Shutdown s;
    AppOptions o = options(s);
    o.no_rpc_server = false;
    o.rpc_addr = socket;
    o.wait_for_rpc = true;
    std::atomic<bool> task_started{false};
    std::atomic<bool> started_before_the_call{false};
    std::optional<nlohmann::json> answer;
    std::thread client([&] {
        auto c = testing::RpcClient::connect(socket, 30s);
        if (!c) {
            return;
        }
        std::this_thread::sleep_for(100ms);
        started_before_the_call = task_started.load();
        answer = c->call("framework_start_init");
    });
    App app(std::move(o));
    const int rc = app.run([](std::atomic<bool> &started) -> Task<int> {
        started = true;
        (void)co_await sleep(100ms);  // the answer goes out meanwhile
        co_return 7;
    }(task_started));
    client.join();
    rmdir(dir);
    EXPECT_EQ(rc, 7);
    EXPECT_FALSE(started_before_the_call);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->value("result", nlohmann::json()), true) << answer->dump();
}

// A SIGTERM while the app waits for framework_start_init stops it; the main task
// never runs.
TEST(AppRpc, SigtermWhileWaitingForRpcStopsTheApp) {
    char dir[] = "/tmp/spdkcpp-app-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string socket = std::string(dir) + "/spdk.sock";
    Shutdown s;
    AppOptions o = options(s);
    o.no_rpc_server = false;
    o.rpc_addr = socket;
    o.wait_for_rpc = true;
    std::thread signaller([&] {
        if (testing::RpcClient::connect(socket, 30s)) {
            kill(getpid(), SIGTERM);
        }
    });
    bool task_ran = false;
    App app(std::move(o));
    const int rc = app.run([](bool &ran) -> Task<int> {
        ran = true;
        co_return 3;
    }(task_ran));
    signaller.join();
    rmdir(dir);
    EXPECT_EQ(rc, 0);
    EXPECT_FALSE(task_ran);
    EXPECT_EQ(s.calls.load(), 0);  // on_shutdown is for a main task that runs
}

}  // namespace
}  // namespace spdkcpp
