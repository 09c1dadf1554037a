#include "spdkcpp/dma_buf.hpp"

// A view of the buffer inside a temporary Result would dangle at the `;`.
auto f() {
    return spdkcpp::DmaBuf::alloc(64)->bytes();
}
