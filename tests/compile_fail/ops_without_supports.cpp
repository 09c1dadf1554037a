#include "common.hpp"

struct NoSupports {
    struct Channel {
        explicit Channel(NoSupports &) {}
    };
    void submit(Channel &, spdkcpp::BdevIo<NoSupports> io) { std::move(io).complete(); }
};

spdkcpp::BdevModule<NoHooks, NoSupports> module{"cf"};

auto f() {
    return module.bdev<NoSupports>()
        .name("x")
        .product_name("y")
        .block_size(512)
        .block_count(8)
        .build();
}
