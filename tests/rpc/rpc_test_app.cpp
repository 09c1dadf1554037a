// The application the RPC tests drive over its socket, on either provider: an
// spdkcpp App that serves SPDK's methods plus its own, typed ones (RpcMethod), and
// runs until it is told to stop (SIGTERM, SIGINT or spdk_kill_instance). Its exit
// code is 0 when it stopped cleanly.
//
//   test_echo {text, number?}         -> {"text": text, "number": number or 0}
//   test_answer_later {ms, text?}     -> text (or "later"), answered ms later
//   test_io {name, writes, reads}     -> true, after that many 4 KiB writes and
//                                        reads at offset 0 of bdev name
#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "spdk/thread.h"
#include "spdkcpp/app.hpp"
#include "spdkcpp/bdev_channel.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/rpc.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/task.hpp"

namespace {

using namespace spdkcpp;
using namespace std::chrono_literals;

std::atomic<bool> g_stop{false};

struct EchoParams {
    std::string text;
    std::optional<uint64_t> number;
    static constexpr auto fields = std::tuple{rpc::required("text", &EchoParams::text),
                                              rpc::optional("number", &EchoParams::number)};
};

void echo(EchoParams p, RpcRequest request) {
    std::move(request).result([&](JsonWriter &w) {
        w.object([&] {
            w.named("text", std::string_view(p.text));
            w.named("number", p.number.value_or(0));
        });
    });
}

const RpcMethod<EchoParams, &echo> echo_method{"test_echo", SPDK_RPC_STARTUP | SPDK_RPC_RUNTIME};

struct LaterParams {
    uint32_t ms = 0;
    std::optional<std::string> text;
    static constexpr auto fields = std::tuple{rpc::required("ms", &LaterParams::ms),
                                              rpc::optional("text", &LaterParams::text)};
};

// The request waits in the coroutine frame; the answer may find its client gone.
Task<void> answer_later(LaterParams p, RpcRequest request) {
    (void)co_await sleep(std::chrono::milliseconds(p.ms));
    std::move(request).result(std::string_view(p.text.value_or("later")));
}

void later(LaterParams p, RpcRequest request) {
    spawn(answer_later(std::move(p), std::move(request)));
}

const RpcMethod<LaterParams, &later> later_method{"test_answer_later", SPDK_RPC_RUNTIME};

struct IoParams {
    std::string name;
    uint32_t writes = 0;
    uint32_t reads = 0;
    static constexpr auto fields = std::tuple{rpc::required("name", &IoParams::name),
                                              rpc::required("writes", &IoParams::writes),
                                              rpc::required("reads", &IoParams::reads)};
};

Task<Result<void>> do_io(IoParams p) {
    auto desc = BdevDesc::open(p.name, OpenMode::ReadWrite);
    if (!desc) {
        co_return fail(desc.error());
    }
    auto ch = desc->io_channel();
    auto buf = DmaBuf::alloc_zeroed(4096, desc->bdev().buf_align());
    if (!ch || !buf) {
        co_return fail(ErrorKind::OutOfMemory, "no channel or buffer");
    }
    for (uint32_t i = 0; i < p.writes; ++i) {
        if (auto w = co_await desc->write(*ch, *buf, 0); !w) {
            co_return w;
        }
    }
    for (uint32_t i = 0; i < p.reads; ++i) {
        if (auto r = co_await desc->read(*ch, *buf, 0); !r) {
            co_return r;
        }
    }
    co_return Result<void>{};
}

Task<void> io(IoParams p, RpcRequest request) {
    std::move(request).reply(co_await do_io(std::move(p)));
}

void io_method_handler(IoParams p, RpcRequest request) {
    spawn(io(std::move(p), std::move(request)));
}

const RpcMethod<IoParams, &io_method_handler> io_method{"test_io", SPDK_RPC_RUNTIME};

// Serves until told to stop.
Task<int> serve() {
    fmt::print("rpc_test_app: serving\n");
    std::fflush(stdout);
    while (!g_stop.load()) {
        (void)co_await sleep(5ms);
    }
    co_return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char **argv) {
    auto app = App::from_args(argc, argv, "rpc_test_app");
    if (!app) {
        return app.error() == ErrorKind::Cancelled ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    (*app)->options().on_shutdown = [] { g_stop.store(true); };
    return (*app)->run(serve());
}
