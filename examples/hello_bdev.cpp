// hello_bdev: the C++ counterpart of SPDK's hello_bdev example. Opens a bdev,
// writes "Hello World!" to its first block, reads it back and prints it.
//
//   hello_bdev -c bdev.json -b Malloc0
#include <spdkcpp/app.hpp>
#include <spdkcpp/bdev_desc.hpp>
#include <spdkcpp/dma_buf.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

spdkcpp::Task<spdkcpp::Result<void>> hello(std::string bdev_name) {
    using spdkcpp::fail;
    auto desc = spdkcpp::BdevDesc::open(bdev_name, spdkcpp::OpenMode::ReadWrite);
    if (!desc) {
        co_return fail(desc.error());
    }
    auto channel = desc->io_channel();
    if (!channel) {
        co_return fail(channel.error());
    }
    const spdkcpp::Bdev bdev = desc->bdev();
    auto buf = spdkcpp::DmaBuf::alloc_zeroed(bdev.block_size(), bdev.buf_align());
    if (!buf) {
        co_return fail(buf.error());
    }
    constexpr std::string_view kMessage = "Hello World!\n";
    std::memcpy(buf->data(), kMessage.data(), kMessage.size());

    fmt::print("hello_bdev: writing to bdev {}\n", bdev.name());
    if (auto written = co_await desc->write(*channel, *buf, 0); !written) {
        co_return fail(written.error());
    }
    buf->fill(std::byte{0});
    if (auto read = co_await desc->read(*channel, *buf, 0); !read) {
        co_return fail(read.error());
    }
    fmt::print("hello_bdev: read string from bdev: {}",
               std::string_view(reinterpret_cast<const char *>(buf->data())));
    co_return spdkcpp::Result<void>{};
}

}  // namespace

int main(int argc, char **argv) {
    std::string bdev_name = "Malloc0";
    auto app = spdkcpp::App::from_args(
        argc, argv, "hello_bdev",
        {{'b', "<bdev>", "name of the bdev to use (Malloc0)", [&](std::string_view value) {
              bdev_name = value;
              return spdkcpp::Result<void>{};
          }}});
    if (!app) {
        return app.error() == spdkcpp::ErrorKind::Cancelled ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    return (*app)->run(hello(bdev_name));
}
