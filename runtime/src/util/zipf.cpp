// spdk/zipf.h: the rejection-free method of Gray et al., "Quickly Generating
// Billion-Record Synthetic Databases" (SIGMOD 1994), as YCSB uses it. Creation sums
// the zeta function over the range; beyond kExactTerms terms the rest of the sum is
// the integral of x^-theta with the trapezoid correction, which is exact to well
// below a draw's resolution and keeps creation fast for ranges of billions.
#include <cmath>
#include <cstdint>
#include <new>

#include "spdk/zipf.h"

struct spdk_zipf {
    uint64_t range;
    double alpha;  // 1 / (1 - theta)
    double zetan;  // zeta(range, theta)
    double eta;
    double half_pow_theta;  // 0.5^theta: where the draw of value 1 ends
    uint64_t state;         // splitmix64
};

namespace {

constexpr uint64_t kExactTerms = 1 << 20;

double zeta(uint64_t n, double theta) {
    const uint64_t exact = n < kExactTerms ? n : kExactTerms;
    double sum = 0;
    for (uint64_t i = 1; i <= exact; ++i) {
        sum += std::pow(static_cast<double>(i), -theta);
    }
    if (n > exact) {
        // sum_{i=m+1}^{n} i^-t ~ integral_m^n x^-t dx + (n^-t - m^-t) / 2
        const auto m = static_cast<double>(exact);
        const auto x = static_cast<double>(n);
        sum += (std::pow(x, 1 - theta) - std::pow(m, 1 - theta)) / (1 - theta) +
               (std::pow(x, -theta) - std::pow(m, -theta)) / 2;
    }
    return sum;
}

// A uniform double in [0, 1).
double uniform(spdk_zipf *z) {
    uint64_t v = (z->state += 0x9e3779b97f4a7c15ULL);
    v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
    v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
    v ^= v >> 31;
    return static_cast<double>(v >> 11) * 0x1.0p-53;
}

}  // namespace

extern "C" {

struct spdk_zipf *spdk_zipf_create(uint64_t range, double theta, uint32_t seed) {
    if (range == 0 || !(theta >= 0 && theta < 1)) {
        return nullptr;
    }
    auto *z = new (std::nothrow) spdk_zipf{};
    if (z == nullptr) {
        return nullptr;
    }
    const auto n = static_cast<double>(range);
    z->range = range;
    z->alpha = 1 / (1 - theta);
    z->zetan = zeta(range, theta);
    const double zeta2 = zeta(2, theta);
    z->eta = (1 - std::pow(2 / n, 1 - theta)) / (1 - zeta2 / z->zetan);
    z->half_pow_theta = std::pow(0.5, theta);
    z->state = seed;
    return z;
}

void spdk_zipf_free(struct spdk_zipf **zipfp) {
    if (zipfp != nullptr) {
        delete *zipfp;
        *zipfp = nullptr;
    }
}

uint64_t spdk_zipf_generate(struct spdk_zipf *z) {
    const double u = uniform(z);
    const double uz = u * z->zetan;
    if (uz < 1) {
        return 0;
    }
    if (uz < 1 + z->half_pow_theta) {
        return 1;
    }
    const auto v = static_cast<uint64_t>(static_cast<double>(z->range) *
                                         std::pow(z->eta * u - z->eta + 1, z->alpha));
    return v < z->range ? v : z->range - 1;
}

}  // extern "C"
