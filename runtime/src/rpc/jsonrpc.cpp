// The responses to JSON-RPC requests (spdk/jsonrpc.h), whoever made the request.
//
// A handler writes its result with SPDK's JSON writer into the request; the
// response is then handed to the in-process caller that made the request (its
// callback gets an RpcResponse), or formatted as a JSON-RPC 2.0 response and
// delivered to the server connection the request came on. The response releases
// the request, as in SPDK.
#include <cstdarg>
#include <cstdio>
#include <string>

#include "rpc/jsonrpc_internal.hpp"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"

namespace {

// SPDK's bound on one response.
constexpr size_t kMaxResponseSize = 32 * 1024 * 1024;

int append_result(void *cb_ctx, const void *data, size_t size) {
    auto *request = static_cast<spdk_jsonrpc_request *>(cb_ctx);
    if (request->result.size() + size > kMaxResponseSize) {
        request->result_too_large = true;
        return -1;
    }
    request->result.append(static_cast<const char *>(data), size);
    return 0;
}

int append_string(void *cb_ctx, const void *data, size_t size) {
    static_cast<std::string *>(cb_ctx)->append(static_cast<const char *>(data), size);
    return 0;
}

// The rc an in-process caller sees for an error without a native handler's errno.
int rc_of(int code) {
    switch (code) {
        case SPDK_JSONRPC_ERROR_METHOD_NOT_FOUND:
            return -ENOENT;
        case SPDK_JSONRPC_ERROR_INVALID_STATE:
            return -EPERM;
        case SPDK_JSONRPC_ERROR_INVALID_PARAMS:
            return -EINVAL;
        default:
            return code < 0 && code > -4096 ? code : -EIO;  // SPDK's modules answer -errno
    }
}

// Hands the response to whoever made request, and releases request.
void finish(spdk_jsonrpc_request *request, const spdk_embedded::RpcResponse &response) {
    if (request->link == nullptr) {
        spdk_embedded::RpcDoneFn done = request->done;
        void *arg = request->done_arg;
        delete request;
        done(arg, response);
        return;
    }
    std::string text;
    if (response.is_error) {
        text = spdk_embedded::jsonrpc::error_response(request->id.empty() ? "null" : request->id,
                                                      response.code, response.message.c_str());
    } else if (!request->id.empty()) {
        // As SPDK: the result of a notification (no id, or a null one) is not sent.
        text.reserve(response.result_json.size() + request->id.size() + 32);
        text.append(R"({"jsonrpc":"2.0","id":)")
            .append(request->id)
            .append(R"(,"result":)")
            .append(response.result_json)
            .append("}\n");
    }
    spdk_embedded::jsonrpc::deliver(request, std::move(text));
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
    response.rc = request->native_rc != 0 ? request->native_rc : rc_of(error_code);
    finish(request, response);
}

}  // namespace

namespace spdk_embedded {

spdk_jsonrpc_request *make_rpc_request(RpcDoneFn done, void *arg) {
    auto *request = new spdk_jsonrpc_request;
    request->done = done;
    request->done_arg = arg;
    return request;
}

namespace jsonrpc {

std::string error_response(const std::string &id, int code, const char *message) {
    std::string error;
    spdk_json_write_ctx *w = spdk_json_write_begin(append_string, &error, 0);
    if (w != nullptr) {
        spdk_json_write_object_begin(w);
        spdk_json_write_named_int32(w, "code", code);
        spdk_json_write_named_string(w, "message", message);
        spdk_json_write_object_end(w);
    }
    if (w == nullptr || spdk_json_write_end(w) != 0) {
        // A message that is not UTF-8 cannot be written as a JSON string.
        error = R"({"code":)" + std::to_string(code) + R"(,"message":"Error"})";
    }
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"error":)" + error + "}\n";
}

}  // namespace jsonrpc
}  // namespace spdk_embedded

extern "C" {

struct spdk_json_write_ctx *spdk_jsonrpc_begin_result(struct spdk_jsonrpc_request *request) {
    if (request->writer == nullptr) {
        request->result.clear();
        request->result_too_large = false;
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
        if (request->result_too_large) {
            SPDK_ERRLOG("a JSON-RPC result is larger than %zu bytes: not sent\n", kMaxResponseSize);
            send_error(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR, "the result is too large");
            return;
        }
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
