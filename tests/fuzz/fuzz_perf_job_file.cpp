// libFuzzer target: spdkcpp-perf's job file, bdevperf's INI (-j),
// perf::parse_job_file (tools/perf/job_file.cpp). The first byte picks which of the
// command line's overrides apply (-T, -o, -q, -M, -w); the rest is the file's text.
//
// Checked beyond "no crash, no exception": every job that parses has a bdev, a
// known workload, a non-zero size and depth, a read percentage up to 100, and no
// offset without a length; a refusal says why.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "job_file.hpp"
#include "options.hpp"

namespace {

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "fuzz_perf_job_file: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return -1;
    }
    const uint8_t pick = data[0];
    const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
    perf::JobDefaults cli;
    if ((pick & 0x01) != 0) {
        cli.bdevs = {"Malloc0", "Null0"};
    }
    if ((pick & 0x02) != 0) {
        cli.io_size = (pick & 0x20) != 0 ? 0 : 4096;
    }
    if ((pick & 0x04) != 0) {
        cli.queue_depth = (pick & 0x40) != 0 ? 0 : 8;
    }
    if ((pick & 0x08) != 0) {
        cli.read_percent = (pick & 0x80) != 0 ? 101 : 70;
    }
    if ((pick & 0x10) != 0) {
        cli.workload = (pick & 0x20) != 0 ? "nonsense" : "randrw";
    }
    std::vector<std::string> warnings;
    const auto jobs = perf::parse_job_file(text, "fuzz.ini", cli, warnings);
    if (!jobs) {
        if (jobs.error().context().empty()) {
            fail("a refusal without a message");
        }
        return 0;
    }
    if (jobs->empty()) {
        fail("a job file with no job accepted");
    }
    for (const perf::JobSection &job : *jobs) {
        if (job.bdevs.empty() || job.io_size == 0 || job.queue_depth == 0 ||
            job.read_percent > 100) {
            fail("a job out of range");
        }
        for (const std::string &bdev : job.bdevs) {
            if (bdev.empty()) {
                fail("an empty bdev name");
            }
        }
        const auto w = perf::workload_named(job.workload_name);
        if (!w || *w != job.workload) {
            fail("a workload that does not match its name");
        }
        if (job.length_blocks == 0 && job.offset_blocks != 0) {
            fail("an offset without a length");
        }
    }
    return 0;
}
