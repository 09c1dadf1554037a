#include <vector>

#include "spdkcpp/bdev_desc.hpp"

// A temporary container of iovecs could be destroyed before the I/O that uses it.
auto f(spdkcpp::BdevDesc &desc, spdkcpp::BdevChannel &ch, spdkcpp::DmaBuf &buf) {
    return desc.readv(ch, std::vector<spdkcpp::IoVec>{spdkcpp::IoVec(buf)}, 0);
}
