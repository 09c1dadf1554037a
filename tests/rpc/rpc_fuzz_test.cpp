// A bounded fuzz test of an app's RPC socket: a fixed number of random and mutated
// requests from a fixed seed, sent in groups on short-lived connections. The app
// must stay up, close or answer every connection, and answer a valid request at
// the end (and, under ASan/UBSan, do all that without a memory error).
//
// The inputs stay clear of what a legitimate client may do to the app on purpose:
// stopping it (spdk_kill_instance), waiting long (timeouts, delayed answers, I/O
// counts), files (uring), and bdevs bigger than a few hundred KiB.
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rpc_fixture.hpp"

namespace spdkcpp::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kSeed = 20250611;
constexpr int kInputs = 3000;
constexpr int kInputsPerConnection = 10;

class Fuzzer {
  public:
    explicit Fuzzer(std::vector<std::string> methods) : methods_(std::move(methods)) {}

    std::string next() {
        switch (pick(10)) {
            case 0:
                return random_bytes();
            case 1:
            case 2:
            case 3:
                return random_request().dump();
            default:
                return mutate(corpus()[pick(corpus().size())]);
        }
    }

  private:
    static const std::vector<std::string> &corpus() {
        static const std::vector<std::string> c = {
            R"({"jsonrpc":"2.0","method":"spdk_get_version","id":1})",
            R"({"jsonrpc":"2.0","method":"rpc_get_methods","params":{"current":true},"id":2})",
            R"({"jsonrpc":"2.0","method":"bdev_get_bdevs","id":"three"})",
            R"({"jsonrpc":"2.0","method":"bdev_get_bdevs","params":{"name":"F0"},"id":4})",
            R"({"jsonrpc":"2.0","method":"bdev_get_iostat","params":{"per_channel":false},"id":5})",
            R"({"jsonrpc":"2.0","method":"bdev_malloc_create","params":{"name":"F0","num_blocks":8,"block_size":512},"id":6})",
            R"({"jsonrpc":"2.0","method":"bdev_malloc_delete","params":{"name":"F0"},"id":7})",
            R"({"jsonrpc":"2.0","method":"bdev_null_create","params":{"name":"F1","num_blocks":8,"block_size":512},"id":8})",
            R"({"jsonrpc":"2.0","method":"bdev_null_delete","params":{"name":"F1"},"id":9})",
            R"({"jsonrpc":"2.0","method":"framework_get_config","params":{"name":"bdev"},"id":10})",
            R"({"jsonrpc":"2.0","method":"framework_get_subsystems","id":11})",
            R"({"jsonrpc":"2.0","method":"thread_get_stats","id":12})",
            R"({"jsonrpc":"2.0","method":"framework_get_reactors","id":13})",
            R"({"jsonrpc":"2.0","method":"log_get_flags","id":14})",
            R"({"jsonrpc":"2.0","method":"log_set_level","params":{"level":"NOTICE"},"id":15})",
            R"({"jsonrpc":"2.0","method":"test_echo","params":{"text":"\u00e9\n\"x\"","number":3},"id":16})",
            R"({"method":"spdk_get_version"})",
            R"([{"jsonrpc":"2.0","method":"test_echo","params":{"text":"a"},"id":1},{"method":"spdk_get_version","id":2}])",
            R"({"jsonrpc":"2.0","method":"framework_wait_init","id":null})",
        };
        return c;
    }

    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

    // Bytes a mutation puts in: JSON's own, letters, control and non-ASCII bytes,
    // but no digits, so that no size grows by orders of magnitude.
    char noise() {
        static const std::string alphabet = std::string("{}[]\",:\\ \t\nabtruefalsnlEe-+./u") +
                                            std::string("\x00\x01\x1f\x7f", 4) +
                                            "\x80\xbf\xc0\xc3\xe2\xed\xf0\xf4\xf5\xfe\xff";
        return alphabet[pick(alphabet.size())];
    }

    std::string random_bytes() {
        std::string s(1 + pick(200), '\0');
        for (char &c : s) {
            c = static_cast<char>(pick(256));
        }
        return s;
    }

    std::string mutate(std::string s) {
        const size_t rounds = 1 + pick(4);
        for (size_t r = 0; r < rounds && !s.empty(); ++r) {
            const size_t at = pick(s.size());
            switch (pick(7)) {
                case 0:  // a bit flipped, but never into a digit
                    if (char c = static_cast<char>(s[at] ^ (1 << pick(8))); c < '0' || c > '9') {
                        s[at] = c;
                    }
                    break;
                case 1:
                    s[at] = noise();
                    break;
                case 2:
                    s.insert(s.begin() + static_cast<long>(at), noise());
                    break;
                case 3:
                    s.erase(at, 1 + pick(8));
                    break;
                case 4:
                    s.resize(at);  // truncated
                    break;
                case 5: {  // the start of one request, the end of another
                    const std::string &other = corpus()[pick(corpus().size())];
                    s = s.substr(0, at) + other.substr(pick(other.size()));
                    break;
                }
                default:  // nested deeper
                    s.insert(at, std::string(pick(80), pick(2) == 0 ? '[' : '{'));
                    break;
            }
        }
        return s;
    }

    json random_scalar() {
        static const std::vector<json> values = {0,
                                                 1,
                                                 7,
                                                 512,
                                                 -1,
                                                 2.5,
                                                 1e308,
                                                 -0.0,
                                                 1e-300,
                                                 1000000000000000ULL,
                                                 18446744073709551615ULL,
                                                 true,
                                                 false,
                                                 nullptr,
                                                 "",
                                                 "F0",
                                                 "F1",
                                                 "Malloc0",
                                                 "bdev",
                                                 "DEBUG",
                                                 "all",
                                                 "SIGNOPE",
                                                 std::string("\xc3\xbf\0x", 4),
                                                 std::string(300, 'z')};
        return values[pick(values.size())];
    }

    json random_value(int depth) {
        if (depth <= 0 || pick(3) == 0) {
            return random_scalar();
        }
        if (pick(2) == 0) {
            json a = json::array();
            for (size_t i = pick(4); i > 0; --i) {
                a.push_back(random_value(depth - 1));
            }
            return a;
        }
        return random_params(depth - 1);
    }

    json random_params(int depth) {
        static const std::vector<std::string> keys = {"name",
                                                      "num_blocks",
                                                      "block_size",
                                                      "uuid",
                                                      "level",
                                                      "flag",
                                                      "text",
                                                      "number",
                                                      "current",
                                                      "include_aliases",
                                                      "per_channel",
                                                      "reset_mode",
                                                      "physical_block_size",
                                                      "md_size",
                                                      "sig_name_typo",
                                                      "x"};
        json o = json::object();
        for (size_t i = pick(5); i > 0; --i) {
            o[keys[pick(keys.size())]] = random_value(depth);
        }
        return o;
    }

    json random_request() {
        json r = json::object();
        if (pick(5) != 0) {
            r["jsonrpc"] = pick(10) == 0 ? json("1.0") : json("2.0");
        }
        r["method"] = pick(10) == 0 ? random_scalar() : json(methods_[pick(methods_.size())]);
        if (pick(4) != 0) {
            r["params"] = pick(8) == 0 ? random_value(3) : random_params(3);
        }
        if (pick(5) != 0) {
            r["id"] = pick(3) == 0 ? random_scalar() : json(pick(1000));
        }
        if (pick(6) == 0) {
            return json::array({r, random_request()});
        }
        return r;
    }

    std::mt19937 rng_{kSeed};
    std::vector<std::string> methods_;
};

// The input as printable text, for failure messages.
std::string printable(const std::string &s) {
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "\\x%02x", u);
            out += hex;
        }
    }
    return out;
}

using RpcFuzz = RpcAppTest;

TEST_F(RpcFuzz, RandomAndMutatedRequestsLeaveTheAppServing) {
    start();
    std::vector<std::string> methods;
    {
        RpcClient c = connect();
        const std::set<std::string> excluded = {
            "spdk_kill_instance", "test_answer_later", "test_io",
            "bdev_uring_create",  "bdev_uring_delete", "bdev_uring_rescan"};
        for (const json &m : result_of(c, "rpc_get_methods")) {
            if (!excluded.contains(m.get<std::string>())) {
                methods.push_back(m);
            }
        }
    }
    ASSERT_FALSE(methods.empty());
    Fuzzer fuzzer(methods);
    const auto t0 = Clock::now();
    int responses = 0;
    int connections = 0;
    for (int sent = 0; sent < kInputs; sent += kInputsPerConnection) {
        std::string group;
        for (int i = 0; i < kInputsPerConnection; ++i) {
            group += fuzzer.next();
            group += '\n';
        }
        RpcClient c = connect();
        ++connections;
        c.send(group, 10s);  // the server may close the connection midway: fine
        // No more requests: the server answers what it took and closes.
        shutdown(c.fd(), SHUT_WR);
        ASSERT_TRUE(c.wait_closed(20s)) << "connection " << connections << " left open after:\n"
                                        << printable(group) << "\n"
                                        << app_->log();
        for (size_t depth = 0, i = 0; i < c.pending().size(); ++i) {
            const char ch = c.pending()[i];
            depth += ch == '{' ? 1 : 0;
            if (ch == '}' && depth > 0 && --depth == 0) {
                ++responses;  // roughly: strings with braces inside may miscount
            }
        }
        ASSERT_TRUE(app_->running()) << "the app died after:\n"
                                     << printable(group) << "\n"
                                     << app_->log();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("fuzz: %d inputs on %d connections, about %d responses, %.1f s\n", kInputs,
                connections, responses, seconds);
    RecordProperty("fuzz_inputs", kInputs);
    RecordProperty("fuzz_responses", responses);
#ifdef SPDKCPP_TEST_EMBEDDED
    // SPDK drops a connection's answers when one of its requests is not valid JSON.
    EXPECT_GT(responses, kInputs / 10);
#endif

    RpcClient c = connect();
    EXPECT_EQ(result_of(c, "test_echo", {{"text", "after the fuzz"}}).at("text"), "after the fuzz");
    EXPECT_TRUE(result_of(c, "bdev_get_bdevs").is_array());
}

}  // namespace
}  // namespace spdkcpp::testing
