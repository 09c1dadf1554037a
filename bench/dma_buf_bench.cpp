// DmaBuf against the raw calls it wraps: the wrapper must cost nothing.
#include <benchmark/benchmark.h>

#include <spdkcpp/dma_buf.hpp>

namespace {

void raw_dma_malloc_free(benchmark::State &state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        void *p = spdk_dma_malloc(size, 4096, nullptr);
        benchmark::DoNotOptimize(p);
        spdk_dma_free(p);
    }
}

void dma_buf_alloc_drop(benchmark::State &state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        auto buf = spdkcpp::DmaBuf::alloc(size, 4096);
        benchmark::DoNotOptimize(buf->data());
    }
}

BENCHMARK(raw_dma_malloc_free)->Arg(4096)->Arg(128 << 10);
BENCHMARK(dma_buf_alloc_drop)->Arg(4096)->Arg(128 << 10);

}  // namespace

BENCHMARK_MAIN();
