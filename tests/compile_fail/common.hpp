// Shared by the compile-failure tests: a module with one well-formed bdev type.
#pragma once

#include "spdkcpp/bdev_builder.hpp"
#include "spdkcpp/bdev_module.hpp"

struct GoodOps {
    struct Channel {
        explicit Channel(GoodOps &) {}
    };
    void submit(Channel &, spdkcpp::BdevIo<GoodOps> io) { std::move(io).complete(); }
    bool supports(spdkcpp::IoType) const { return true; }
};

struct NoHooks {};
