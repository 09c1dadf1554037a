// spdkcpp-perf's results: a table like bdevperf's, or one JSON document.
#pragma once

#include <string>
#include <vector>

#include "job.hpp"
#include "options.hpp"

namespace perf {

struct Summary {
    std::string name;          // bdev, or "Total"
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
};

Summary summarize(const std::string &name, int core, const JobResult &r, uint64_t io_size,
                  double seconds);

void print_table(const Options &options, const std::vector<Summary> &jobs, const Summary &total);
std::string to_json(const Options &options, const std::vector<Summary> &jobs, const Summary &total);

}  // namespace perf
