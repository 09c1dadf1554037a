// The spdkcpp side of the zero-overhead benchmark: the same reads as io_loop_c,
// through BdevDesc::read awaited in `depth` coroutines.
//
//   io_loop_cpp COUNT DEPTH [bare]
//
// With `bare`, the coroutines await BareRead instead: spdk_bdev_read and nothing
// else. That measures what GCC's coroutines cost by themselves, so that the cost of
// the wrappers' checks can be told apart from it.
#include <spdkcpp/app.hpp>
#include <spdkcpp/bdev_desc.hpp>
#include <spdkcpp/when_all.hpp>

#include <coroutine>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr uint64_t kIoSize = 4096;

// Not an API: no checks, no -ENOMEM wait (a refused submit fails the run), no Result.
struct BareRead {
    spdk_bdev_desc *desc;
    spdk_io_channel *channel;
    void *buf;
    uint64_t offset;
    std::coroutine_handle<> handle;
    bool ok = false;

    bool await_ready() noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        handle = h;
        return spdk_bdev_read(desc, channel, buf, offset, kIoSize, &done, this) == 0;
    }
    bool await_resume() const noexcept { return ok; }

    static void done(spdk_bdev_io *io, bool success, void *arg) {
        auto *self = static_cast<BareRead *>(arg);
        self->ok = success;
        spdk_bdev_free_io(io);
        self->handle.resume();
    }
};

struct Shared {
    spdkcpp::BdevDesc *desc;
    spdkcpp::BdevChannel *channel;
    uint64_t count;
    uint64_t submitted = 0;
    uint64_t units;
    bool failed = false;
};

template <bool Bare>
spdkcpp::Task<int> reader(Shared &s) {
    auto buf = spdkcpp::DmaBuf::alloc_zeroed(kIoSize, 4096);
    while (s.submitted < s.count) {
        const uint64_t offset = (s.submitted * 7919 % s.units) * kIoSize;
        ++s.submitted;
        if constexpr (Bare) {
            if (!co_await BareRead{s.desc->raw(), s.channel->raw(), buf->data(), offset, {}}) {
                s.failed = true;
            }
        } else {
            if (!co_await s.desc->read(*s.channel, *buf, offset)) {
                s.failed = true;
            }
        }
    }
    co_return 0;
}

spdkcpp::Task<int> run(uint64_t count, uint32_t depth, bool bare) {
    auto desc = spdkcpp::BdevDesc::open("Malloc0", spdkcpp::OpenMode::ReadOnly);
    if (!desc) {
        co_return 1;
    }
    auto channel = desc->io_channel();
    if (!channel) {
        co_return 1;
    }
    Shared shared{&*desc, &*channel, count, 0, desc->bdev().size_bytes() / kIoSize};
    std::vector<spdkcpp::Task<int>> readers;
    for (uint32_t i = 0; i < depth; ++i) {
        readers.push_back(bare ? reader<true>(shared) : reader<false>(shared));
    }
    co_await spdkcpp::when_all(std::move(readers));
    fmt::print("io_loop_cpp: {} reads\n", shared.submitted);
    co_return shared.failed ? 1 : 0;
}

}  // namespace

int main(int argc, char **argv) {
    const bool bare = argc == 4 && std::string(argv[3]) == "bare";
    if (argc != 3 && !bare) {
        fmt::print(stderr, "usage: {} COUNT DEPTH [bare]\n", argv[0]);
        return 1;
    }
    const uint64_t count = std::strtoull(argv[1], nullptr, 10);
    const auto depth = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10));
    if (count == 0 || depth == 0) {
        fmt::print(stderr, "COUNT and DEPTH must be positive\n");
        return 1;
    }
    spdkcpp::AppOptions options;
    options.name = "io_loop_cpp";
    options.json_config = R"({"subsystems":[{"subsystem":"bdev","config":[{"method":)"
                          R"("bdev_malloc_create","params":{"name":"Malloc0",)"
                          R"("num_blocks":16384,"block_size":512}}]}]})";
    options.no_huge = true;
    options.mem_size_mb = 512;             // SPDK needs a size without hugepages
    options.disable_cpumask_locks = true;  // ctest runs several at once: no core locks,
    options.no_rpc_server = true;          // and no RPC socket to share
    spdkcpp::App app(std::move(options));
    return app.run(run(count, depth, bare));
}
