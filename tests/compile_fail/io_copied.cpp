#include "common.hpp"

// An I/O cannot be copied (it would be completed twice).
void g(spdkcpp::BdevIo<GoodOps> &io) {
    spdkcpp::BdevIo<GoodOps> copy = io;
    (void)copy;
}
