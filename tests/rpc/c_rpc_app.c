/* A C program written for SPDK: it registers its own JSON-RPC method with
 * SPDK_RPC_REGISTER, starts SPDK's app framework with an RPC socket (in a private
 * directory, whatever -r or --no-rpc-server the command line says), and calls the
 * method over the socket from a client thread of its own, as SPDK's rpc.py would;
 * then it stops itself with spdk_kill_instance. Built unchanged against either
 * provider; exits 0 when every check held. */
#include "spdk/event.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/stdinc.h"
#include "spdk/string.h"
#include "spdk/util.h"

static char g_dir[64];
static char g_socket[96];
static int g_failures;
static pthread_t g_client;
static bool g_client_started;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            g_failures++;                                                            \
        }                                                                            \
    } while (0)

struct rpc_c_add {
    int32_t a;
    int32_t b;
};

static const struct spdk_json_object_decoder rpc_c_add_decoders[] = {
    {"a", offsetof(struct rpc_c_add, a), spdk_json_decode_int32, false},
    {"b", offsetof(struct rpc_c_add, b), spdk_json_decode_int32, false},
};

/* c_test_add {a, b}: answers a + b. */
static void rpc_c_test_add(struct spdk_jsonrpc_request *request,
                           const struct spdk_json_val *params) {
    struct rpc_c_add req = {0};
    struct spdk_json_write_ctx *w;

    if (params == NULL || spdk_json_decode_object(params, rpc_c_add_decoders,
                                                  SPDK_COUNTOF(rpc_c_add_decoders), &req)) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "Invalid parameters");
        return;
    }
    w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_int32(w, req.a + req.b);
    spdk_jsonrpc_end_result(request, w);
}
SPDK_RPC_REGISTER("c_test_add", rpc_c_test_add, SPDK_RPC_RUNTIME)

/* Sends request and reads one response (SPDK ends each with a newline) into out. */
static int call(int fd, const char *request, char *out, size_t out_size) {
    size_t len = 0;
    ssize_t n;

    if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request)) {
        return -1;
    }
    while (len + 1 < out_size) {
        n = recv(fd, out + len, out_size - len - 1, 0);
        if (n <= 0) {
            return -1;
        }
        len += (size_t)n;
        out[len] = '\0';
        if (strchr(out, '\n') != NULL) {
            return 0;
        }
    }
    return -1;
}

static void *client(void *arg) {
    struct sockaddr_un addr = {0};
    char response[4096];
    int fd;

    (void)arg;
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", g_socket);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        fprintf(stderr, "cannot connect to %s: %s\n", g_socket, spdk_strerror(errno));
        g_failures++;
        spdk_app_start_shutdown();
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    CHECK(call(fd,
               "{\"jsonrpc\":\"2.0\",\"method\":\"c_test_add\",\"params\":{\"a\":2,\"b\":40},"
               "\"id\":1}",
               response, sizeof(response)) == 0);
    CHECK(strstr(response, "\"result\":42") != NULL);
    CHECK(strstr(response, "\"id\":1") != NULL);
    CHECK(call(fd,
               "{\"jsonrpc\":\"2.0\",\"method\":\"c_test_add\",\"params\":{\"a\":\"2\"},"
               "\"id\":2}",
               response, sizeof(response)) == 0);
    CHECK(strstr(response, "-32602") != NULL);
    CHECK(call(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"rpc_get_methods\",\"id\":3}", response,
               sizeof(response)) == 0);
    CHECK(strstr(response, "\"c_test_add\"") != NULL);
    if (g_failures == 0) {
        printf("c_rpc_app: all RPC checks passed\n");
        fflush(stdout);
    }
    /* As rpc.py's spdk_kill_instance: the app stops (the answer may not come). */
    call(fd,
         "{\"jsonrpc\":\"2.0\",\"method\":\"spdk_kill_instance\","
         "\"params\":{\"sig_name\":\"SIGTERM\"},\"id\":4}",
         response, sizeof(response));
    close(fd);
    return NULL;
}

static void start(void *arg) {
    (void)arg;
    if (pthread_create(&g_client, NULL, client, NULL) != 0) {
        fprintf(stderr, "cannot start the client thread\n");
        g_failures++;
        spdk_app_stop(1);
        return;
    }
    g_client_started = true;
}

int main(int argc, char **argv) {
    struct spdk_app_opts opts = {0};
    int rc;

    spdk_app_opts_init(&opts, sizeof(opts));
    opts.name = "c_rpc_app";
    if (spdk_app_parse_args(argc, argv, &opts, NULL, NULL, NULL, NULL) !=
        SPDK_APP_PARSE_ARGS_SUCCESS) {
        return 1;
    }
    snprintf(g_dir, sizeof(g_dir), "/tmp/spdkcpp-c-rpc-XXXXXX");
    if (mkdtemp(g_dir) == NULL) {
        fprintf(stderr, "mkdtemp: %s\n", spdk_strerror(errno));
        return 1;
    }
    snprintf(g_socket, sizeof(g_socket), "%s/spdk.sock", g_dir);
    opts.rpc_addr = g_socket;
    rc = spdk_app_start(&opts, start, NULL);
    if (g_client_started) {
        pthread_join(g_client, NULL);
    }
    spdk_app_fini();
    rmdir(g_dir);
    if (rc != 0) {
        fprintf(stderr, "spdk_app_start returned %d\n", rc);
        return 1;
    }
    return g_failures == 0 ? 0 : 1;
}
