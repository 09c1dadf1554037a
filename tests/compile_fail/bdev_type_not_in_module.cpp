#include "common.hpp"

struct OtherOps : GoodOps {};

spdkcpp::BdevModule<NoHooks, GoodOps> module{"cf"};

auto f() {
    return module.bdev<OtherOps>();
}
