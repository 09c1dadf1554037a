#include "common.hpp"

spdkcpp::BdevModule<NoHooks, GoodOps> module{"cf"};

auto f() {
    return module.bdev<GoodOps>().name("x").product_name("y").block_size(512).build();
}
