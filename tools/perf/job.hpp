// A job: one bdev driven from one core, keeping queue_depth I/Os in flight.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "histogram.hpp"
#include "options.hpp"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/error.hpp"
#include "spdkcpp/task.hpp"
#include "spdkcpp/thread.hpp"
#include "spdkcpp/zipf.hpp"

namespace perf {

struct Mismatch {
    uint64_t offset;
    uint64_t byte;
};

// The first I/O of a job that failed (or, for verify, read back other data).
struct FirstFailure {
    uint64_t offset = 0;
    std::string what;
};

struct JobResult {
    uint64_t ios = 0;
    uint64_t reads = 0;  // of the ios: reads and writes (verify's pass counts one of each)
    uint64_t writes = 0;
    uint64_t bytes = 0;
    uint64_t errors = 0;
    uint64_t mismatches = 0;
    uint64_t timeouts = 0;  // -k: times an I/O was seen outstanding past the timeout
    bool reset = false;     // -k: the job reset its bdev to get stuck I/O back
    double seconds = 0;
    uint32_t queue_depth = 0;  // as run: -q, or less when the job's region has less room
    LatencyHistogram latency;  // in ticks
    std::vector<Mismatch> first_mismatches;
    std::optional<FirstFailure> first_failure;  // what stopped the job, if anything did
};

// The I/O type the workload needs and the bdev does not support ("unmap"), if any.
// Write zeroes counts as supported where writes are: the bdev layer emulates it.
std::optional<std::string_view> unsupported_io(Workload workload, spdkcpp::Bdev bdev) noexcept;

class Job {
  public:
    // options: the run's, with this job's workload, I/O size and depth. name: the
    // job file's section, or the bdev's name for the command line's jobs.
    Job(Options options, std::string name, std::string bdev, uint32_t core, uint64_t region_offset,
        uint64_t region_size, spdkcpp::ThreadRef thread);

    // The depth the job runs at: -q, or the I/Os of io_size its region holds when
    // that is less (each I/O in flight has blocks of its own).
    [[nodiscard]] static uint32_t depth(const Options &options, uint64_t region_size) noexcept {
        return static_cast<uint32_t>(
            std::min<uint64_t>(options.queue_depth, region_size / options.io_size));
    }

    // Runs on the job's thread until the run time is over or stop() is called.
    spdkcpp::Task<spdkcpp::Result<void>> run();

    // From any thread: finish the I/O in flight and end the job.
    void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

    // Called on the job's thread at its first failure that ends the run (an I/O
    // error without -f), to stop the other jobs too, as bdevperf does.
    void on_failure(void (*stop_all)()) noexcept { stop_all_ = stop_all; }

    // Progress so far, readable from any thread while the job runs.
    [[nodiscard]] uint64_t ios_so_far() const noexcept {
        return ios_.load(std::memory_order_relaxed);
    }

    [[nodiscard]] const std::string &name() const noexcept { return name_; }
    [[nodiscard]] const std::string &bdev() const noexcept { return bdev_; }
    [[nodiscard]] const Options &options() const noexcept { return options_; }
    // The job's region of the bdev, in bytes.
    [[nodiscard]] uint64_t region_offset() const noexcept { return region_offset_; }
    [[nodiscard]] uint64_t region_size() const noexcept { return region_size_; }
    [[nodiscard]] uint32_t core() const noexcept { return core_; }
    [[nodiscard]] const JobResult &result() const noexcept { return result_; }

  private:
    struct Slot;
    spdkcpp::Task<int> worker(Slot &slot);
    spdkcpp::Task<int> reclaim_stuck_io(spdkcpp::BdevDesc &desc, spdkcpp::BdevChannel &ch);
    void failed(uint64_t offset, std::string what, bool whole_run);
    [[nodiscard]] bool running(uint64_t now) const noexcept {
        return now < deadline_ && !stop_.load(std::memory_order_relaxed);
    }

    const Options options_;
    std::string name_;
    std::string bdev_;
    uint32_t core_;
    uint64_t region_offset_;
    uint64_t region_size_;
    spdkcpp::ThreadRef thread_;
    uint64_t deadline_ = 0;
    // -F: the job's one generator of offsets over its whole region (its workers
    // share it: they run on the job's thread).
    spdkcpp::Zipf zipf_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> ios_{0};
    uint32_t workers_left_ = 0;
    JobResult result_;
    void (*stop_all_)() = nullptr;
};

}  // namespace perf
