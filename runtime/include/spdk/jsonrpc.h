/* spdkcpp embedded runtime: the server side of SPDK's JSON-RPC requests, as a
 * method handler sees them (spdk/rpc.h registers the methods).
 *
 * The embedded runtime has no RPC server: its JSON config loader is the caller.
 * A handler answers each request exactly once, with a result or an error, either
 * before it returns or later (from a message or a completion callback on the app
 * thread); the request is released by the response, and the caller goes on when
 * the response arrives. */
#ifndef SPDK_JSONRPC_H_
#define SPDK_JSONRPC_H_

#include "spdk/json.h"
#include "spdk/log.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The error codes JSON-RPC 2.0 defines. */
#define SPDK_JSONRPC_ERROR_PARSE_ERROR -32700
#define SPDK_JSONRPC_ERROR_INVALID_REQUEST -32600
#define SPDK_JSONRPC_ERROR_METHOD_NOT_FOUND -32601
#define SPDK_JSONRPC_ERROR_INVALID_PARAMS -32602
#define SPDK_JSONRPC_ERROR_INTERNAL_ERROR -32603

/* SPDK's own code (outside JSON-RPC's reserved -32768..-32000): the method is not
 * allowed in the application's current state (spdk_rpc_get_state). */
#define SPDK_JSONRPC_ERROR_INVALID_STATE -1

/* One call of a method, until its response. */
struct spdk_jsonrpc_request;

/* Starts a successful response: returns the writer to write the one "result" value
 * into (any JSON value), to be finished with spdk_jsonrpc_end_result. */
struct spdk_json_write_ctx *spdk_jsonrpc_begin_result(struct spdk_jsonrpc_request *request);
/* Sends the result written into w (from spdk_jsonrpc_begin_result); request is
 * released. */
void spdk_jsonrpc_end_result(struct spdk_jsonrpc_request *request, struct spdk_json_write_ctx *w);
/* Answers with the result true or false; request is released. */
void spdk_jsonrpc_send_bool_response(struct spdk_jsonrpc_request *request, bool value);
/* Answers with an error: error_code is one of the SPDK_JSONRPC_ERROR_* codes or
 * the method's own, msg says what went wrong. A result begun and not ended is
 * dropped. request is released. */
void spdk_jsonrpc_send_error_response(struct spdk_jsonrpc_request *request, int error_code,
                                      const char *msg);
/* spdk_jsonrpc_send_error_response with a printf-style message. */
void spdk_jsonrpc_send_error_response_fmt(struct spdk_jsonrpc_request *request, int error_code,
                                          const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* SPDK_JSONRPC_H_ */
