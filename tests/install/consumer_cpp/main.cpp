// Built against an installed spdkcpp with find_package(spdkcpp).
#include <spdkcpp/dma_buf.hpp>
#include <spdkcpp/env.hpp>
#include <spdkcpp/io_vec.hpp>

int main() {
    auto env = spdkcpp::Env::init({.name = "consumer_cpp", .mem_size_mb = 64});
    if (!env) {
        fmt::print(stderr, "{}\n", env.error());
        return 1;
    }
    auto buf = spdkcpp::DmaBuf::alloc_zeroed(4096, 4096);
    if (!buf) {
        fmt::print(stderr, "{}\n", buf.error());
        return 1;
    }
    const spdkcpp::IoVec view(*buf);
    return view.size() == 4096 && !spdkcpp::DmaBuf::alloc(0) ? 0 : 2;
}
