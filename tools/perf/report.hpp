// spdkcpp-perf's results: a table like bdevperf's, or one JSON document.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "job.hpp"
#include "options.hpp"
#include "spdkcpp/json_writer.hpp"

namespace perf {

struct Summary {
    std::string name;          // the job's (its bdev's on the command line), or "Total"
    std::string bdev;          // empty for the total
    std::string workload;      // empty for the total
    uint64_t io_size = 0;      // 0 for the total
    int core = -1;             // -1 for the total
    uint32_t queue_depth = 0;  // as run (a job's)
    uint64_t ios = 0;
    uint64_t reads = 0;
    uint64_t writes = 0;
    double iops = 0;
    double mibps = 0;
    double avg_lat_us = 0;
    double min_lat_us = 0;
    double max_lat_us = 0;
    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    uint64_t errors = 0;
    uint64_t mismatches = 0;
    uint64_t timeouts = 0;
    // -l: bdevperf's percentages of the I/Os, each with the latency (us) they
    // completed under.
    std::vector<std::pair<double, double>> latency_cutoffs;
    std::string latency_text;   // -l's lines for the table (-ll: the histogram too)
    double seconds = 0;         // the job's run time
    uint32_t read_percent = 0;  // of rw and randrw
    std::string status;         // finished, failed (stopped at an error), terminated (a signal)
};

// A job's figures (r.bytes, over `seconds`, gives the MiB/s).
Summary summarize(const Job &job, const JobResult &r);
Summary summarize_total(const JobResult &all, double seconds);

void print_table(const Options &options, const std::vector<Summary> &jobs, const Summary &total);
std::string to_json(const Options &options, const std::vector<Summary> &jobs, const Summary &total);

// One job's members in perform_tests' result, as bdevperf writes them (inside an
// object the caller opens).
void write_bdevperf_result(spdkcpp::JsonWriter &w, const Summary &s);

// bdevperf's -l: the latency under which each of bdevperf's percentages of a job's
// I/Os completed, a line each ("  99.00000% :    12.345us"); with level 2 (-ll)
// the histogram's buckets too ("  10.000 -   10.250:  45.1234%  (     1234)",
// cumulative).
std::string latency_report(const LatencyHistogram &h, uint32_t level);

}  // namespace perf
