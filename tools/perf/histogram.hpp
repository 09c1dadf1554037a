// A fixed-memory latency histogram: log-linear buckets (32 per power of two, so
// about 3% resolution) over tick counts. Recording is a few instructions and
// never allocates.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>

namespace perf {

class LatencyHistogram {
  public:
    static constexpr uint32_t kSubBits = 5;
    static constexpr uint32_t kSub = 1U << kSubBits;
    static constexpr uint32_t kBuckets = (64 - kSubBits + 1) * kSub;

    void record(uint64_t ticks) noexcept {
        ++counts_[index(ticks)];
        sum_ += ticks;
        min_ = std::min(min_, ticks);
        max_ = std::max(max_, ticks);
    }

    void merge(const LatencyHistogram &other) noexcept {
        for (uint32_t i = 0; i < kBuckets; ++i) {
            counts_[i] += other.counts_[i];
        }
        sum_ += other.sum_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }

    // The number of samples (summed on demand: recording does not keep it).
    [[nodiscard]] uint64_t count() const noexcept {
        uint64_t n = 0;
        for (const uint64_t c : counts_) {
            n += c;
        }
        return n;
    }
    [[nodiscard]] double mean() const noexcept {
        const uint64_t n = count();
        return n == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(n);
    }
    [[nodiscard]] uint64_t min() const noexcept { return count() == 0 ? 0 : min_; }
    [[nodiscard]] uint64_t max() const noexcept { return max_; }

    // The smallest bucket bound under which a fraction q of the samples fall.
    [[nodiscard]] uint64_t percentile(double q) const noexcept {
        const uint64_t n = count();
        if (n == 0) {
            return 0;
        }
        const auto rank = static_cast<uint64_t>(q * static_cast<double>(n - 1)) + 1;
        uint64_t seen = 0;
        for (uint32_t i = 0; i < kBuckets; ++i) {
            seen += counts_[i];
            if (seen >= rank) {
                return std::min(upper_bound(i), max_);
            }
        }
        return max_;
    }

    // fn(low, high, count) for each bucket that holds samples, in order: its
    // values run from low to high, ticks.
    template <typename F>
    void for_each_bucket(F &&fn) const {
        for (uint32_t i = 0; i < kBuckets; ++i) {
            if (counts_[i] != 0) {
                fn(i == 0 ? 0 : upper_bound(i - 1) + 1, upper_bound(i), counts_[i]);
            }
        }
    }

    static uint32_t index(uint64_t v) noexcept {
        if (v < kSub) {
            return static_cast<uint32_t>(v);
        }
        const auto exponent = static_cast<uint32_t>(63 - std::countl_zero(v));
        const uint32_t shift = exponent - kSubBits;
        const auto sub = static_cast<uint32_t>((v >> shift) & (kSub - 1));
        return (exponent - kSubBits + 1) * kSub + sub;
    }

    // The largest value that falls in bucket i.
    static uint64_t upper_bound(uint32_t i) noexcept {
        if (i < kSub) {
            return i;
        }
        const uint32_t exponent = i / kSub + kSubBits - 1;
        const uint32_t shift = exponent - kSubBits;
        const uint64_t base = (uint64_t{1} << exponent) | (uint64_t{i % kSub} << shift);
        return base + ((uint64_t{1} << shift) - 1);
    }

  private:
    std::array<uint64_t, kBuckets> counts_{};
    uint64_t sum_ = 0;
    uint64_t min_ = std::numeric_limits<uint64_t>::max();
    uint64_t max_ = 0;
};

}  // namespace perf
