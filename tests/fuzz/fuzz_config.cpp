// libFuzzer target: SPDK's JSON config loader, spdk_subsystem_load_config
// (runtime/src/init/json_config.cpp), on arbitrary bytes, on an app thread driven by
// hand.
//
// What persists: nothing. The load runs in the STARTUP state, as the app
// framework's first pass, so the runtime's own methods that create bdevs (RUNTIME
// only: bdev_malloc_create, bdev_null_create, ...) are skipped by the loader's state
// check and never run; bdev_set_options (STARTUP) may run and change the bdev
// options, which nothing here uses. The methods this fuzzer registers (fuzz_*,
// STARTUP and RUNTIME) decode their params with spdk_json_decode_object and answer
// at once, later from a message, or with an error; they keep nothing. Every input
// must end its load (the callback runs exactly once) within a bounded number of
// polls, and leave no message behind.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "spdk/init.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"
#include "spdk/util.h"

namespace {

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "fuzz_config: %s\n", what);
    std::abort();
}

struct SetParams {
    char *name = nullptr;
    uint32_t value = 0;
    bool flag = false;
    int32_t delta = 0;
};

const spdk_json_object_decoder kSetDecoders[] = {
    {"name", offsetof(SetParams, name), spdk_json_decode_string, false},
    {"value", offsetof(SetParams, value), spdk_json_decode_uint32, false},
    {"flag", offsetof(SetParams, flag), spdk_json_decode_bool, true},
    {"delta", offsetof(SetParams, delta), spdk_json_decode_int32, true},
};

// Decodes its params as an SPDK method does; answers true, or an error.
void rpc_fuzz_set(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    SetParams p;
    const int rc = spdk_json_decode_object(params, kSetDecoders, SPDK_COUNTOF(kSetDecoders), &p);
    spdk_json_free_object(kSetDecoders, SPDK_COUNTOF(kSetDecoders), &p);
    if (rc != 0) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "invalid params");
        return;
    }
    spdk_jsonrpc_send_bool_response(request, true);
}

// Answers from a message, after the handler has returned.
void rpc_fuzz_later(spdk_jsonrpc_request *request, const spdk_json_val * /*params*/) {
    const int rc = spdk_thread_send_msg(
        spdk_get_thread(),
        [](void *arg) {
            spdk_jsonrpc_send_bool_response(static_cast<spdk_jsonrpc_request *>(arg), true);
        },
        request);
    if (rc != 0) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR, "no message");
    }
}

// Always fails: with stop_on_error the load ends there.
void rpc_fuzz_fail(spdk_jsonrpc_request *request, const spdk_json_val * /*params*/) {
    spdk_jsonrpc_send_error_response_fmt(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS, "%s",
                                         "fails on purpose");
}

SPDK_RPC_REGISTER("fuzz_set", rpc_fuzz_set, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("fuzz_later", rpc_fuzz_later, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("fuzz_fail", rpc_fuzz_fail, SPDK_RPC_STARTUP)

// The app thread, made once for the whole run (the first thread is the app thread).
spdk_thread *app_thread() {
    static spdk_thread *const thread = [] {
        spdk_log_set_print_level(SPDK_LOG_DISABLED);
        spdk_log_set_level(SPDK_LOG_DISABLED);
        if (spdk_thread_lib_init(nullptr, 0) != 0) {
            fail("spdk_thread_lib_init");
        }
        spdk_thread *t = spdk_thread_create("fuzz_app", nullptr);
        if (t == nullptr || !spdk_thread_is_app_thread(t)) {
            fail("no app thread");
        }
        spdk_rpc_set_state(SPDK_RPC_STARTUP);
        return t;
    }();
    return thread;
}

struct Done {
    int calls = 0;
    int rc = 0;
};

}  // namespace

// Makes the app thread before the first input (what lives for the whole run is no
// leak of the first input).
extern "C" int LLVMFuzzerInitialize(int * /*argc*/, char *** /*argv*/) {
    (void)app_thread();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return -1;
    }
    spdk_thread *app = app_thread();
    spdk_set_thread(app);
    const bool stop_on_error = (data[0] & 1) != 0;
    ++data;
    --size;
    // An exact-size copy (ASan bounds); the loader copies it again for itself.
    auto text = std::make_unique<uint8_t[]>(size == 0 ? 1 : size);
    std::copy(data, data + size, text.get());
    Done done;
    spdk_subsystem_load_config(
        size == 0 ? nullptr : text.get(), static_cast<ssize_t>(size),
        [](int rc, void *arg) {
            auto *d = static_cast<Done *>(arg);
            ++d->calls;
            d->rc = rc;
        },
        &done, stop_on_error);
    // One message per config entry at most, and the input is at most a few KiB.
    for (int i = 0; i < 100000 && done.calls == 0; ++i) {
        spdk_thread_poll(app, 0, 0);
    }
    if (done.calls != 1) {
        fail("the load did not end exactly once");
    }
    if (done.rc > 0) {
        fail("a positive rc");
    }
    if (spdk_thread_poll(app, 0, 0) != 0) {
        fail("work left on the app thread after the load ended");
    }
    spdk_set_thread(nullptr);
    return 0;
}
