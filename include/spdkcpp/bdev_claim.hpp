// BdevClaim: a module's claim on a bdev (SPDK's exclusive-write claim), released
// when the owner is dropped.
//
// A virtual bdev claims its base so that nobody else writes to it underneath:
// other descriptors may still read. A second claim on the same bdev is refused with
// Busy. Take the claim through the descriptor you opened the base with, and keep
// the claim no longer than the descriptor (declare it after the descriptor, so
// that it is released first). Release happens on the claiming thread.
#pragma once

#include <string>
#include <utility>

#include "spdk/bdev_module.h"
#include "spdk/thread.h"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/thread.hpp"

namespace spdkcpp {

class BdevClaim {
  public:
    BdevClaim() noexcept = default;
    BdevClaim(const BdevClaim &) = delete;
    BdevClaim &operator=(const BdevClaim &) = delete;
    BdevClaim(BdevClaim &&other) noexcept
        : bdev_(std::exchange(other.bdev_, nullptr)), thread_(other.thread_) {}
    BdevClaim &operator=(BdevClaim &&other) noexcept {
        if (this != &other) {
            reset();
            bdev_ = std::exchange(other.bdev_, nullptr);
            thread_ = other.thread_;
        }
        return *this;
    }
    ~BdevClaim() { reset(); }

    // Claims desc's bdev for the module claimant (BdevModule::raw()); desc becomes
    // the writer.
    static Result<BdevClaim> exclusive_write(const BdevDesc &desc, spdk_bdev_module *claimant) {
        if (!desc) {
            return fail(ErrorKind::Closed, "a claim is taken through an open descriptor");
        }
        spdk_bdev *bdev = desc.bdev().raw();
        const int rc = spdk_bdev_module_claim_bdev(bdev, desc.raw(), claimant);
        if (rc == -EPERM) {
            return fail(Error(ErrorKind::Busy, EBUSY,
                              "bdev '" + std::string(desc.bdev().name()) + "' is already claimed"));
        }
        if (rc != 0) {
            return fail(Error::from_errno(
                rc, "cannot claim bdev '" + std::string(desc.bdev().name()) + "'"));
        }
        return BdevClaim(bdev, spdk_get_thread());
    }

    [[nodiscard]] explicit operator bool() const noexcept { return bdev_ != nullptr; }
    [[nodiscard]] Bdev bdev() const noexcept { return Bdev(bdev_); }

  private:
    BdevClaim(spdk_bdev *bdev, spdk_thread *thread) noexcept : bdev_(bdev), thread_(thread) {}

    void reset() noexcept {
        if (spdk_bdev *bdev = std::exchange(bdev_, nullptr)) {
            detail::release_on(
                thread_,
                [](void *b) { spdk_bdev_module_release_bdev(static_cast<spdk_bdev *>(b)); }, bdev,
                "bdev claim");
        }
    }

    spdk_bdev *bdev_ = nullptr;
    spdk_thread *thread_ = nullptr;
};

}  // namespace spdkcpp
