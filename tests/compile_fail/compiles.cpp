#include <chrono>

#include "common.hpp"
#include "spdkcpp/bdev_desc.hpp"

// The control: the same declarations, used correctly, compile.
spdkcpp::BdevModule<NoHooks, GoodOps> module{"cf"};

auto f() {
    return module.bdev<GoodOps>()
        .name("x")
        .product_name("y")
        .block_size(512)
        .block_count(8)
        .build();
}
void g(spdkcpp::BdevIo<GoodOps> io) {
    std::move(io).complete();
}
spdkcpp::Result<void> h(spdkcpp::BdevDesc &desc) {
    return desc.set_timeout(std::chrono::seconds(1), [](const spdkcpp::TimedOutIo &) {});
}
