#include "common.hpp"

// Completing must consume the I/O: std::move(io).complete().
void g(spdkcpp::BdevIo<GoodOps> &io) {
    io.complete();
}
