// spdkcpp-perf's command line: bdevperf's flags, validated, and the SPDK JSON
// config the run starts from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "job_file.hpp"
#include "spdkcpp/error.hpp"
#include "workload.hpp"

namespace perf {

// bdevperf takes -t below INT_MAX seconds; so do we (the deadline in ticks then
// fits in 64 bits at any tick rate up to 8 GHz).
inline constexpr double kMaxSeconds = 2147483646;

// A test's parameters as given: on the command line, or by perform_tests' params
// over the command line's (-z).
struct TestArgs {
    std::optional<uint32_t> queue_depth;
    std::optional<std::string> io_size;
    std::optional<std::string> workload;
    std::optional<uint32_t> read_percent;
    std::optional<double> seconds;
};

struct Options {
    uint32_t queue_depth = 0;
    uint64_t io_size = 0;
    Workload workload = Workload::RandRead;
    std::string workload_name;
    uint32_t read_percent = 50;  // for rw and randrw
    double seconds = 0;
    std::string core_mask = "0x1";
    std::string config_file;
    std::vector<std::string> bdevs;  // empty: every bdev
    std::optional<uint64_t> malloc_bytes;
    uint32_t malloc_block_size = 512;
    bool json = false;
    // bdevperf's -S: results every this many seconds, one line each (0: a
    // progress line rewritten each second on stderr).
    uint32_t show_period = 0;
    // bdevperf's -f: I/O errors are counted and the run goes on (and does not fail);
    // without it the first failed I/O stops every job and fails the run.
    bool continue_on_failure = false;
    // bdevperf's -k: I/O outstanding this many seconds are counted as timed out
    // (0: not watched). A job whose I/O are still stuck this long after its run
    // time resets its bdev to get them back (bdevperf would wait for ever).
    uint32_t timeout_seconds = 0;
    bool no_huge = false;                // SPDK's --no-huge
    std::optional<int> mem_size_mb;      // SPDK's -s
    bool disable_cpumask_locks = false;  // SPDK's --disable-cpumask-locks
    std::string rpc_addr;                // SPDK's -r
    bool no_rpc_server = false;          // SPDK's --no-rpc-server
    uint64_t seed = 0x5eed;
    // bdevperf's -F: random offsets Zipf-distributed with this theta, in [0, 1).
    std::optional<double> zipf_theta;
    // bdevperf's -l: after the results, each job's latency at bdevperf's
    // percentiles (1), and its whole histogram too (2, -ll).
    uint32_t latency_level = 0;
    // bdevperf's -j: the job file, and its jobs (the command line's jobs when empty).
    std::string job_file;
    std::vector<JobSection> job_sections;
    // bdevperf's -z: run the tests when the perform_tests RPC asks, as often as asked.
    bool wait_for_tests = false;
    TestArgs test_args;                 // as given on the command line
    std::vector<std::string> warnings;  // for the caller to print (bdevperf's "Ignoring -M")

    [[nodiscard]] bool random() const noexcept;
    [[nodiscard]] bool reads_only() const noexcept;
    // The SPDK JSON config to start with: the -c file with a malloc bdev added
    // for --malloc (nothing when neither is given).
    [[nodiscard]] spdkcpp::Result<std::string> json_config() const;
};

// Sets o's test parameters (workload, depth, size, read percentage, run time and,
// with -j, the jobs) from args, checked; require: -t, and -q -o -w without -j, must
// be there.
spdkcpp::Result<void> apply_test_args(Options &o, const TestArgs &args, bool require);

// Parses argv. On error or --help the message is in the error's context and the
// caller prints it (kind Cancelled for --help).
spdkcpp::Result<Options> parse(int argc, char **argv);

// "4096", "4k", "256M", "1G" (binary multiples).
spdkcpp::Result<uint64_t> parse_size(const std::string &text);

}  // namespace perf
