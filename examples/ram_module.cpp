// ram_module: a whole bdev module in one file, to copy when you write your own.
// It serves blocks from memory, is created by its own JSON-RPC method from an SPDK
// JSON config, and is then used like any bdev.
//
//   ram_module -c ram.json      (ram.json: {"method": "example_ram_create",
//                                "params": {"name": "Ram0", "num_blocks": 256}})
#include <spdkcpp/app.hpp>
#include <spdkcpp/bdev_desc.hpp>
#include <spdkcpp/bdev_module.hpp>
#include <spdkcpp/rpc.hpp>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace spdkcpp;

// The bdev: what the bdev layer calls, on the thread that submits each I/O.
struct RamOps {
    struct Channel {  // one per thread that uses the bdev; nothing to keep here
        explicit Channel(RamOps &) {}
    };

    explicit RamOps(uint64_t bytes) : data(bytes) {}

    void submit(Channel &, BdevIo<RamOps> io) {
        std::byte *at = data.data() + io.offset_blocks() * io.block_size();
        for (const iovec &v : io.iovs()) {
            if (io.type() == IoType::Read) {
                std::memcpy(v.iov_base, at, v.iov_len);
            } else if (io.type() == IoType::Write) {
                std::memcpy(at, v.iov_base, v.iov_len);
            }
            at += v.iov_len;
        }
        std::move(io).complete();  // exactly once; dropping it would fail the I/O
    }
    bool supports(IoType type) const { return type == IoType::Read || type == IoType::Write; }

    std::vector<std::byte> data;
};

// The module: lives while the bdev subsystem runs, and owns its bdevs.
struct RamModule {
    std::map<std::string, BdevRegistration<RamOps>> bdevs;  // dropped: unregistered
};

BdevModule<RamModule, RamOps> ram_module{"example_ram"};

// Its JSON-RPC method, with typed parameters checked before the handler runs.
struct CreateParams {
    std::string name;
    uint64_t num_blocks = 0;
    std::optional<uint32_t> block_size;
    static constexpr auto fields =
        std::tuple{rpc::required("name", &CreateParams::name),
                   rpc::required("num_blocks", &CreateParams::num_blocks),
                   rpc::optional("block_size", &CreateParams::block_size)};
};

void create(CreateParams p, RpcRequest request) {
    const uint32_t block_size = p.block_size.value_or(512);
    auto bdev = ram_module.bdev<RamOps>()
                    .name(p.name)
                    .product_name("RAM disk")
                    .block_size(block_size)
                    .block_count(p.num_blocks)
                    .build(p.num_blocks * block_size);
    if (!bdev) {
        return std::move(request).error(bdev.error());
    }
    ram_module.get()->bdevs.emplace(p.name, std::move(*bdev));
    std::move(request).result(std::string_view(p.name));
}

const RpcMethod<CreateParams, &create> create_method{"example_ram_create", SPDK_RPC_RUNTIME};

// The application: writes a pattern through the new bdev and reads it back.
Task<Result<void>> check(std::string name) {
    auto desc = BdevDesc::open(name, OpenMode::ReadWrite);
    if (!desc) {
        co_return fail(desc.error());
    }
    auto channel = desc->io_channel();
    auto out = DmaBuf::alloc(4096, desc->bdev().buf_align());
    auto in = DmaBuf::alloc_zeroed(4096, desc->bdev().buf_align());
    if (!channel || !out || !in) {
        co_return fail(ErrorKind::OutOfMemory, "no channel or buffers");
    }
    out->fill(std::byte{0xab});
    if (auto w = co_await desc->write(*channel, *out, 8192); !w) {
        co_return w;
    }
    if (auto r = co_await desc->read(*channel, *in, 8192); !r) {
        co_return r;
    }
    if (std::memcmp(in->data(), out->data(), 4096) != 0) {
        co_return fail(ErrorKind::IoFailed, "read back other bytes than written");
    }
    fmt::print("ram_module: {} verified 4096 bytes\n", name);
    co_return Result<void>{};
}

}  // namespace

int main(int argc, char **argv) {
    auto app = App::from_args(argc, argv, "ram_module");
    if (!app) {
        return app.error() == ErrorKind::Cancelled ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    return (*app)->run(check("Ram0"));
}
