// Allocates DMA buffers, views them as one scatter-gather list and checks what
// was written through the views: the ownership model of spdkcpp in a few lines.
#include <spdkcpp/dma_buf.hpp>
#include <spdkcpp/env.hpp>
#include <spdkcpp/io_vec.hpp>

#include <cstdlib>
#include <vector>

int main() {
    // DMA memory comes from SPDK's environment: set it up first (no hugepages
    // needed), and release it last.
    auto env = spdkcpp::Env::init({.name = "hello_dma", .mem_size_mb = 64});
    if (!env) {
        fmt::print(stderr, "hello_dma: {}\n", env.error());
        return EXIT_FAILURE;
    }
    std::vector<spdkcpp::DmaBuf> bufs;
    for (int i = 0; i < 4; ++i) {
        auto buf = spdkcpp::DmaBuf::alloc_zeroed(4096, 4096);
        if (!buf) {
            fmt::print(stderr, "hello_dma: {}\n", buf.error());
            return EXIT_FAILURE;
        }
        buf->fill(std::byte(i + 1));
        bufs.push_back(std::move(*buf));
    }
    // The buffers themselves are the iovec array SPDK's readv/writev take.
    const auto iovs = spdkcpp::as_iovecs(bufs);
    for (std::size_t i = 0; i < bufs.size(); ++i) {
        const spdkcpp::IoVec view(bufs[i]);
        const auto expected = std::byte(i + 1);
        if (view.data() != iovs[i].iov_base || view.bytes().front() != expected ||
            view.bytes().back() != expected) {
            fmt::print(stderr, "hello_dma: buffer {} holds the wrong bytes\n", i);
            return EXIT_FAILURE;
        }
    }
    fmt::print("hello_dma: verified {} buffers, {} bytes in one scatter-gather list\n", iovs.size(),
               spdkcpp::total_size(iovs));
    // A request the allocator cannot meet is an error value, not a crash.
    auto bad = spdkcpp::DmaBuf::alloc(4096, 3);
    fmt::print("hello_dma: alloc(4096, 3) -> {}\n", bad.error());
    return EXIT_SUCCESS;
}
