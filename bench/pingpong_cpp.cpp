// The spdkcpp side of the message benchmark: `window` coroutines each hop between
// a thread on core 0 and one on core 1 until `count` round trips are done, as
// pingpong_c does with raw messages.
//
//   pingpong_cpp COUNT WINDOW     (runs with core mask 0x3)
#include <spdkcpp/app.hpp>
#include <spdkcpp/clock.hpp>
#include <spdkcpp/core_mask.hpp>
#include <spdkcpp/scheduling.hpp>
#include <spdkcpp/thread.hpp>
#include <spdkcpp/when_all.hpp>

#include <cstdlib>
#include <vector>

namespace {

spdkcpp::Task<int> bouncer(spdkcpp::ThreadRef home, spdkcpp::ThreadRef away, uint64_t trips) {
    for (uint64_t i = 0; i < trips; ++i) {
        if (!co_await spdkcpp::on(away) || !co_await spdkcpp::on(home)) {
            co_return 1;
        }
    }
    co_return 0;
}

spdkcpp::Task<int> run(uint64_t count, uint64_t window) {
    const auto core1 = spdkcpp::CoreMask::single(1);
    auto away = spdkcpp::Thread::create("pong", &core1);
    if (!away) {
        co_return 1;
    }
    const spdkcpp::ThreadRef home = spdkcpp::ThreadRef::current();
    std::vector<spdkcpp::Task<int>> bouncers;
    for (uint64_t i = 0; i < window; ++i) {
        bouncers.push_back(bouncer(home, away->ref(), count / window + (i < count % window)));
    }
    const uint64_t start = spdkcpp::Clock::ticks();
    auto failed = co_await spdkcpp::when_all(std::move(bouncers));
    const double secs = spdkcpp::Clock::to_us(spdkcpp::Clock::ticks() - start) / 1e6;
    fmt::print("pingpong_cpp: {} round trips in {:.3f} s: {:.0f} round trips/s, {:.3f} us each\n",
               count, secs, static_cast<double>(count) / secs,
               secs * 1e6 / static_cast<double>(count));
    for (int f : failed) {
        if (f != 0) {
            co_return 1;
        }
    }
    co_return 0;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        fmt::print(stderr, "usage: {} COUNT WINDOW\n", argv[0]);
        return 1;
    }
    const uint64_t count = std::strtoull(argv[1], nullptr, 10);
    const uint64_t window = std::strtoull(argv[2], nullptr, 10);
    if (count == 0 || window == 0 || window > count) {
        fmt::print(stderr, "0 < WINDOW <= COUNT\n");
        return 1;
    }
    spdkcpp::AppOptions options;
    options.name = "pingpong_cpp";
    options.core_mask = "0x3";
    options.no_huge = true;
    options.mem_size_mb = 512;             // SPDK needs a size without hugepages
    options.disable_cpumask_locks = true;  // ctest runs several at once: no core locks,
    options.no_rpc_server = true;          // and no RPC socket to share
    spdkcpp::App app(std::move(options));
    return app.run(run(count, window));
}
