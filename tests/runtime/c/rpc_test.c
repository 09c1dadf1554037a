/* A plain C "module" that registers its JSON-RPC methods as SPDK modules do
 * (SPDK_RPC_REGISTER, spdk_json_decode_object, spdk_jsonrpc_send_*), configured
 * through spdk_subsystem_load_config: required and optional params, a bad type
 * answered with INVALID_PARAMS, a method that answers from a later message, state
 * masks, an error answer failing the load, a deprecated alias and a duplicate
 * registration. Exits non-zero on failure. */
#include "spdk/stdinc.h"

#include "spdk/env.h"
#include "spdk/init.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/thread.h"
#include "spdk/util.h"

#include "test_util.h"

/* --- what the methods saw ------------------------------------------------------------ */

#define MAX_CALLS 16

struct create_call {
    char *name;
    uint64_t size;
    uint32_t flags;
    bool enabled;
};

static struct create_call g_created[MAX_CALLS];
static int g_create_count;
static int g_startup_calls;
static int g_async_started;
static int g_async_answered;
static bool g_create_saw_async_unanswered; /* a create ran while an async was pending */
static int g_result_calls;

static void reset_calls(void) {
    int i;

    for (i = 0; i < g_create_count; i++) {
        free(g_created[i].name);
    }
    memset(g_created, 0, sizeof(g_created));
    g_create_count = 0;
    g_startup_calls = 0;
    g_async_started = 0;
    g_async_answered = 0;
    g_create_saw_async_unanswered = false;
    g_result_calls = 0;
}

/* --- test_c_create {name, size, flags?, enabled?}: a module's create method ---------- */

struct rpc_create {
    char *name;
    uint64_t size;
    uint32_t flags;
    bool enabled;
};

static const struct spdk_json_object_decoder rpc_create_decoders[] = {
    {"name", offsetof(struct rpc_create, name), spdk_json_decode_string, false},
    {"size", offsetof(struct rpc_create, size), spdk_json_decode_uint64, false},
    {"flags", offsetof(struct rpc_create, flags), spdk_json_decode_uint32, true},
    {"enabled", offsetof(struct rpc_create, enabled), spdk_json_decode_bool, true},
};

static void rpc_test_c_create(struct spdk_jsonrpc_request *request,
                              const struct spdk_json_val *params) {
    struct rpc_create req = {NULL, 0, 7, true}; /* the optional fields' defaults */

    if (spdk_json_decode_object(params, rpc_create_decoders, SPDK_COUNTOF(rpc_create_decoders),
                                &req)) {
        spdk_json_free_object(rpc_create_decoders, SPDK_COUNTOF(rpc_create_decoders), &req);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
        return;
    }
    if (g_async_started != g_async_answered) {
        g_create_saw_async_unanswered = true;
    }
    if (g_create_count < MAX_CALLS) {
        g_created[g_create_count].name = req.name; /* kept: freed by reset_calls */
        g_created[g_create_count].size = req.size;
        g_created[g_create_count].flags = req.flags;
        g_created[g_create_count].enabled = req.enabled;
        g_create_count++;
    } else {
        free(req.name);
    }
    spdk_jsonrpc_send_bool_response(request, true);
}
SPDK_RPC_REGISTER("test_c_create", rpc_test_c_create, SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER_ALIAS_DEPRECATED(test_c_create, test_c_construct)

/* Registered again under test_c_create by test_registry: refused, so it never runs. */
static void rpc_test_c_create_again(struct spdk_jsonrpc_request *request,
                                    const struct spdk_json_val *params) {
    (void)params;
    spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                     "the duplicate registration was called");
}

/* --- test_c_async {hops}: answers after hops more messages --------------------------- */

struct async_ctx {
    struct spdk_jsonrpc_request *request;
    uint32_t hops;
};

static const struct spdk_json_object_decoder rpc_async_decoders[] = {
    {"hops", offsetof(struct async_ctx, hops), spdk_json_decode_uint32, false},
};

static void async_hop(void *arg) {
    struct async_ctx *ctx = arg;

    if (ctx->hops-- > 0) {
        spdk_thread_send_msg(spdk_get_thread(), async_hop, ctx);
        return;
    }
    g_async_answered++;
    spdk_jsonrpc_send_bool_response(ctx->request, true);
    free(ctx);
}

static void rpc_test_c_async(struct spdk_jsonrpc_request *request,
                             const struct spdk_json_val *params) {
    struct async_ctx *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         spdk_strerror(ENOMEM));
        return;
    }
    if (spdk_json_decode_object(params, rpc_async_decoders, SPDK_COUNTOF(rpc_async_decoders),
                                ctx)) {
        free(ctx);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
        return;
    }
    ctx->request = request;
    g_async_started++;
    spdk_thread_send_msg(spdk_get_thread(), async_hop, ctx);
}
SPDK_RPC_REGISTER("test_c_async", rpc_test_c_async, SPDK_RPC_RUNTIME)

/* --- test_c_startup: allowed before the subsystems are initialized only -------------- */

static void rpc_test_c_startup(struct spdk_jsonrpc_request *request,
                               const struct spdk_json_val *params) {
    if (params != NULL) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "test_c_startup takes no parameters");
        return;
    }
    g_startup_calls++;
    spdk_jsonrpc_send_bool_response(request, true);
}
SPDK_RPC_REGISTER("test_c_startup", rpc_test_c_startup, SPDK_RPC_STARTUP)

/* --- test_c_fail {errno}: answers with an error ------------------------------------ */

struct rpc_fail {
    int32_t err;
};

static const struct spdk_json_object_decoder rpc_fail_decoders[] = {
    {"errno", offsetof(struct rpc_fail, err), spdk_json_decode_int32, false},
};

static void rpc_test_c_fail(struct spdk_jsonrpc_request *request,
                            const struct spdk_json_val *params) {
    struct rpc_fail req = {0};

    if (spdk_json_decode_object(params, rpc_fail_decoders, SPDK_COUNTOF(rpc_fail_decoders), &req)) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
        return;
    }
    spdk_jsonrpc_send_error_response_fmt(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "cannot frobnicate: %s", spdk_strerror(-req.err));
}
SPDK_RPC_REGISTER("test_c_fail", rpc_test_c_fail, SPDK_RPC_RUNTIME)

/* --- test_c_result: writes a result object, and may be called in both states ---------- */

static void rpc_test_c_result(struct spdk_jsonrpc_request *request,
                              const struct spdk_json_val *params) {
    struct spdk_json_write_ctx *w;

    (void)params;
    g_result_calls++;
    w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "state", "ok");
    spdk_json_write_named_uint32(w, "calls", (uint32_t)g_result_calls);
    spdk_json_write_object_end(w);
    spdk_jsonrpc_end_result(request, w);
}
SPDK_RPC_REGISTER("test_c_result", rpc_test_c_result, SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME)

/* --- the log ------------------------------------------------------------------------- */

static char g_log[16384];

static void capture_log(int level, const char *file, const int line, const char *func,
                        const char *format, va_list args) {
    size_t used = strlen(g_log);

    (void)level;
    (void)file;
    (void)line;
    (void)func;
    if (used + 1 < sizeof(g_log)) {
        vsnprintf(g_log + used, sizeof(g_log) - used, format, args);
    }
}

/* --- loading ------------------------------------------------------------------------- */

/* Loads text and polls until the load finished; returns its rc. */
static int load(const char *text, bool stop_on_error) {
    struct done_flag flag = {false, 1};
    char *copy = strdup(text);

    g_log[0] = '\0';
    spdk_subsystem_load_config(copy, (ssize_t)strlen(copy), init_done, &flag, stop_on_error);
    free(copy); /* the loader keeps its own copy */
    poll_until_idle();
    CHECK(flag.done);
    return flag.done ? flag.rc : 1;
}

static const char *g_two_state_config =
    "{\"subsystems\": [{\"subsystem\": \"test_c\", \"config\": [\n"
    "  {\"method\": \"test_c_startup\"},\n"
    "  {\"method\": \"test_c_result\"},\n"
    "  {\"method\": \"test_c_create\", \"params\": {\"name\": \"one\", \"size\": 4096}}\n"
    "]}]}";

static void test_registry(void) {
    uint32_t mask = 0;

    g_log[0] = '\0';
    spdk_rpc_register_method("test_c_create", rpc_test_c_create_again,
                             SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME);
    CHECK(strstr(g_log, "test_c_create") != NULL); /* refused, with an error */
    CHECK(spdk_rpc_get_method_state_mask("test_c_create", &mask) == 0);
    CHECK(mask == SPDK_RPC_RUNTIME); /* the first registration holds */
    CHECK(spdk_rpc_get_method_state_mask("test_c_construct", &mask) == 0);
    CHECK(mask == SPDK_RPC_RUNTIME);
    CHECK(spdk_rpc_get_method_state_mask("no_such_method", &mask) == -ENOENT);
    CHECK(spdk_rpc_is_method_allowed("test_c_create", SPDK_RPC_RUNTIME) == 0);
    CHECK(spdk_rpc_is_method_allowed("test_c_create", SPDK_RPC_STARTUP) == -EPERM);
    CHECK(spdk_rpc_is_method_allowed("test_c_result", SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME) == 0);
    CHECK(spdk_rpc_is_method_allowed("test_c_startup", SPDK_RPC_RUNTIME) == -EPERM);
    CHECK(spdk_rpc_is_method_allowed("no_such_method", SPDK_RPC_RUNTIME) == -ENOENT);
    /* The runtime's own methods are in the same registry, with SPDK's masks. */
    CHECK(spdk_rpc_is_method_allowed("bdev_malloc_create", SPDK_RPC_RUNTIME) == 0);
    CHECK(spdk_rpc_is_method_allowed("bdev_set_options", SPDK_RPC_RUNTIME) == -EPERM);
}

/* As SPDK's app framework: the config once in STARTUP state, once in RUNTIME. */
static void test_states(void) {
    reset_calls();
    CHECK(spdk_rpc_get_state() == SPDK_RPC_STARTUP);
    CHECK(load(g_two_state_config, true) == 0);
    CHECK(g_startup_calls == 1);
    CHECK(g_result_calls == 1);
    CHECK(g_create_count == 0); /* RUNTIME only: skipped */

    spdk_rpc_set_state(SPDK_RPC_RUNTIME);
    CHECK(load(g_two_state_config, true) == 0);
    CHECK(g_startup_calls == 1); /* STARTUP only: skipped */
    CHECK(g_result_calls == 1);  /* both states: it ran in the STARTUP pass */
    CHECK(g_create_count == 1);
}

static void test_decoding(void) {
    reset_calls();
    CHECK(
        load("{\"subsystems\": [{\"subsystem\": \"test_c\", \"config\": [\n"
             "  {\"method\": \"test_c_create\", \"params\": {\"name\": \"req\", \"size\": 1}},\n"
             "  {\"method\": \"test_c_create\", \"params\": {\"size\": 1e3, \"name\": "
             "\"tab\\there\", \"flags\": 3, \"enabled\": false}},\n"
             "  {\"method\": \"test_c_construct\", \"params\": {\"name\": \"old\", \"size\": 2}}\n"
             "]}]}",
             true) == 0);
    CHECK(g_create_count == 3);
    if (g_create_count == 3) {
        CHECK(strcmp(g_created[0].name, "req") == 0);
        CHECK(g_created[0].size == 1);
        CHECK(g_created[0].flags == 7); /* left as it was */
        CHECK(g_created[0].enabled);
        CHECK(strcmp(g_created[1].name, "tab\there") == 0); /* escapes decoded */
        CHECK(g_created[1].size == 1000);
        CHECK(g_created[1].flags == 3);
        CHECK(!g_created[1].enabled);
        CHECK(strcmp(g_created[2].name, "old") == 0);
    }
    CHECK(strstr(g_log, "test_c_construct") != NULL); /* the deprecation warning */
}

static void test_bad_params(void) {
    const char *bad[] = {
        "{\"name\": 5, \"size\": 1}",                          /* a bad type */
        "{\"size\": 1}",                                       /* a required one missing */
        "{\"name\": \"x\", \"size\": -1}",                     /* out of range */
        "{\"name\": \"x\", \"size\": 1.5}",                    /* not whole */
        "{\"name\": \"x\", \"size\": 1, \"colour\": \"red\"}", /* unknown */
        "{\"name\": \"x\", \"size\": 1, \"size\": 2}",         /* twice */
    };
    char text[512];
    size_t i;

    for (i = 0; i < SPDK_COUNTOF(bad); i++) {
        reset_calls();
        snprintf(text, sizeof(text),
                 "{\"subsystems\": [{\"subsystem\": \"test_c\", \"config\": [\n"
                 "  {\"method\": \"test_c_create\", \"params\": %s},\n"
                 "  {\"method\": \"test_c_create\", \"params\": {\"name\": \"never\", "
                 "\"size\": 1}}\n"
                 "]}]}",
                 bad[i]);
        CHECK(load(text, true) == -EINVAL);
        CHECK(g_create_count == 0);
        CHECK(strstr(g_log, "test_c_create") != NULL);
        CHECK(strstr(g_log, "-32602") != NULL);
        CHECK(strstr(g_log, "Invalid parameters") != NULL);
    }
}

static void test_async(void) {
    reset_calls();
    CHECK(load("{\"subsystems\": [{\"subsystem\": \"test_c\", \"config\": [\n"
               "  {\"method\": \"test_c_async\", \"params\": {\"hops\": 5}},\n"
               "  {\"method\": \"test_c_create\", \"params\": {\"name\": \"a\", \"size\": 1}},\n"
               "  {\"method\": \"test_c_async\", \"params\": {\"hops\": 0}},\n"
               "  {\"method\": \"test_c_create\", \"params\": {\"name\": \"b\", \"size\": 1}}\n"
               "]}]}",
               true) == 0);
    CHECK(g_async_started == 2);
    CHECK(g_async_answered == 2);
    CHECK(g_create_count == 2);
    CHECK(!g_create_saw_async_unanswered); /* each entry waited for the answer */

    /* The load is not finished before the answer. */
    {
        struct done_flag flag = {false, 1};
        char *text = strdup(
            "{\"subsystems\": [{\"subsystem\": \"test_c\", \"config\": ["
            "{\"method\": \"test_c_async\", \"params\": {\"hops\": 50}}]}]}");

        reset_calls();
        spdk_subsystem_load_config(text, (ssize_t)strlen(text), init_done, &flag, true);
        free(text);
        spdk_thread_poll(g_app_thread, 1, 0);
        spdk_thread_poll(g_app_thread, 1, 0);
        CHECK(g_async_started == 1);
        CHECK(!flag.done);
        poll_until_idle();
        CHECK(flag.done && flag.rc == 0);
        CHECK(g_async_answered == 1);
    }
}

static void test_error_answer(void) {
    static const char *text =
        "{\"subsystems\": [{\"subsystem\": \"test_c\", \"config\": [\n"
        "  {\"method\": \"test_c_fail\", \"params\": {\"errno\": -19}},\n"
        "  {\"method\": \"test_c_create\", \"params\": {\"name\": \"after\", \"size\": 1}}\n"
        "]}]}";

    reset_calls();
    CHECK(load(text, true) == -EINVAL);
    CHECK(g_create_count == 0);
    CHECK(strstr(g_log, "test_c_fail") != NULL);
    CHECK(strstr(g_log, "-32603") != NULL);
    CHECK(strstr(g_log, "cannot frobnicate") != NULL);

    /* Errors ignored: logged, and the load goes on. */
    reset_calls();
    CHECK(load(text, false) == 0);
    CHECK(g_create_count == 1);
    CHECK(strstr(g_log, "cannot frobnicate") != NULL);
}

static void test_unknown_methods(void) {
    reset_calls();
    /* A subsystem this program does not have: skipped. */
    CHECK(load("{\"subsystems\": [{\"subsystem\": \"nvmf\", \"config\": [\n"
               "  {\"method\": \"nvmf_create_transport\", \"params\": {\"trtype\": \"TCP\"}}]},\n"
               "  {\"subsystem\": \"test_c\", \"config\": [\n"
               "  {\"method\": \"test_c_create\", \"params\": {\"name\": \"x\", \"size\": 1}}]}\n"
               "]}",
               true) == 0);
    CHECK(g_create_count == 1);
    /* A subsystem it has: the load fails. */
    CHECK(load("{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": [\n"
               "  {\"method\": \"bdev_frobnicate\"}]}]}",
               true) == -ENOENT);
    CHECK(strstr(g_log, "bdev_frobnicate") != NULL);
}

int main(void) {
    struct done_flag flag = {false, 1};

    start_app_thread();
    spdk_log_open(capture_log);
    spdk_log_set_level(SPDK_LOG_NOTICE);

    test_registry();
    test_states();

    spdk_subsystem_init(init_done, &flag);
    poll_until_idle();
    CHECK(flag.done && flag.rc == 0);

    test_decoding();
    test_bad_params();
    test_async();
    test_error_answer();
    test_unknown_methods();
    reset_calls();

    flag.done = false;
    spdk_subsystem_fini(fini_done, &flag);
    poll_until_idle();
    CHECK(flag.done);
    spdk_log_close();
    stop_app_thread();
    return checks_result("rpc");
}
