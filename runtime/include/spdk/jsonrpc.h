/* spdkcpp embedded runtime: SPDK's JSON-RPC 2.0 server: a listening stream socket,
 * its connections, and the requests a method handler answers (spdk/rpc.h
 * registers the methods and runs the app's RPC socket on top of this).
 *
 * A connection carries requests back to back, with no framing beyond JSON itself;
 * each is parsed once it is complete. A handler answers each request exactly once,
 * with a result or an error, before it returns or later (from a message or a
 * completion callback, on any thread); the response releases the request. The
 * responses of one connection are sent in the order they are answered. A request
 * without an id (or with a null one) is a notification: its result is not sent,
 * but an error still is (with a null id), as in SPDK.
 *
 * Differences from SPDK v25.09's server, all in what SPDK refuses or drops:
 * - a batch (an array of requests) is served as JSON-RPC 2.0 says: one array of
 *   the responses, in the order of the requests (SPDK answers a batch with one
 *   "Invalid request" error);
 * - a request that is not valid JSON is answered with a parse error before the
 *   connection is closed (SPDK closes it without an answer);
 * - the limits below are larger than SPDK's (32 KiB per request, 1024 values).
 *
 * Bounds that keep a bad client from hurting the application: a request holds at
 * most 1 MiB and 65536 JSON values, nests at most 64 deep, and a batch holds at
 * most 256 requests; a server keeps at most 64 connections (more wait in the
 * socket's backlog, as with SPDK); a connection stops being read while 64 of its
 * requests are unanswered or 4 MiB of its responses are unsent; a response is at
 * most 32 MiB (SPDK's limit). The sockets never block the polling thread. */
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

struct spdk_jsonrpc_server;
struct spdk_jsonrpc_server_conn;
/* One call of a method, until its response. */
struct spdk_jsonrpc_request;

/* Called by the server for each valid request: method is its "method" string,
 * params its "params" object or array (NULL when absent or null). Both live until
 * the handler returns; the handler answers request once, now or later. */
typedef void (*spdk_jsonrpc_handle_request_fn)(struct spdk_jsonrpc_request *request,
                                               const struct spdk_json_val *method,
                                               const struct spdk_json_val *params);

/* Called once when a connection closes (see spdk_jsonrpc_conn_add_close_cb). */
typedef void (*spdk_jsonrpc_conn_closed_fn)(struct spdk_jsonrpc_server_conn *conn, void *arg);

/* A server listening on listen_addr (a stream socket of domain, bound and made
 * non-blocking here), handing each request to handle_request. NULL on failure
 * (logged). The caller prepares the address: spdk_rpc_server_listen checks and
 * secures a Unix socket path first. */
struct spdk_jsonrpc_server *spdk_jsonrpc_server_listen(
    int domain, int protocol, struct sockaddr *listen_addr, socklen_t addrlen,
    spdk_jsonrpc_handle_request_fn handle_request);

/* Accepts connections, reads and handles the requests that are complete, and
 * sends the responses that are ready; never blocks. Call it from one thread only
 * (SPDK's RPC poller does, every 4 ms). Returns 0. */
int spdk_jsonrpc_server_poll(struct spdk_jsonrpc_server *server);

/* Closes the listening socket and every connection, and frees server. Requests
 * still unanswered stay valid: their answers are dropped. */
void spdk_jsonrpc_server_shutdown(struct spdk_jsonrpc_server *server);

/* The connection request came on; NULL once that connection has closed, or for a
 * request that did not come from a server (the JSON config loader's). */
struct spdk_jsonrpc_server_conn *spdk_jsonrpc_get_conn(struct spdk_jsonrpc_request *request);

/* Has cb(conn, ctx) called once when conn closes. One callback per connection:
 * -EEXIST when this one is already set, -ENOSPC when another is, -ENOTCONN when
 * the connection is closing. */
int spdk_jsonrpc_conn_add_close_cb(struct spdk_jsonrpc_server_conn *conn,
                                   spdk_jsonrpc_conn_closed_fn cb, void *ctx);
/* Removes the callback set with these cb and ctx; -ENOENT when they are not set. */
int spdk_jsonrpc_conn_del_close_cb(struct spdk_jsonrpc_server_conn *conn,
                                   spdk_jsonrpc_conn_closed_fn cb, void *ctx);

/* Starts a successful response: returns the writer to write the one "result" value
 * into (any JSON value), to be finished with spdk_jsonrpc_end_result. */
struct spdk_json_write_ctx *spdk_jsonrpc_begin_result(struct spdk_jsonrpc_request *request);
/* Sends the result written into w (from spdk_jsonrpc_begin_result); request is
 * released. A result that is not one complete JSON value, or that is larger than
 * 32 MiB, is answered with an internal error instead. */
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

/* Logs each request and response of every server at level (SPDK_LOG_DISABLED, the
 * default: not at all) and, when file is not NULL, into file. */
void spdk_jsonrpc_set_log_level(enum spdk_log_level level);
void spdk_jsonrpc_set_log_file(FILE *file);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_JSONRPC_H_ */
