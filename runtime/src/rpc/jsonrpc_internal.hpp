// Internal: a JSON-RPC request (spdk/jsonrpc.h) and where its response goes.
//
// A request is answered to one of two receivers: an in-process caller's callback
// (the JSON config loader, call_rpc: make_rpc_request in internal/rpc.hpp), or the
// connection of a server it came on (jsonrpc_server.cpp). The response releases the
// request in both cases, as in SPDK; answering twice is a use after free there and
// here.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "internal/rpc.hpp"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"

namespace spdk_embedded::jsonrpc {

struct Shared;
struct Batch;

// The text of a request (or of a batch of them) and its parsed values; method,
// params and id point into it. Shared by the requests of a batch.
struct Parsed {
    std::vector<char> text;
    std::vector<spdk_json_val> values;
};

// Where a server's request is answered. conn and batch are guarded by
// shared->lock: the server clears them when the connection closes, so that a
// late answer finds nothing to deliver to and is dropped.
struct ServerLink {
    std::shared_ptr<Shared> shared;
    std::shared_ptr<Parsed> parsed;
    spdk_jsonrpc_server_conn *conn = nullptr;
    Batch *batch = nullptr;
    size_t slot = 0;  // its place in the batch
};

// Hands a server request's finished response to its connection (response empty:
// nothing to send, as for a notification's result) and frees request. Callable from
// any thread.
void deliver(spdk_jsonrpc_request *request, std::string response);

// A server on fd, a stream socket already bound (and made non-blocking): listens
// on it. NULL on failure (logged; fd is closed).
spdk_jsonrpc_server *listen_on(int fd, spdk_jsonrpc_handle_request_fn handle_request);

// Logs a request's or a response's text as spdk_jsonrpc_set_log_level/file ask.
void log_text(const char *prefix, const char *text, size_t len);

// The error response to a request with the given id text ("null" when it has none).
std::string error_response(const std::string &id, int code, const char *message);

}  // namespace spdk_embedded::jsonrpc

struct spdk_jsonrpc_request {
    spdk_embedded::RpcDoneFn done = nullptr;  // an in-process caller's callback, or
    void *done_arg = nullptr;
    std::unique_ptr<spdk_embedded::jsonrpc::ServerLink> link;  // a server's connection
    std::string id;                         // the id as JSON text; empty when absent or null
    spdk_json_write_ctx *writer = nullptr;  // the result being written
    std::string result;                     // what the writer wrote
    bool result_too_large = false;
    int native_rc = 0;  // a native handler's errno (RpcReply::fail), for call_rpc
};
