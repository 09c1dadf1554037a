// Conformance of subsystem initialization and JSON configuration loading
// (spdk/init.h). Threads are driven by hand; the test subsystems and RPC methods
// below are registered for the whole binary, so tests look only at their own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "internal/rpc.hpp"
#include "spdk/init.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"
#include "thread_test_util.hpp"

namespace {

using spdk_test::LogCapture;

// --- test subsystems: test_c depends on test_b, which depends on test_a -------------

std::vector<std::string> g_events;  // "init:x" / "fini:x", in order
int g_fail_b = 0;                   // test_b's init result
bool g_async_b = false;             // test_b completes its init through a message
bool g_b_on_app_thread = false;

void record(const char *what) {
    g_events.emplace_back(what);
}

void init_a() {
    record("init:a");
    spdk_subsystem_init_next(0);
}
void fini_a() {
    record("fini:a");
    spdk_subsystem_fini_next();
}
void init_b() {
    record("init:b");
    g_b_on_app_thread = spdk_thread_is_app_thread(nullptr);
    if (g_async_b) {
        spdk_thread_send_msg(
            spdk_get_thread(), [](void *) { spdk_subsystem_init_next(g_fail_b); }, nullptr);
        return;
    }
    spdk_subsystem_init_next(g_fail_b);
}
void fini_b() {
    record("fini:b");
    // Finishes through a message, as subsystems with work to wait for do.
    spdk_thread_send_msg(
        spdk_get_thread(), [](void *) { spdk_subsystem_fini_next(); }, nullptr);
}
void init_c() {
    record("init:c");
    spdk_subsystem_init_next(0);
}
void fini_c() {
    record("fini:c");
    spdk_subsystem_fini_next();
}

// Registered in the reverse of dependency order, to show the sorting.
spdk_subsystem g_test_c = {"test_c", init_c, fini_c, nullptr, {}};
spdk_subsystem g_test_b = {"test_b", init_b, fini_b, nullptr, {}};
spdk_subsystem g_test_a = {"test_a", init_a, fini_a, nullptr, {}};
// A subsystem without callbacks is simply skipped.
spdk_subsystem g_test_plain = {"test_plain", nullptr, nullptr, nullptr, {}};
SPDK_SUBSYSTEM_REGISTER(g_test_c)
SPDK_SUBSYSTEM_REGISTER(g_test_b)
SPDK_SUBSYSTEM_REGISTER(g_test_a)
SPDK_SUBSYSTEM_REGISTER(g_test_plain)
SPDK_SUBSYSTEM_DEPEND(test_c, test_b)
SPDK_SUBSYSTEM_DEPEND(test_b, test_a)

// Position of an event, or -1.
int pos(const std::string &event) {
    auto it = std::find(g_events.begin(), g_events.end(), event);
    return it == g_events.end() ? -1 : static_cast<int>(it - g_events.begin());
}

// --- test RPC methods ----------------------------------------------------------------

struct Applied {
    std::vector<std::string> names;
    bool all_on_app_thread = true;
};
Applied g_applied;

int rpc_test_set(const nlohmann::json &params, std::string &error) {
    g_applied.all_on_app_thread &= spdk_thread_is_app_thread(nullptr);
    auto name = params.find("name");
    if (name == params.end() || !name->is_string()) {
        error = "name: missing or not a string";
        return -EINVAL;
    }
    auto value = params.find("value");
    if (value == params.end() || !value->is_number_integer() || value->get<int>() < 0) {
        error = "value: must be a non-negative integer";
        return -EINVAL;
    }
    g_applied.names.push_back(name->get<std::string>());
    return 0;
}

int rpc_test_throw(const nlohmann::json & /*params*/, std::string & /*error*/) {
    throw std::runtime_error("handler exploded");
}

int rpc_test_noparams(const nlohmann::json &params, std::string & /*error*/) {
    g_applied.names.push_back(params.is_object() && params.empty() ? "<empty>" : "<other>");
    return 0;
}

SPDK_EMBEDDED_RPC_REGISTER("test_set", rpc_test_set, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME);
SPDK_EMBEDDED_RPC_REGISTER("test_throw", rpc_test_throw, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME);
SPDK_EMBEDDED_RPC_REGISTER("test_noparams", rpc_test_noparams, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME);

class InitTest : public ::testing::Test {
  protected:
    void SetUp() override {
        g_events.clear();
        g_fail_b = 0;
        g_async_b = false;
        g_applied = {};
        spdk_rpc_set_state(SPDK_RPC_STARTUP);
        ASSERT_EQ(spdk_thread_lib_init(nullptr, 0), 0);
        app_ = spdk_thread_create("app", nullptr);
        ASSERT_NE(app_, nullptr);
        spdk_set_thread(app_);
    }
    void TearDown() override {
        spdk_set_thread(app_);
        spdk_thread_exit(app_);
        for (int i = 0; i < 100 && !spdk_thread_is_exited(app_); ++i) {
            spdk_thread_poll(app_, 0, 0);
        }
        spdk_thread_destroy(app_);
        spdk_set_thread(nullptr);
        spdk_thread_lib_fini();
    }

    void drain() {
        for (int i = 0; i < 10000 && spdk_thread_poll(app_, 0, 0) != 0; ++i) {
        }
        spdk_set_thread(app_);
    }

    struct Result {
        bool done = false;
        int rc = 1;
        spdk_thread *on = nullptr;
    };
    static void on_done(int rc, void *arg) {
        auto *r = static_cast<Result *>(arg);
        r->done = true;
        r->rc = rc;
        r->on = spdk_get_thread();
    }

    Result init() {
        Result r;
        spdk_subsystem_init(on_done, &r);
        drain();
        return r;
    }
    void fini() {
        bool done = false;
        spdk_subsystem_fini([](void *arg) { *static_cast<bool *>(arg) = true; }, &done);
        drain();
        EXPECT_TRUE(done);
    }
    Result load(const std::string &text, bool stop_on_error = true) {
        std::string copy = text;
        Result r;
        spdk_subsystem_load_config(copy.data(), static_cast<ssize_t>(copy.size()), on_done, &r,
                                   stop_on_error);
        drain();
        return r;
    }

    spdk_thread *app_ = nullptr;
};

// --- subsystems ----------------------------------------------------------------------

TEST_F(InitTest, SubsystemsInitInDependencyOrderAndFinishInReverse) {
    g_async_b = true;
    Result r;
    spdk_subsystem_init(on_done, &r);
    EXPECT_FALSE(r.done);  // test_b completes through a message
    drain();
    ASSERT_TRUE(r.done);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.on, app_);
    EXPECT_TRUE(g_b_on_app_thread);
    ASSERT_GE(pos("init:a"), 0);
    EXPECT_LT(pos("init:a"), pos("init:b"));
    EXPECT_LT(pos("init:b"), pos("init:c"));
    fini();
    ASSERT_GE(pos("fini:c"), 0);
    EXPECT_LT(pos("fini:c"), pos("fini:b"));
    EXPECT_LT(pos("fini:b"), pos("fini:a"));
    EXPECT_GT(pos("fini:c"), pos("init:c"));
}

TEST_F(InitTest, SubsystemsExist) {
    EXPECT_TRUE(spdk_subsystem_exists("test_a"));
    EXPECT_TRUE(spdk_subsystem_exists("test_plain"));
    EXPECT_FALSE(spdk_subsystem_exists("no_such_subsystem"));
    EXPECT_FALSE(spdk_subsystem_exists(nullptr));
}

// As SPDK's: the subsystem whose init failed is finished too (its fini releases
// what its init got before failing), then the ones before it; none after it.
TEST_F(InitTest, FailedInitStopsAndFiniFinishesTheFailedOneAndThoseBefore) {
    LogCapture log;
    g_fail_b = -EIO;
    Result r = init();
    ASSERT_TRUE(r.done);
    EXPECT_EQ(r.rc, -EIO);
    EXPECT_TRUE(log.contains("test_b"));
    EXPECT_EQ(pos("init:c"), -1);
    fini();
    ASSERT_GE(pos("fini:b"), 0);
    EXPECT_LT(pos("fini:b"), pos("fini:a"));
    EXPECT_EQ(pos("fini:c"), -1);  // never started
}

TEST_F(InitTest, FiniWhileASubsystemInitializesInterruptsTheInit) {
    g_async_b = true;
    Result r;
    spdk_subsystem_init(on_done, &r);
    EXPECT_GE(pos("init:b"), 0);
    fini();  // before test_b's init completes: test_b is finished, then test_a
    ASSERT_GE(pos("fini:b"), 0);
    EXPECT_LT(pos("fini:b"), pos("fini:a"));
    EXPECT_EQ(pos("init:c"), -1);  // test_b's late completion is ignored
    EXPECT_FALSE(r.done);
}

TEST_F(InitTest, FiniTwiceFinishesOnce) {
    Result r = init();
    EXPECT_EQ(r.rc, 0);
    fini();
    fini();
    EXPECT_EQ(std::count(g_events.begin(), g_events.end(), "fini:a"), 1);
}

TEST_F(InitTest, InitOffTheAppThreadIsRefused) {
    LogCapture log;
    spdk_thread *other = spdk_thread_create("other", nullptr);
    spdk_set_thread(other);
    Result r;
    spdk_subsystem_init(on_done, &r);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.rc, -EINVAL);
    EXPECT_TRUE(g_events.empty());
    spdk_thread_exit(other);
    spdk_thread_poll(other, 0, 0);
    spdk_thread_destroy(other);
}

// Registration is for the life of the process: these run in a child process.
int init_in_child(spdk_subsystem_depend *dep) {
    spdk_add_subsystem_depend(dep);
    spdk_thread_lib_init(nullptr, 0);
    spdk_set_thread(spdk_thread_create("app", nullptr));
    int rc = 1;
    spdk_subsystem_init([](int r, void *arg) { *static_cast<int *>(arg) = r; }, &rc);
    for (int i = 0; i < 100; ++i) {
        spdk_thread_poll(spdk_get_thread(), 0, 0);
    }
    return rc;
}

TEST(InitDeathTest, MissingDependencyFailsTheInit) {
    static spdk_subsystem_depend dep = {"test_a", "not_registered", {}};
    EXPECT_EXIT(std::exit(init_in_child(&dep) == -ENOENT ? 0 : 1), ::testing::ExitedWithCode(0),
                "not_registered");
}

TEST(InitDeathTest, DependencyCycleFailsTheInit) {
    static spdk_subsystem_depend dep = {"test_a", "test_c", {}};
    EXPECT_EXIT(std::exit(init_in_child(&dep) == -EINVAL ? 0 : 1), ::testing::ExitedWithCode(0),
                "cycle");
}

// --- JSON configuration --------------------------------------------------------------

TEST_F(InitTest, ConfigCallsEachMethodInOrderOnTheAppThread) {
    Result r;
    std::string text = R"({
        "subsystems": [
            {"subsystem": "test_a", "config": [
                {"method": "test_set", "params": {"name": "one", "value": 1}},
                {"method": "test_set", "params": {"name": "two", "value": 2}}
            ]},
            {"subsystem": "test_plain", "config": null},
            {"subsystem": "test_b", "config": [
                {"method": "test_set", "params": {"name": "three", "value": 3}},
                {"method": "test_noparams"}
            ]}
        ]
    })";
    spdk_subsystem_load_config(text.data(), static_cast<ssize_t>(text.size()), on_done, &r, true);
    EXPECT_FALSE(r.done);  // applied through messages
    EXPECT_TRUE(g_applied.names.empty());
    spdk_thread_poll(app_, 0, 0);
    EXPECT_EQ(g_applied.names.size(), 1U);  // one call per message
    drain();
    ASSERT_TRUE(r.done);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.on, app_);
    EXPECT_EQ(g_applied.names, (std::vector<std::string>{"one", "two", "three", "<empty>"}));
    EXPECT_TRUE(g_applied.all_on_app_thread);
}

TEST_F(InitTest, ConfigAcceptsCommentsBatchesAndAnUnterminatedBuffer) {
    std::string text = R"({
        // a comment
        "subsystems": [{"subsystem": "test_a", "config": [
            [{"method": "test_set", "params": {"name": "b1", "value": 1}},
             {"method": "test_set", "params": {"name": "b2", "value": 2}}],
            {"method": "test_set", "params": {"name": "after", "value": 3}}
        ]}]
    })";
    std::string buffer = text + "garbage that is not part of the document";
    Result r;
    spdk_subsystem_load_config(buffer.data(), static_cast<ssize_t>(text.size()), on_done, &r, true);
    drain();
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(g_applied.names, (std::vector<std::string>{"b1", "b2", "after"}));
}

TEST_F(InitTest, ConfigWithoutSubsystemsIsEmpty) {
    LogCapture log;
    EXPECT_EQ(load(R"({"something_else": 1})").rc, 0);
    EXPECT_EQ(load(R"({"subsystems": []})").rc, 0);
    EXPECT_TRUE(g_applied.names.empty());
}

TEST_F(InitTest, MalformedConfigIsRefused) {
    LogCapture log;
    Result r;
    std::string text = R"({"subsystems": [ {"subsystem": "test_a", "config": [ }])";
    spdk_subsystem_load_config(text.data(), static_cast<ssize_t>(text.size()), on_done, &r, true);
    EXPECT_TRUE(r.done);  // as SPDK: at once when the text does not parse
    EXPECT_EQ(r.rc, -EINVAL);
    EXPECT_TRUE(log.contains("not valid JSON"));
    EXPECT_TRUE(log.contains("line 1"));

    const char *bad_shapes[] = {
        R"([1, 2])",
        R"({"subsystems": {"subsystem": "test_a"}})",
        R"({"subsystems": [{"config": []}]})",
        R"({"subsystems": [{"subsystem": "test_a"}]})",
        R"({"subsystems": [{"subsystem": "test_a", "config": {}}]})",
        R"({"subsystems": [{"subsystem": "test_a", "config": [{"params": {}}]}]})",
        R"({"subsystems": [{"subsystem": "test_a", "config": [7]}]})",
        R"({"subsystems": [{"subsystem": "test_a", "config": [{"method": "test_set",
                "params": [1]}]}]})",
    };
    for (const char *bad : bad_shapes) {
        Result res = load(bad);
        EXPECT_TRUE(res.done) << bad;
        EXPECT_EQ(res.rc, -EINVAL) << bad;
    }
    EXPECT_TRUE(g_applied.names.empty());
    Result empty;
    spdk_subsystem_load_config(nullptr, 0, on_done, &empty, true);
    EXPECT_EQ(empty.rc, -EINVAL);
}

TEST_F(InitTest, FailingMethodStopsTheLoadAndNamesTheProblem) {
    LogCapture log;
    Result r = load(R"({"subsystems": [{"subsystem": "test_a", "config": [
        {"method": "test_set", "params": {"name": "ok", "value": 1}},
        {"method": "test_set", "params": {"name": "bad", "value": -5}},
        {"method": "test_set", "params": {"name": "never", "value": 2}}
    ]}]})");
    ASSERT_TRUE(r.done);
    EXPECT_NE(r.rc, 0);
    EXPECT_EQ(g_applied.names, std::vector<std::string>{"ok"});
    const std::string text = log.text();
    EXPECT_NE(text.find("test_a"), std::string::npos) << text;
    EXPECT_NE(text.find("test_set"), std::string::npos) << text;
    EXPECT_NE(text.find("value: must be a non-negative integer"), std::string::npos) << text;
}

TEST_F(InitTest, FailingMethodIsSkippedWhenErrorsAreIgnored) {
    LogCapture log;
    Result r = load(R"({"subsystems": [{"subsystem": "test_a", "config": [
        {"method": "test_set", "params": {"value": 1}},
        {"method": "no_such_method"},
        {"method": "test_set", "params": {"name": "later", "value": 2}}
    ]}]})",
                    false);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(g_applied.names, std::vector<std::string>{"later"});
    EXPECT_TRUE(log.contains("name: missing"));
}

TEST_F(InitTest, UnknownMethodOfAKnownSubsystemFails) {
    LogCapture log;
    Result r = load(R"({"subsystems": [{"subsystem": "test_a", "config": [
        {"method": "no_such_method", "params": {}},
        {"method": "test_set", "params": {"name": "never", "value": 2}}
    ]}]})");
    EXPECT_EQ(r.rc, -ENOENT);
    EXPECT_TRUE(g_applied.names.empty());
    EXPECT_TRUE(log.contains("no_such_method"));
    EXPECT_TRUE(log.contains("test_a"));
}

TEST_F(InitTest, MethodsOfASubsystemTheProgramLacksAreSkipped) {
    LogCapture log;
    Result r = load(R"({"subsystems": [
        {"subsystem": "accel", "config": [{"method": "accel_set_options", "params": {}}]},
        {"subsystem": "test_a", "config": [
            {"method": "test_set", "params": {"name": "applied", "value": 1}}]}
    ]})");
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(g_applied.names, std::vector<std::string>{"applied"});
    EXPECT_TRUE(log.contains("accel_set_options"));
}

TEST_F(InitTest, ThrowingHandlerIsAFailure) {
    LogCapture log;
    Result r = load(R"({"subsystems": [{"subsystem": "test_a", "config": [
        {"method": "test_throw"}]}]})");
    EXPECT_NE(r.rc, 0);
    EXPECT_TRUE(log.contains("handler exploded"));
}

TEST_F(InitTest, LoadOffTheAppThreadIsRefused) {
    LogCapture log;
    spdk_set_thread(nullptr);
    Result r;
    std::string text = R"({"subsystems": []})";
    spdk_subsystem_load_config(text.data(), static_cast<ssize_t>(text.size()), on_done, &r, true);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.rc, -EINVAL);
}

}  // namespace
