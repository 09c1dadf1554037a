#include "report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>

#include "spdkcpp/clock.hpp"

namespace perf {

namespace {

Summary figures(const JobResult &r, double seconds) {
    using spdkcpp::Clock;
    Summary s;
    s.ios = r.ios;
    s.queue_depth = r.queue_depth;
    s.reads = r.reads;
    s.writes = r.writes;
    s.iops = seconds > 0 ? static_cast<double>(r.ios) / seconds : 0;
    s.mibps = seconds > 0 ? static_cast<double>(r.bytes) / seconds / (1024.0 * 1024.0) : 0;
    s.avg_lat_us = Clock::to_us(static_cast<uint64_t>(r.latency.mean()));
    s.min_lat_us = Clock::to_us(r.latency.min());
    s.max_lat_us = Clock::to_us(r.latency.max());
    s.p50_us = Clock::to_us(r.latency.percentile(0.50));
    s.p99_us = Clock::to_us(r.latency.percentile(0.99));
    s.p999_us = Clock::to_us(r.latency.percentile(0.999));
    s.errors = r.errors;
    s.mismatches = r.mismatches;
    s.timeouts = r.timeouts;
    return s;
}

// bdevperf's percentages for -l.
constexpr double kCutoffs[] = {0.01, 0.10,  0.25,  0.50,   0.75,    0.90,     0.95,     0.98,
                               0.99, 0.995, 0.999, 0.9999, 0.99999, 0.999999, 0.9999999};

// Each of bdevperf's percentages with the upper bound, in us, of the bucket in
// which the cumulative share of the I/Os first reaches it.
std::vector<std::pair<double, double>> cutoffs(const LatencyHistogram &h) {
    std::vector<std::pair<double, double>> out;
    const uint64_t total = h.count();
    if (total == 0) {
        return out;
    }
    const double *cutoff = std::begin(kCutoffs);
    uint64_t so_far = 0;
    h.for_each_bucket([&](uint64_t, uint64_t high, uint64_t count) {
        so_far += count;
        const double reached = static_cast<double>(so_far) / static_cast<double>(total);
        for (; cutoff != std::end(kCutoffs) && reached >= *cutoff; ++cutoff) {
            out.emplace_back(*cutoff * 100, spdkcpp::Clock::to_us(std::min(high, h.max())));
        }
    });
    return out;
}

}  // namespace

Summary summarize(const Job &job, const JobResult &r) {
    Summary s = figures(r, r.seconds);
    s.name = job.name();
    s.bdev = job.bdev();
    s.workload = job.options().workload_name;
    s.io_size = job.options().io_size;
    s.core = static_cast<int>(job.core());
    s.seconds = r.seconds;
    s.read_percent = job.options().read_percent;
    if (const uint32_t level = job.options().latency_level; level > 0) {
        s.latency_cutoffs = cutoffs(r.latency);
        s.latency_text = latency_report(r.latency, level);
    }
    return s;
}

Summary summarize_total(const JobResult &all, double seconds) {
    Summary s = figures(all, seconds);
    s.name = "Total";
    return s;
}

std::string latency_report(const LatencyHistogram &h, uint32_t level) {
    using spdkcpp::Clock;
    std::string out;
    const uint64_t total = h.count();
    if (total == 0 || level == 0) {
        return out;
    }
    for (const auto &[percent, us] : cutoffs(h)) {
        out += fmt::format("{:9.5f}% : {:9.3f}us\n", percent, us);
    }
    if (level < 2) {
        return out;
    }
    out += "   Range in us     Cumulative    IO count\n";
    uint64_t so_far = 0;
    h.for_each_bucket([&](uint64_t low, uint64_t high, uint64_t count) {
        so_far += count;
        out += fmt::format("{:9.3f} - {:9.3f}: {:9.4f}%  ({:9})\n", Clock::to_us(low),
                           Clock::to_us(high),
                           static_cast<double>(so_far) * 100 / static_cast<double>(total), count);
    });
    return out;
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
    if (options.job_sections.empty()) {
        fmt::print("\nworkload {}, queue depth {}, I/O size {}, {} s\n", options.workload_name,
                   depth, options.io_size, options.seconds);
    } else {
        fmt::print("\njobs of {}, {} s\n", options.job_file, options.seconds);
        for (const Summary &s : jobs) {
            fmt::print("  {}: {} on core {}, {}, queue depth {}, I/O size {}\n", s.name, s.bdev,
                       s.core, s.workload, s.queue_depth, s.io_size);
        }
    }
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
    for (const Summary &s : jobs) {
        if (!s.latency_text.empty()) {
            fmt::print("\nLatency summary: job {} ({} on core {})\n{}", s.name, s.bdev, s.core,
                       s.latency_text);
        }
    }
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
            {"mismatches", s.mismatches},
            {"io_timeout", s.timeouts}};
}

}  // namespace

std::string to_json(const Options &options, const std::vector<Summary> &jobs,
                    const Summary &total) {
    nlohmann::json doc = fields(total);
    if (options.job_sections.empty()) {
        doc["workload"] = options.workload_name;
        doc["queue_depth"] = options.queue_depth;  // -q; each job's is the depth it ran at
        doc["io_size"] = options.io_size;
    } else {
        doc["job_file"] = options.job_file;
    }
    doc["seconds"] = options.seconds;
    doc["jobs"] = nlohmann::json::array();
    for (const Summary &s : jobs) {
        nlohmann::json j = fields(s);
        j["job"] = s.name;
        j["bdev"] = s.bdev;
        j["core"] = s.core;
        j["workload"] = s.workload;
        j["io_size"] = s.io_size;
        if (!s.latency_cutoffs.empty()) {
            nlohmann::json latency = nlohmann::json::array();
            for (const auto &[percent, us] : s.latency_cutoffs) {
                latency.push_back({{"percent", percent}, {"us", us}});
            }
            j["latency_summary"] = std::move(latency);
        }
        doc["jobs"].push_back(j);
    }
    return doc.dump(2);
}

void write_bdevperf_result(spdkcpp::JsonWriter &w, const Summary &s) {
    w.named("job", s.name);
    w.named("core_mask", fmt::format("0x{:x}", uint64_t{1} << s.core));
    w.named("workload", s.workload);
    if (const auto workload = workload_named(s.workload); workload && is_mixed(*workload)) {
        w.named("percentage", s.read_percent);
    }
    w.named("status", s.status);
    w.named("queue_depth", s.queue_depth);
    w.named("io_size", s.io_size);
    w.named("runtime", s.seconds);
    w.named("iops", s.iops);
    w.named("mibps", s.mibps);
    w.named("io_failed", s.errors);
    w.named("io_timeout", s.timeouts);
    w.named("avg_latency_us", s.avg_lat_us);
    w.named("min_latency_us", s.min_lat_us);
    w.named("max_latency_us", s.max_lat_us);
}

}  // namespace perf
