// A minimal JSON-RPC client over a Unix socket, as SPDK's rpc.py is one: it sends
// JSON text and reads until a complete JSON value has arrived (no framing beyond
// JSON). Every wait has a deadline, so a test never hangs on a server that does not
// answer; the socket is non-blocking and sends never raise SIGPIPE.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace spdkcpp::testing {

using namespace std::chrono_literals;

class RpcClient {
  public:
    RpcClient() = default;
    RpcClient(const RpcClient &) = delete;
    RpcClient &operator=(const RpcClient &) = delete;
    RpcClient(RpcClient &&other) noexcept
        : fd_(std::exchange(other.fd_, -1)), buf_(std::move(other.buf_)), eof_(other.eof_) {}
    RpcClient &operator=(RpcClient &&other) noexcept {
        if (this != &other) {
            close();
            fd_ = std::exchange(other.fd_, -1);
            buf_ = std::move(other.buf_);
            eof_ = other.eof_;
        }
        return *this;
    }
    ~RpcClient() { close(); }

    // Connects to path; nullopt when nobody accepts within timeout.
    static std::optional<RpcClient> connect(const std::string &path,
                                            std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            RpcClient c;
            c.fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
            const int rc = ::connect(c.fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
            if (rc == 0) {
                return c;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(10ms);
        }
    }

    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] bool eof() const { return eof_; }

    // Sends all of bytes; false when the peer is gone or does not take them in time.
    bool send(std::string_view bytes, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n > 0) {
                bytes.remove_prefix(static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return false;
            }
            if (!wait(POLLOUT, deadline)) {
                return false;
            }
        }
        return true;
    }

    // Sends what the socket takes now, without waiting; the number of bytes sent.
    size_t send_some(std::string_view bytes) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }

    // The next complete JSON value from the server; nullopt at the deadline or when
    // the server closed the connection first (eof() then tells).
    std::optional<nlohmann::json> read(std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto value = take_value()) {
                return value;
            }
            if (eof_ || !fill(deadline)) {
                return std::nullopt;
            }
        }
    }

    // Reads until the server closes the connection; false when it does not within
    // timeout. What came before is left in pending().
    bool wait_closed(std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!eof_) {
            if (!fill(deadline)) {
                return eof_;
            }
        }
        return true;
    }
    [[nodiscard]] const std::string &pending() const { return buf_; }

    // One request and its response (nullopt: none in time).
    std::optional<nlohmann::json> call(const std::string &method,
                                       const nlohmann::json &params = nullptr, int id = 1,
                                       std::chrono::milliseconds timeout = 20s) {
        nlohmann::json request = {{"jsonrpc", "2.0"}, {"method", method}, {"id", id}};
        if (!params.is_null()) {
            request["params"] = params;
        }
        if (!send(request.dump() + "\n")) {
            return std::nullopt;
        }
        return read(timeout);
    }

    void close() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

  private:
    bool wait(short events, std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd p{fd_, events, 0};
        return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
    }

    // Reads what has arrived; false at the deadline.
    bool fill(std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            char chunk[65536];
            const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
            if (n > 0) {
                buf_.append(chunk, static_cast<size_t>(n));
                return true;
            }
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                eof_ = true;  // closed, or reset
                return true;
            }
            if (!wait(POLLIN, deadline)) {
                return false;
            }
        }
    }

    // Takes the first complete value (an object or array) off the buffer.
    std::optional<nlohmann::json> take_value() {
        size_t start = 0;
        while (start < buf_.size() && std::isspace(static_cast<unsigned char>(buf_[start]))) {
            ++start;
        }
        int depth = 0;
        bool in_string = false;
        bool escape = false;
        for (size_t i = start; i < buf_.size(); ++i) {
            const char c = buf_[i];
            if (in_string) {
                if (escape) {
                    escape = false;
                } else if (c == '\\') {
                    escape = true;
                } else if (c == '"') {
                    in_string = false;
                }
            } else if (c == '"') {
                in_string = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    auto value = nlohmann::json::parse(buf_.begin() + static_cast<long>(start),
                                                       buf_.begin() + static_cast<long>(i + 1),
                                                       nullptr, false);
                    buf_.erase(0, i + 1);
                    return value;
                }
            }
        }
        return std::nullopt;
    }

    int fd_ = -1;
    std::string buf_;
    bool eof_ = false;
};

}  // namespace spdkcpp::testing
