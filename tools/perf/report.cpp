#include "report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "spdkcpp/clock.hpp"

namespace perf {

Summary summarize(const std::string &name, int core, const JobResult &r, uint64_t io_size,
                  double seconds) {
    using spdkcpp::Clock;
    Summary s;
    s.name = name;
    s.core = core;
    s.ios = r.ios;
    s.queue_depth = r.queue_depth;
    s.reads = r.reads;
    s.writes = r.writes;
    s.iops = seconds > 0 ? static_cast<double>(r.ios) / seconds : 0;
    s.mibps = s.iops * static_cast<double>(io_size) / (1024.0 * 1024.0);
    s.avg_lat_us = Clock::to_us(static_cast<uint64_t>(r.latency.mean()));
    s.min_lat_us = Clock::to_us(r.latency.min());
    s.max_lat_us = Clock::to_us(r.latency.max());
    s.p50_us = Clock::to_us(r.latency.percentile(0.50));
    s.p99_us = Clock::to_us(r.latency.percentile(0.99));
    s.p999_us = Clock::to_us(r.latency.percentile(0.999));
    s.errors = r.errors;
    s.mismatches = r.mismatches;
    return s;
}

void print_table(const Options &options, const std::vector<Summary> &jobs, const Summary &total) {
    // The depth the jobs ran at, which a small bdev cuts below -q.
    uint32_t low = options.queue_depth;
    uint32_t high = 0;
    for (const Summary &s : jobs) {
        low = std::min(low, s.queue_depth);
        high = std::max(high, s.queue_depth);
    }
    std::string depth = std::to_string(options.queue_depth);
    if (!jobs.empty() && (low != options.queue_depth || high != options.queue_depth)) {
        depth = (low == high ? std::to_string(low) : fmt::format("{}-{}", low, high)) +
                fmt::format(" (-q {} cut to the bdev's room)", options.queue_depth);
    }
    fmt::print("\nworkload {}, queue depth {}, I/O size {}, {} s\n", options.workload_name, depth,
               options.io_size, options.seconds);
    fmt::print(
        "{:>16} {:>5} {:>12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>10}\n",
        "Job", "Core", "IOPS", "MiB/s", "Avg(us)", "Min(us)", "p50(us)", "p99(us)", "p99.9(us)",
        "Max(us)", "Errors", "Mismatch");
    auto row = [](const Summary &s) {
        fmt::print(
            "{:>16} {:>5} {:>12.1f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} "
            "{:>10.2f} {:>8} {:>10}\n",
            s.name, s.core < 0 ? std::string() : std::to_string(s.core), s.iops, s.mibps,
            s.avg_lat_us, s.min_lat_us, s.p50_us, s.p99_us, s.p999_us, s.max_lat_us, s.errors,
            s.mismatches);
    };
    for (const Summary &s : jobs) {
        row(s);
    }
    fmt::print("{:-<134}\n", "");
    row(total);
}

namespace {

nlohmann::json fields(const Summary &s) {
    return {{"ios", s.ios},
            {"queue_depth", s.queue_depth},
            {"reads", s.reads},
            {"writes", s.writes},
            {"iops", s.iops},
            {"mibps", s.mibps},
            {"avg_lat_us", s.avg_lat_us},
            {"min_lat_us", s.min_lat_us},
            {"max_lat_us", s.max_lat_us},
            {"p50_us", s.p50_us},
            {"p99_us", s.p99_us},
            {"p999_us", s.p999_us},
            {"errors", s.errors},
            {"mismatches", s.mismatches}};
}

}  // namespace

std::string to_json(const Options &options, const std::vector<Summary> &jobs,
                    const Summary &total) {
    nlohmann::json doc = fields(total);
    doc["workload"] = options.workload_name;
    doc["queue_depth"] = options.queue_depth;  // -q; each job's is the depth it ran at
    doc["io_size"] = options.io_size;
    doc["seconds"] = options.seconds;
    doc["jobs"] = nlohmann::json::array();
    for (const Summary &s : jobs) {
        nlohmann::json j = fields(s);
        j["bdev"] = s.name;
        j["core"] = s.core;
        doc["jobs"].push_back(j);
    }
    return doc.dump(2);
}

}  // namespace perf
