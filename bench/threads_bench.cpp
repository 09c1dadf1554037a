// Messages and coroutine hops: the wrappers against the raw calls they wrap, on
// threads driven by a ThreadDriver (one OS thread, so this measures the cost of
// the calls, not of cross-core traffic). Heap allocations are counted by
// replacing the global operator new and reported per operation.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <optional>

#include "spdk/thread.h"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread_driver.hpp"

namespace {

std::atomic<uint64_t> g_allocations{0};

struct Fixture {
    spdkcpp::ThreadDriver driver;
    spdkcpp::ThreadRef a;
    spdkcpp::ThreadRef b;
};

Fixture &fixture() {
    static std::optional<Fixture> f = [] {
        auto d = spdkcpp::ThreadDriver::create();
        auto a = d->add_thread("a");
        auto b = d->add_thread("b");
        return std::optional<Fixture>(Fixture{std::move(*d), *a, *b});
    }();
    return *f;
}

constexpr int kBatch = 64;

void report_allocations(benchmark::State &state, uint64_t before, uint64_t ops) {
    state.counters["allocs_per_op"] =
        static_cast<double>(g_allocations.load() - before) / static_cast<double>(ops);
}

void raw_send_msg(benchmark::State &state) {
    Fixture &f = fixture();
    uint64_t counter = 0;
    const uint64_t before = g_allocations.load();
    for (auto _ : state) {
        for (int i = 0; i < kBatch; ++i) {
            spdk_thread_send_msg(
                f.a.raw(), [](void *ctx) { ++*static_cast<uint64_t *>(ctx); }, &counter);
        }
        while (f.driver.poll(f.a)) {
        }
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
    report_allocations(state, before, state.iterations() * kBatch);
    benchmark::DoNotOptimize(counter);
}

void wrapper_send(benchmark::State &state) {
    Fixture &f = fixture();
    uint64_t counter = 0;
    const uint64_t before = g_allocations.load();
    for (auto _ : state) {
        for (int i = 0; i < kBatch; ++i) {
            (void)f.a.send([&counter] { ++counter; });
        }
        while (f.driver.poll(f.a)) {
        }
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
    report_allocations(state, before, state.iterations() * kBatch);
    benchmark::DoNotOptimize(counter);
}

// A coroutine that hops a -> b -> a `hops` times; one item is one hop.
spdkcpp::Task<int> ping_pong(spdkcpp::ThreadRef a, spdkcpp::ThreadRef b, int hops) {
    for (int i = 0; i < hops; ++i) {
        (void)co_await spdkcpp::on(i % 2 == 0 ? b : a);
    }
    co_return 0;
}

void coroutine_hop(benchmark::State &state) {
    Fixture &f = fixture();
    const uint64_t before = g_allocations.load();
    for (auto _ : state) {
        auto r = f.driver.run(f.a, ping_pong(f.a, f.b, kBatch));
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
    report_allocations(state, before, state.iterations() * kBatch);
}

BENCHMARK(raw_send_msg);
BENCHMARK(wrapper_send);
BENCHMARK(coroutine_hop);

}  // namespace

// Counts every heap allocation of the process (the runtime's included). GCC
// cannot see that these replacements pair malloc with free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void *operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void *p) noexcept {
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept {
    std::free(p);
}

BENCHMARK_MAIN();
