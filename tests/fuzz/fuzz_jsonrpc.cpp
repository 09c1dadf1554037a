// libFuzzer target: the JSON-RPC server (runtime/src/rpc/jsonrpc_server.cpp) on
// arbitrary bytes from a client over its Unix socket: the stream scanner, the
// parser's bounds, requests and batches, and requests answered at once, later, or
// after their client left.
//
// Each input is sent on a new connection, whose sending side is then shut down;
// the server is polled until it closes the connection. The handler's methods:
// "ok" (true), "echo" (its params back, through the JSON writer), "err" (an error),
// "bad" (a result that is not one value), "drop" (a result begun, then an error),
// "later" (kept, answered some polls later, maybe after the connection closed);
// anything else is METHOD_NOT_FOUND. What the server sends must be a sequence of
// complete JSON values, and the connection must close within a bounded number of
// polls; requests never outlive the input.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"

namespace {

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "fuzz_jsonrpc: %s\n", what);
    std::abort();
}

std::vector<spdk_jsonrpc_request *> g_later;
spdk_jsonrpc_server *g_server = nullptr;
sockaddr_un g_addr{};

void handle(spdk_jsonrpc_request *request, const spdk_json_val *method,
            const spdk_json_val *params) {
    if (spdk_json_strequal(method, "ok")) {
        spdk_jsonrpc_send_bool_response(request, true);
    } else if (spdk_json_strequal(method, "echo")) {
        spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
        if (params != nullptr) {
            spdk_json_write_val(w, params);
        } else {
            spdk_json_write_null(w);
        }
        spdk_jsonrpc_end_result(request, w);
    } else if (spdk_json_strequal(method, "err")) {
        spdk_jsonrpc_send_error_response_fmt(request, -5, "error with %s",
                                             params != nullptr ? "params" : "none");
    } else if (spdk_json_strequal(method, "bad")) {
        spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
        spdk_json_write_array_begin(w);
        spdk_jsonrpc_end_result(request, w);
    } else if (spdk_json_strequal(method, "drop")) {
        spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
        spdk_json_write_object_begin(w);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR, "dropped");
    } else if (spdk_json_strequal(method, "later")) {
        g_later.push_back(request);
    } else {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_METHOD_NOT_FOUND,
                                         "Method not found");
    }
}

void answer_later() {
    for (spdk_jsonrpc_request *request : g_later) {
        spdk_jsonrpc_send_bool_response(request, false);
    }
    g_later.clear();
}

// Whether out is a sequence of complete JSON values (whitespace between them).
bool all_values(std::string out) {
    size_t offset = 0;
    while (offset < out.size()) {
        void *end = nullptr;
        const ssize_t rc =
            spdk_json_parse(out.data() + offset, out.size() - offset, nullptr, 0, &end, 0);
        if (rc == SPDK_JSON_PARSE_INCOMPLETE) {
            // Only trailing whitespace may be left.
            return out.find_first_not_of(" \t\r\n", offset) == std::string::npos;
        }
        if (rc < 0) {
            return false;
        }
        offset = static_cast<size_t>(static_cast<char *>(end) - out.data());
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int * /*argc*/, char *** /*argv*/) {
    spdk_log_set_print_level(SPDK_LOG_ERROR);
    char dir[] = "/tmp/fuzz-jsonrpc-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
        fail("mkdtemp");
    }
    g_addr.sun_family = AF_UNIX;
    std::snprintf(g_addr.sun_path, sizeof(g_addr.sun_path), "%s/s.sock", dir);
    g_server = spdk_jsonrpc_server_listen(AF_UNIX, 0, reinterpret_cast<sockaddr *>(&g_addr),
                                          sizeof(g_addr), handle);
    if (g_server == nullptr) {
        fail("cannot listen");
    }
    // The server lives as long as the process; its socket and directory go with it.
    static std::string directory = dir;
    std::atexit([] {
        unlink(g_addr.sun_path);
        rmdir(directory.c_str());
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr *>(&g_addr), sizeof(g_addr)) != 0) {
        fail("cannot connect");
    }
    size_t sent = 0;
    bool shut = false;
    bool eof = false;
    std::string out;
    for (int round = 0; round < 20000 && !eof; ++round) {
        if (sent < size) {
            const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += static_cast<size_t>(n);
            } else if (n < 0 && errno != EAGAIN) {
                sent = size;  // the server closed: it stopped reading
            }
        }
        if (sent == size && !shut) {
            shutdown(fd, SHUT_WR);
            shut = true;
        }
        spdk_jsonrpc_server_poll(g_server);
        if (round % 50 == 3) {
            answer_later();  // some before the client left, some maybe after
        }
        char buf[65536];
        for (;;) {
            const ssize_t n = recv(fd, buf, sizeof(buf), 0);
            if (n > 0) {
                out.append(buf, static_cast<size_t>(n));
                continue;
            }
            eof = n == 0 || (n < 0 && errno != EAGAIN);
            break;
        }
    }
    close(fd);
    if (!eof) {
        fail("the server did not close the connection");
    }
    answer_later();  // after the client left: dropped
    for (int i = 0; i < 4; ++i) {
        spdk_jsonrpc_server_poll(g_server);  // and the connection is released
    }
    if (!all_values(out)) {
        fail("the server sent something that is not JSON");
    }
    return 0;
}
