// The requests of JSON-RPC method calls and their responses (spdk/jsonrpc.h).
//
// The embedded runtime has no RPC server: a request belongs to the caller that
// made it (make_rpc_request, internal/rpc.hpp), and its response goes to that
// caller's callback instead of a socket. The response releases the request, as in
// SPDK; answering twice is a use after free there and here.
#include <cstdarg>
#include <cstdio>
#include <string>

#include "internal/rpc.hpp"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"

struct spdk_jsonrpc_request {
    spdk_embedded::RpcDoneFn done = nullptr;
    void *arg = nullptr;
    spdk_json_write_ctx *writer = nullptr;  // the result being written
    std::string result;                     // what the writer wrote
};

namespace {

int append_result(void *cb_ctx, const void *data, size_t size) {
    static_cast<spdk_jsonrpc_request *>(cb_ctx)->result.append(static_cast<const char *>(data),
                                                               size);
    return 0;
}

// Hands response to the caller and releases request.
void finish(spdk_jsonrpc_request *request, const spdk_embedded::RpcResponse &response) {
    spdk_embedded::RpcDoneFn done = request->done;
    void *arg = request->arg;
    delete request;
    done(arg, response);
}

void send_error(spdk_jsonrpc_request *request, int error_code, std::string message) {
    if (request->writer != nullptr) {
        spdk_json_write_end(request->writer);  // a result begun is dropped
        request->writer = nullptr;
    }
    spdk_embedded::RpcResponse response;
    response.is_error = true;
    response.code = error_code;
    response.message = std::move(message);
    finish(request, response);
}

}  // namespace

namespace spdk_embedded {

spdk_jsonrpc_request *make_rpc_request(RpcDoneFn done, void *arg) {
    auto *request = new spdk_jsonrpc_request;
    request->done = done;
    request->arg = arg;
    return request;
}

}  // namespace spdk_embedded

extern "C" {

struct spdk_json_write_ctx *spdk_jsonrpc_begin_result(struct spdk_jsonrpc_request *request) {
    if (request->writer == nullptr) {
        request->result.clear();
        request->writer = spdk_json_write_begin(append_result, request, 0);
    }
    return request->writer;
}

void spdk_jsonrpc_end_result(struct spdk_jsonrpc_request *request, struct spdk_json_write_ctx *w) {
    if (w == nullptr || w != request->writer) {
        SPDK_ERRLOG("spdk_jsonrpc_end_result: not the writer spdk_jsonrpc_begin_result gave\n");
        send_error(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR, "malformed result");
        return;
    }
    request->writer = nullptr;
    if (spdk_json_write_end(w) != 0 || request->result.empty()) {
        send_error(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                   "the method wrote a result that is not one JSON value");
        return;
    }
    spdk_embedded::RpcResponse response;
    response.result_json = std::move(request->result);
    finish(request, response);
}

void spdk_jsonrpc_send_bool_response(struct spdk_jsonrpc_request *request, bool value) {
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    if (w == nullptr) {
        send_error(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
        return;
    }
    spdk_json_write_bool(w, value);
    spdk_jsonrpc_end_result(request, w);
}

void spdk_jsonrpc_send_error_response(struct spdk_jsonrpc_request *request, int error_code,
                                      const char *msg) {
    send_error(request, error_code, msg != nullptr ? msg : "");
}

void spdk_jsonrpc_send_error_response_fmt(struct spdk_jsonrpc_request *request, int error_code,
                                          const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    va_list copy;
    va_copy(copy, args);
    const int len = std::vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    std::string message(len > 0 ? static_cast<size_t>(len) : 0, '\0');
    if (len > 0) {
        std::vsnprintf(message.data(), message.size() + 1, fmt, args);
    }
    va_end(args);
    send_error(request, error_code, std::move(message));
}

}  // extern "C"
