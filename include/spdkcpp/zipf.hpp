// Zipf: the RAII owner of SPDK's Zipf-distributed generator (spdk/zipf.h), for
// workloads where a few offsets are hot (bdevperf's -F). Values fall in
// [0, range); value k comes with a probability that falls as 1 / (k + 1)^theta.
// One generator belongs to one user at a time (it keeps state): use it from one
// spdk_thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "spdk/zipf.h"
#include "spdkcpp/error.hpp"

namespace spdkcpp {

class Zipf {
  public:
    Zipf() noexcept = default;
    Zipf(const Zipf &) = delete;
    Zipf &operator=(const Zipf &) = delete;
    Zipf(Zipf &&other) noexcept : zipf_(std::exchange(other.zipf_, nullptr)) {}
    Zipf &operator=(Zipf &&other) noexcept {
        if (this != &other) {
            spdk_zipf_free(&zipf_);
            zipf_ = std::exchange(other.zipf_, nullptr);
        }
        return *this;
    }
    ~Zipf() { spdk_zipf_free(&zipf_); }

    // range > 0 and theta in [0, 1) (0 is uniform). seed: on the embedded runtime
    // the same seed gives the same sequence; SPDK 25.09 takes the argument but seeds
    // its generator itself, so there every generator differs.
    static Result<Zipf> create(uint64_t range, double theta, uint32_t seed = 0) {
        if (range == 0) {
            return fail(ErrorKind::InvalidParameter, "a Zipf range must not be empty");
        }
        if (!(theta >= 0.0 && theta < 1.0)) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("Zipf theta {} is not in [0, 1)", theta));
        }
        spdk_zipf *z = spdk_zipf_create(range, theta, seed);
        if (z == nullptr) {
            return fail(ErrorKind::OutOfMemory, "cannot create a Zipf generator");
        }
        return Zipf(z);
    }

    [[nodiscard]] explicit operator bool() const noexcept { return zipf_ != nullptr; }
    // The next value; the generator must not be empty.
    [[nodiscard]] uint64_t next() noexcept { return spdk_zipf_generate(zipf_); }

  private:
    explicit Zipf(spdk_zipf *z) noexcept : zipf_(z) {}
    spdk_zipf *zipf_ = nullptr;
};

}  // namespace spdkcpp
