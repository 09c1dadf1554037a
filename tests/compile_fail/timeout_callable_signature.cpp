#include <chrono>

#include "spdkcpp/bdev_desc.hpp"

// An I/O timeout's callable is given a const TimedOutIo &.
auto f(spdkcpp::BdevDesc &desc) {
    return desc.set_timeout(std::chrono::seconds(1), [](int) {});
}
