#include "common.hpp"

struct NoSubmit {
    struct Channel {
        explicit Channel(NoSubmit &) {}
    };
    bool supports(spdkcpp::IoType) const { return true; }
};

spdkcpp::BdevModule<NoHooks, NoSubmit> module{"cf"};

auto f() {
    return module.bdev<NoSubmit>()
        .name("x")
        .product_name("y")
        .block_size(512)
        .block_count(8)
        .build();
}
