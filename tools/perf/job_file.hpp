// bdevperf's job file (-j): an INI file whose every section but [global] is a job.
//
//   [global]
//   bs=4096
//   iodepth=32
//   [reads]
//   filename=Malloc0
//   rw=randread
//   cpumask=0x1
//
// Keys: filename (bdevs, separated by ':'), cpumask, rw (a -w workload), bs (bytes;
// k/m/g suffixes too), iodepth, rwmixread (0-100, 50 by default), offset and length
// (in blocks of the bdev; length 0, the default, is the whole bdev). A [global]
// section sets the defaults of the sections after it, and the command line's -T,
// -o, -q, -M and -w override every [global], as bdevperf's. Lines starting with '#'
// are comments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spdkcpp/error.hpp"
#include "workload.hpp"

namespace perf {

struct JobSection {
    std::string name;
    std::vector<std::string> bdevs;
    std::string cpumask;  // empty: every core of -m
    Workload workload = Workload::RandRead;
    std::string workload_name;
    uint32_t read_percent = 50;
    uint64_t io_size = 0;
    uint32_t queue_depth = 0;
    uint64_t offset_blocks = 0;
    uint64_t length_blocks = 0;  // 0: the whole bdev
};

// What the command line gives, to override every [global] section.
struct JobDefaults {
    std::vector<std::string> bdevs;
    std::optional<uint64_t> io_size;
    std::optional<uint32_t> queue_depth;
    std::optional<uint32_t> read_percent;
    std::optional<std::string> workload;
};

// The jobs of a job file's text (`name` for messages); warnings (unknown keys, an
// offset without a length) are appended to `warnings`.
spdkcpp::Result<std::vector<JobSection>> parse_job_file(const std::string &text,
                                                        const std::string &name,
                                                        const JobDefaults &cli,
                                                        std::vector<std::string> &warnings);

}  // namespace perf
