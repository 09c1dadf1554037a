// SPDK's JSON-RPC 2.0 server (spdk/jsonrpc.h): a listening stream socket and its
// connections, polled by one thread without ever blocking it.
//
// A connection's bytes are scanned as they arrive for the end of the first JSON
// value (each byte once, however the request is split), then that value is parsed
// with SPDK's parser and handled: an object is a request, an array a batch. A
// request lives until its handler answers it, possibly later and from another
// thread; the answer is queued on its connection under the server's shared lock,
// and sent by the next poll. When a connection closes, its unanswered requests are
// detached from it (their answers are dropped), so nothing a client does can make
// an answer reach freed memory. A client that closes its socket is gone at once
// (SPDK keeps its connection until the answers); one that only shuts down its
// sending side still gets its answers, as with SPDK.
//
// Bounded per connection: the request being received (kMaxRequestSize), its
// values (kMaxValues), its nesting (64, as the parser), a batch (kMaxBatch), the
// unanswered requests (kMaxUnanswered) and the unsent output (kMaxPendingOutput);
// a connection at either of the last two bounds is not read until it drains, and a
// poll handles at most kRequestsPerPoll requests of each connection.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "rpc/jsonrpc_internal.hpp"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/util.h"

namespace spdk_embedded::jsonrpc {
namespace {

constexpr size_t kMaxRequestSize = 1024 * 1024;
constexpr size_t kMaxValues = 65536;
constexpr size_t kMaxBatch = 256;
constexpr size_t kMaxConns = 64;
constexpr uint32_t kMaxUnanswered = 64;
constexpr size_t kMaxPendingOutput = 4 * 1024 * 1024;
constexpr size_t kMaxDepth = 64;  // as spdk_json_parse
constexpr size_t kRecvChunk = 64 * 1024;
constexpr size_t kRecvPerPoll = 256 * 1024;
constexpr int kRequestsPerPoll = 16;
constexpr int kAcceptsPerPoll = 8;

std::atomic<int> g_log_level{SPDK_LOG_DISABLED};
std::atomic<FILE *> g_log_file{nullptr};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Where the first JSON value of a stream ends. It keeps its place between calls, so
// each byte is looked at once however the value arrives; it follows only strings
// and nesting (spdk_json_parse checks the rest once the value is complete).
class Scanner {
  public:
    enum class Status { kIncomplete, kComplete, kTooDeep };

    // Scans buf, which starts with the value (no leading whitespace) and holds at
    // least what the previous call saw. kComplete sets end to the value's length.
    Status scan(const std::string &buf, size_t &end) {
        for (; pos_ < buf.size(); ++pos_) {
            const char c = buf[pos_];
            if (pos_ == 0) {
                if (c == '{' || c == '[') {
                    depth_ = 1;
                } else if (c == '"') {
                    in_string_ = true;
                } else if (std::strchr(",:]}", c) != nullptr) {
                    end = 1;  // not the start of any value: the parser refuses it
                    return Status::kComplete;
                } else {
                    scalar_ = true;
                }
                continue;
            }
            if (scalar_) {
                // A number or literal ends where something else starts.
                if (is_space(c) || std::strchr(",:[]{}\"", c) != nullptr) {
                    end = pos_;
                    return Status::kComplete;
                }
                continue;
            }
            if (in_string_) {
                if (escape_) {
                    escape_ = false;
                } else if (c == '\\') {
                    escape_ = true;
                } else if (c == '"') {
                    in_string_ = false;
                    if (depth_ == 0) {
                        end = pos_ + 1;
                        return Status::kComplete;
                    }
                }
                continue;
            }
            if (c == '"') {
                in_string_ = true;
            } else if (c == '{' || c == '[') {
                if (++depth_ > kMaxDepth) {
                    return Status::kTooDeep;
                }
            } else if (c == '}' || c == ']') {
                if (--depth_ == 0) {
                    end = pos_ + 1;
                    return Status::kComplete;
                }
            }
        }
        return Status::kIncomplete;
    }

    void reset() { *this = Scanner(); }
    [[nodiscard]] bool started() const { return pos_ > 0; }

  private:
    size_t pos_ = 0;
    size_t depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    bool scalar_ = false;
};

}  // namespace

// The responses of a batch, each in its request's place; sent together once the
// last is answered.
struct Batch {
    std::vector<std::string> responses;
    size_t pending = 0;
};

// What a server shares with its requests, which may outlive it.
struct Shared {
    std::mutex lock;
};

}  // namespace spdk_embedded::jsonrpc

struct spdk_jsonrpc_server_conn {
    spdk_jsonrpc_server *server = nullptr;
    int fd = -1;
    std::string in;  // received and not yet handled: at most a part of one request
    spdk_embedded::jsonrpc::Scanner scanner;
    std::string out;  // responses being sent
    size_t out_offset = 0;
    bool peer_closed = false;  // the peer sends no more (its answers are still sent)
    bool closing = false;      // a request could not be parsed: nothing more is read
    std::atomic<uint32_t> unanswered{0};
    // Guarded by the server's shared lock.
    std::unordered_set<spdk_jsonrpc_request *> outstanding;
    std::vector<spdk_embedded::jsonrpc::Batch *> batches;
    std::deque<std::string> answered;  // in the order answered
    size_t answered_bytes = 0;
    spdk_jsonrpc_conn_closed_fn close_cb = nullptr;
    void *close_cb_ctx = nullptr;
    bool closed = false;
};

struct spdk_jsonrpc_server {
    int fd = -1;
    spdk_jsonrpc_handle_request_fn handle_request = nullptr;
    std::shared_ptr<spdk_embedded::jsonrpc::Shared> shared;
    std::vector<std::unique_ptr<spdk_jsonrpc_server_conn>> conns;
    bool polling = false;
    bool shutdown_requested = false;  // by a handler, during a poll
    bool accept_error_logged = false;
};

namespace spdk_embedded::jsonrpc {

void log_text(const char *prefix, const char *text, size_t len) {
    const int level = g_log_level.load(std::memory_order_relaxed);
    FILE *file = g_log_file.load(std::memory_order_relaxed);
    if (level == SPDK_LOG_DISABLED && file == nullptr) {
        return;
    }
    std::string line(text, len);
    std::erase(line, '\n');
    if (level != SPDK_LOG_DISABLED) {
        spdk_log(static_cast<spdk_log_level>(level), nullptr, 0, nullptr, "%s%s\n", prefix,
                 line.c_str());
    }
    if (file != nullptr) {
        std::fprintf(file, "%s%s\n", prefix, line.c_str());
        std::fflush(file);
    }
}

namespace {

// Queues response text on conn, after those answered before it.
void enqueue(spdk_jsonrpc_server_conn *conn, std::string text) {
    std::lock_guard guard(conn->server->shared->lock);
    conn->answered_bytes += text.size();
    conn->answered.push_back(std::move(text));
}

// A batch's responses as one array; empty when none is to be sent.
std::string join(const Batch &batch) {
    std::string out;
    for (const std::string &r : batch.responses) {
        if (r.empty()) {
            continue;
        }
        out += out.empty() ? '[' : ',';
        out.append(r, 0, r.back() == '\n' ? r.size() - 1 : r.size());
    }
    if (!out.empty()) {
        out += "]\n";
    }
    return out;
}

spdk_jsonrpc_request *new_request(spdk_jsonrpc_server_conn *conn,
                                  const std::shared_ptr<Parsed> &parsed, Batch *batch,
                                  size_t slot) {
    auto *request = new spdk_jsonrpc_request;
    request->link = std::make_unique<ServerLink>();
    request->link->shared = conn->server->shared;
    request->link->parsed = parsed;
    request->link->conn = conn;
    request->link->batch = batch;
    request->link->slot = slot;
    std::lock_guard guard(conn->server->shared->lock);
    conn->outstanding.insert(request);
    conn->unanswered.fetch_add(1, std::memory_order_relaxed);
    return request;
}

int capture(const spdk_json_val *val, void *out) {
    *static_cast<const spdk_json_val **>(out) = val;
    return 0;
}

struct RequestFields {
    const spdk_json_val *version;
    const spdk_json_val *method;
    const spdk_json_val *params;
    const spdk_json_val *id;
};

const spdk_json_object_decoder kRequestDecoders[] = {
    {"jsonrpc", offsetof(RequestFields, version), capture, true},
    {"method", offsetof(RequestFields, method), capture, false},
    {"params", offsetof(RequestFields, params), capture, true},
    {"id", offsetof(RequestFields, id), capture, true},
};

int append_string(void *cb_ctx, const void *data, size_t size) {
    static_cast<std::string *>(cb_ctx)->append(static_cast<const char *>(data), size);
    return 0;
}

// Checks one request object as SPDK does, in SPDK's order (only the four members,
// a "2.0" version when there is one, a string method, a string, number or null id,
// then an object, array or null params) and hands it to the server's handler, or
// answers it with INVALID_REQUEST: with a null id, but for bad params (the id was
// read by then, as in SPDK).
void handle_one(spdk_jsonrpc_request *request, const spdk_json_val *value) {
    RequestFields f{};
    bool valid =
        value->type == SPDK_JSON_VAL_OBJECT_BEGIN &&
        spdk_json_decode_object(value, kRequestDecoders, SPDK_COUNTOF(kRequestDecoders), &f) == 0;
    valid = valid && (f.version == nullptr || (f.version->type == SPDK_JSON_VAL_STRING &&
                                               spdk_json_strequal(f.version, "2.0")));
    valid = valid && f.method != nullptr && f.method->type == SPDK_JSON_VAL_STRING;
    valid = valid && (f.id == nullptr || f.id->type == SPDK_JSON_VAL_STRING ||
                      f.id->type == SPDK_JSON_VAL_NUMBER || f.id->type == SPDK_JSON_VAL_NULL);
    if (valid && f.id != nullptr && f.id->type != SPDK_JSON_VAL_NULL) {
        spdk_json_write_ctx *w = spdk_json_write_begin(append_string, &request->id, 0);
        if (w == nullptr || spdk_json_write_val(w, f.id) != 0 || spdk_json_write_end(w) != 0) {
            request->id.clear();
            valid = false;
        }
    }
    valid = valid && (f.params == nullptr || f.params->type == SPDK_JSON_VAL_NULL ||
                      f.params->type == SPDK_JSON_VAL_OBJECT_BEGIN ||
                      f.params->type == SPDK_JSON_VAL_ARRAY_BEGIN);
    if (!valid) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_REQUEST,
                                         "Invalid request");
        return;
    }
    const spdk_json_val *params =
        f.params != nullptr && f.params->type != SPDK_JSON_VAL_NULL ? f.params : nullptr;
    request->link->conn->server->handle_request(request, f.method, params);
}

// Answers the connection's stream with a parse error and stops reading it: a
// stream has no point to resume parsing from.
void parse_error(spdk_jsonrpc_server_conn *conn, const char *message) {
    enqueue(conn, error_response("null", SPDK_JSONRPC_ERROR_PARSE_ERROR, message));
    conn->closing = true;
    conn->in.clear();
    conn->scanner.reset();
}

// Handles one complete JSON value, text[0, len).
void handle_value(spdk_jsonrpc_server_conn *conn, const char *text, size_t len) {
    log_text("request: ", text, len);
    void *end = nullptr;
    const ssize_t count =
        spdk_json_parse(const_cast<char *>(text), len, nullptr, 0, &end, 0);  // not written
    if (count <= 0) {
        parse_error(conn, "Parse error");
        return;
    }
    if (static_cast<size_t>(count) > kMaxValues) {
        enqueue(conn, error_response("null", SPDK_JSONRPC_ERROR_INVALID_REQUEST,
                                     "Invalid request: more than 65536 JSON values"));
        return;
    }
    auto parsed = std::make_shared<Parsed>();
    parsed->text.assign(text, text + len);
    parsed->values.resize(static_cast<size_t>(count));
    if (spdk_json_parse(parsed->text.data(), len, parsed->values.data(), parsed->values.size(),
                        &end, SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE) != count) {
        parse_error(conn, "Parse error");
        return;
    }
    spdk_json_val *top = parsed->values.data();
    if (top->type == SPDK_JSON_VAL_OBJECT_BEGIN) {
        handle_one(new_request(conn, parsed, nullptr, 0), top);
        return;
    }
    if (top->type != SPDK_JSON_VAL_ARRAY_BEGIN) {
        enqueue(conn,
                error_response("null", SPDK_JSONRPC_ERROR_INVALID_REQUEST, "Invalid request"));
        return;
    }
    std::vector<spdk_json_val *> elements;
    for (uint32_t i = 1; i <= top->len; i += static_cast<uint32_t>(spdk_json_val_len(&top[i]))) {
        elements.push_back(&top[i]);
    }
    if (elements.empty() || elements.size() > kMaxBatch) {
        enqueue(conn, error_response("null", SPDK_JSONRPC_ERROR_INVALID_REQUEST,
                                     elements.empty()
                                         ? "Invalid request: an empty batch"
                                         : "Invalid request: a batch holds at most 256 requests"));
        return;
    }
    auto *batch = new Batch;
    batch->responses.resize(elements.size());
    batch->pending = elements.size();
    {
        std::lock_guard guard(conn->server->shared->lock);
        conn->batches.push_back(batch);
    }
    // Every request of the batch exists before the first is handled, so that an
    // answer given at once cannot complete the batch early.
    std::vector<spdk_jsonrpc_request *> requests;
    requests.reserve(elements.size());
    for (size_t i = 0; i < elements.size(); ++i) {
        requests.push_back(new_request(conn, parsed, batch, i));
    }
    for (size_t i = 0; i < elements.size(); ++i) {
        handle_one(requests[i], elements[i]);
    }
}

// Takes the next complete request from conn->in and handles it. False when there
// is none (or the stream turned out bad).
bool take_request(spdk_jsonrpc_server_conn *conn) {
    if (!conn->scanner.started()) {
        size_t skip = 0;
        while (skip < conn->in.size() && is_space(conn->in[skip])) {
            ++skip;
        }
        conn->in.erase(0, skip);
    }
    if (conn->in.empty()) {
        return false;
    }
    size_t end = 0;
    switch (conn->scanner.scan(conn->in, end)) {
        case Scanner::Status::kIncomplete:
            if (conn->in.size() >= kMaxRequestSize) {
                enqueue(conn,
                        error_response("null", SPDK_JSONRPC_ERROR_INVALID_REQUEST,
                                       "Invalid request: a request is larger than 1048576 bytes"));
                conn->closing = true;
                conn->in.clear();
                conn->scanner.reset();
            }
            return false;
        case Scanner::Status::kTooDeep:
            parse_error(conn, "Parse error: nested deeper than 64");
            return false;
        case Scanner::Status::kComplete:
            break;
    }
    conn->scanner.reset();
    // The value's text leaves the buffer before it is handled: a handler never
    // sees the buffer change under it.
    std::string text = conn->in.substr(0, end);
    conn->in.erase(0, end);
    handle_value(conn, text.data(), text.size());
    return !conn->closing;
}

size_t pending_output(spdk_jsonrpc_server_conn *conn) {
    std::lock_guard guard(conn->server->shared->lock);
    return conn->out.size() - conn->out_offset + conn->answered_bytes;
}

bool can_take_requests(spdk_jsonrpc_server_conn *conn) {
    return !conn->closing && conn->unanswered.load(std::memory_order_relaxed) < kMaxUnanswered &&
           pending_output(conn) < kMaxPendingOutput;
}

// Moves the answered responses to the output.
void collect_answers(spdk_jsonrpc_server_conn *conn) {
    std::lock_guard guard(conn->server->shared->lock);
    for (std::string &text : conn->answered) {
        conn->out += text;
    }
    conn->answered.clear();
    conn->answered_bytes = 0;
}

// Sends what the socket takes now. False when the connection is broken.
bool flush(spdk_jsonrpc_server_conn *conn) {
    while (conn->out_offset < conn->out.size()) {
        const ssize_t n = send(conn->fd, conn->out.data() + conn->out_offset,
                               conn->out.size() - conn->out_offset, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            conn->out_offset += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            break;
        }
        return false;  // EPIPE, ECONNRESET: the peer is gone
    }
    if (conn->out_offset == conn->out.size()) {
        conn->out.clear();
        conn->out_offset = 0;
    } else if (conn->out_offset > kMaxPendingOutput) {
        conn->out.erase(0, conn->out_offset);
        conn->out_offset = 0;
    }
    return true;
}

// Closes conn's socket; its unanswered requests are detached from it.
void close_conn(spdk_jsonrpc_server_conn *conn) {
    spdk_jsonrpc_conn_closed_fn cb = nullptr;
    void *cb_ctx = nullptr;
    {
        std::lock_guard guard(conn->server->shared->lock);
        for (spdk_jsonrpc_request *request : conn->outstanding) {
            request->link->conn = nullptr;
            request->link->batch = nullptr;
        }
        conn->outstanding.clear();
        for (Batch *batch : conn->batches) {
            delete batch;
        }
        conn->batches.clear();
        conn->answered.clear();
        conn->answered_bytes = 0;
        cb = std::exchange(conn->close_cb, nullptr);
        cb_ctx = conn->close_cb_ctx;
        conn->closed = true;
    }
    if (conn->fd >= 0) {
        close(conn->fd);
        conn->fd = -1;
    }
    conn->in.clear();
    conn->out.clear();
    if (cb != nullptr) {
        cb(conn, cb_ctx);
    }
}

// Whether the peer closed its socket altogether; a peer that only shut down its
// sending side (SHUT_WR) still reads its answers.
bool peer_gone(spdk_jsonrpc_server_conn *conn) {
    pollfd p{conn->fd, POLLOUT, 0};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

// Reads and handles what conn sent, and sends what is answered.
void serve(spdk_jsonrpc_server_conn *conn) {
    collect_answers(conn);
    if (!flush(conn)) {
        close_conn(conn);
        return;
    }
    int handled = 0;
    size_t received = 0;
    bool drained = false;  // no complete request is left in conn->in
    spdk_jsonrpc_server *server = conn->server;
    while (!server->shutdown_requested && conn->fd >= 0) {
        drained = false;
        while (handled < kRequestsPerPoll && can_take_requests(conn)) {
            if (!take_request(conn)) {
                drained = true;
                break;
            }
            ++handled;
            if (server->shutdown_requested) {
                return;
            }
        }
        if (!drained || conn->closing || conn->peer_closed || received >= kRecvPerPoll) {
            break;
        }
        // The buffer holds at most part of a request: read on.
        const size_t old = conn->in.size();
        conn->in.resize(old + kRecvChunk);
        const ssize_t n = recv(conn->fd, conn->in.data() + old, kRecvChunk, MSG_DONTWAIT);
        conn->in.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
        if (n > 0) {
            received += static_cast<size_t>(n);
            continue;
        }
        if (n == 0) {
            conn->peer_closed = true;
            break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            break;
        }
        close_conn(conn);  // ECONNRESET and the like
        return;
    }
    if (server->shutdown_requested || conn->fd < 0) {
        return;
    }
    collect_answers(conn);
    if (!flush(conn)) {
        close_conn(conn);
        return;
    }
    if ((conn->closing || (conn->peer_closed && drained)) &&
        conn->unanswered.load(std::memory_order_relaxed) == 0 && pending_output(conn) == 0) {
        close_conn(conn);
        return;
    }
    if (conn->peer_closed && peer_gone(conn)) {
        close_conn(conn);  // its answers have nowhere to go
    }
}

void accept_conns(spdk_jsonrpc_server *server) {
    for (int i = 0; i < kAcceptsPerPoll && server->conns.size() < kMaxConns; ++i) {
        const int fd = accept4(server->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED && !server->accept_error_logged) {
                server->accept_error_logged = true;  // EMFILE and the like: once
                SPDK_ERRLOG("JSON-RPC server: accept failed: %s\n", spdk_strerror(errno));
            }
            return;
        }
        auto conn = std::make_unique<spdk_jsonrpc_server_conn>();
        conn->server = server;
        conn->fd = fd;
        server->conns.push_back(std::move(conn));
    }
}

void shutdown_now(spdk_jsonrpc_server *server) {
    for (auto &conn : server->conns) {
        if (conn->fd >= 0) {
            // What is answered and fits into the socket now still goes out: the
            // answer to spdk_kill_instance, for instance.
            collect_answers(conn.get());
            flush(conn.get());
            close_conn(conn.get());
        }
    }
    server->conns.clear();
    if (server->fd >= 0) {
        close(server->fd);
    }
    delete server;
}

}  // namespace

void deliver(spdk_jsonrpc_request *request, std::string response) {
    if (!response.empty()) {
        log_text("response: ", response.data(), response.size());
    }
    ServerLink &link = *request->link;
    bool dropped = false;
    {
        std::lock_guard guard(link.shared->lock);
        spdk_jsonrpc_server_conn *conn = link.conn;
        if (conn == nullptr) {
            dropped = true;
        } else {
            conn->outstanding.erase(request);
            conn->unanswered.fetch_sub(1, std::memory_order_relaxed);
            std::string text;
            if (link.batch != nullptr) {
                Batch *batch = link.batch;
                batch->responses[link.slot] = std::move(response);
                if (--batch->pending == 0) {
                    text = join(*batch);
                    std::erase(conn->batches, batch);
                    delete batch;
                }
            } else {
                text = std::move(response);
            }
            if (!text.empty()) {
                conn->answered_bytes += text.size();
                conn->answered.push_back(std::move(text));
            }
        }
    }
    if (dropped) {
        SPDK_WARNLOG("JSON-RPC: the connection of a request closed before its answer\n");
    }
    delete request;
}

spdk_jsonrpc_server *listen_on(int fd, spdk_jsonrpc_handle_request_fn handle_request) {
    if (listen(fd, 512) != 0) {
        SPDK_ERRLOG("JSON-RPC server: listen() failed: %s\n", spdk_strerror(errno));
        close(fd);
        return nullptr;
    }
    auto *server = new spdk_jsonrpc_server;
    server->fd = fd;
    server->handle_request = handle_request;
    server->shared = std::make_shared<Shared>();
    return server;
}

}  // namespace spdk_embedded::jsonrpc

extern "C" {

struct spdk_jsonrpc_server *spdk_jsonrpc_server_listen(
    int domain, int protocol, struct sockaddr *listen_addr, socklen_t addrlen,
    spdk_jsonrpc_handle_request_fn handle_request) {
    if (listen_addr == nullptr || handle_request == nullptr) {
        SPDK_ERRLOG("spdk_jsonrpc_server_listen needs an address and a request handler\n");
        return nullptr;
    }
    const int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        SPDK_ERRLOG("JSON-RPC server: socket() failed: %s\n", spdk_strerror(errno));
        return nullptr;
    }
    if (domain != AF_UNIX) {
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    if (bind(fd, listen_addr, addrlen) != 0) {
        SPDK_ERRLOG("JSON-RPC server: cannot bind: %s\n", spdk_strerror(errno));
        close(fd);
        return nullptr;
    }
    return spdk_embedded::jsonrpc::listen_on(fd, handle_request);
}

int spdk_jsonrpc_server_poll(struct spdk_jsonrpc_server *server) {
    using namespace spdk_embedded::jsonrpc;
    server->polling = true;
    accept_conns(server);
    // serve may add nothing to conns, but a handler may ask for shutdown.
    for (size_t i = 0; i < server->conns.size() && !server->shutdown_requested; ++i) {
        if (server->conns[i]->fd >= 0) {
            serve(server->conns[i].get());
        }
    }
    std::erase_if(server->conns, [](const auto &conn) { return conn->fd < 0; });
    server->polling = false;
    if (server->shutdown_requested) {
        shutdown_now(server);
    }
    return 0;
}

void spdk_jsonrpc_server_shutdown(struct spdk_jsonrpc_server *server) {
    if (server == nullptr) {
        return;
    }
    if (server->polling) {
        server->shutdown_requested = true;  // a handler of this poll: at its end
        return;
    }
    spdk_embedded::jsonrpc::shutdown_now(server);
}

struct spdk_jsonrpc_server_conn *spdk_jsonrpc_get_conn(struct spdk_jsonrpc_request *request) {
    if (request == nullptr || request->link == nullptr) {
        return nullptr;
    }
    std::lock_guard guard(request->link->shared->lock);
    return request->link->conn;
}

int spdk_jsonrpc_conn_add_close_cb(struct spdk_jsonrpc_server_conn *conn,
                                   spdk_jsonrpc_conn_closed_fn cb, void *ctx) {
    if (conn == nullptr || cb == nullptr) {
        return -EINVAL;
    }
    std::lock_guard guard(conn->server->shared->lock);
    if (conn->closed) {
        return -ENOTCONN;
    }
    if (conn->close_cb != nullptr) {
        return conn->close_cb == cb && conn->close_cb_ctx == ctx ? -EEXIST : -ENOSPC;
    }
    conn->close_cb = cb;
    conn->close_cb_ctx = ctx;
    return 0;
}

int spdk_jsonrpc_conn_del_close_cb(struct spdk_jsonrpc_server_conn *conn,
                                   spdk_jsonrpc_conn_closed_fn cb, void *ctx) {
    if (conn == nullptr) {
        return -ENOENT;
    }
    std::lock_guard guard(conn->server->shared->lock);
    if (conn->close_cb == nullptr || conn->close_cb != cb || conn->close_cb_ctx != ctx) {
        return -ENOENT;
    }
    conn->close_cb = nullptr;
    return 0;
}

void spdk_jsonrpc_set_log_level(enum spdk_log_level level) {
    spdk_embedded::jsonrpc::g_log_level.store(level, std::memory_order_relaxed);
}

void spdk_jsonrpc_set_log_file(FILE *file) {
    spdk_embedded::jsonrpc::g_log_file.store(file, std::memory_order_relaxed);
}

}  // extern "C"
