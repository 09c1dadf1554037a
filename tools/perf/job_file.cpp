#include "job_file.hpp"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <sstream>
#include <string_view>

#include "options.hpp"

namespace perf {

using spdkcpp::ErrorKind;
using spdkcpp::fail;
using spdkcpp::Result;

namespace {

constexpr std::string_view kBlank = " \t\r";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(kBlank);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(kBlank) - first + 1);
}

// One section's keys, with the line each came from.
struct Section {
    std::string name;
    int line = 0;
    std::map<std::string, std::string, std::less<>> values;
};

Result<std::vector<Section>> read_sections(const std::string &text, const std::string &file) {
    std::vector<Section> sections;
    std::istringstream in(text);
    std::string raw;
    for (int number = 1; std::getline(in, raw); ++number) {
        const std::string_view line = trim(raw);
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto where = [&] { return fmt::format("{} line {}", file, number); };
        if (line[0] == '[') {
            if (line.back() != ']' || line.size() < 3) {
                return fail(ErrorKind::InvalidParameter,
                            fmt::format("{}: '{}' is not a [section] header", where(), line));
            }
            sections.push_back({std::string(trim(line.substr(1, line.size() - 2))), number, {}});
            continue;
        }
        if (sections.empty()) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("{}: '{}' comes before any [section]", where(), line));
        }
        // "key=value" or "key value", as SPDK's conf files.
        const auto key_end = line.find_first_of(" \t=");
        const std::string_view key = line.substr(0, key_end);
        std::string_view value;
        if (key_end != std::string_view::npos) {
            value = line.substr(key_end);
            value.remove_prefix(std::min(value.find_first_not_of(" \t="), value.size()));
            value = value.substr(0, value.find_first_of(kBlank));
        }
        if (value.empty()) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("{}: '{}' has no value", where(), key));
        }
        sections.back().values.insert_or_assign(std::string(key), std::string(value));
    }
    return sections;
}

Result<uint64_t> number(const Section &s, std::string_view key, const std::string &text) {
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return fail(ErrorKind::InvalidParameter,
                    fmt::format("job '{}': {}={} is not a whole number", s.name, key, text));
    }
    return v;
}

std::vector<std::string> split_bdevs(const std::string &filename) {
    std::vector<std::string> bdevs;
    std::string_view rest = filename;
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        if (const auto name = trim(rest.substr(0, colon)); !name.empty()) {
            bdevs.emplace_back(name);
        }
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
    return bdevs;
}

// The keys a section may have; the others are reported and ignored, as bdevperf
// ignores them.
bool known(std::string_view key) {
    for (std::string_view k :
         {"filename", "cpumask", "rw", "bs", "iodepth", "rwmixread", "offset", "length"}) {
        if (key == k) {
            return true;
        }
    }
    return false;
}

// The settings of a section still being read: unset until a section, its
// [global] or the command line gives them.
struct Settings {
    std::vector<std::string> bdevs;
    std::string cpumask;
    std::optional<std::string> workload;
    std::optional<uint64_t> io_size;
    std::optional<uint32_t> queue_depth;
    uint32_t read_percent = 50;
    uint64_t offset_blocks = 0;
    uint64_t length_blocks = 0;
};

void apply_cli(Settings &s, const JobDefaults &cli) {
    if (!cli.bdevs.empty()) {
        s.bdevs = cli.bdevs;
    }
    if (cli.io_size) {
        s.io_size = cli.io_size;
    }
    if (cli.queue_depth) {
        s.queue_depth = cli.queue_depth;
    }
    if (cli.read_percent) {
        s.read_percent = *cli.read_percent;
    }
    if (cli.workload) {
        s.workload = cli.workload;
    }
}

// A section's own keys over `s` (its [global]'s settings).
Result<void> read_keys(const Section &section, Settings &s, std::vector<std::string> &warnings) {
    for (const auto &[key, value] : section.values) {
        if (!known(key)) {
            warnings.push_back(
                fmt::format("job '{}': unknown key '{}' ignored", section.name, key));
            continue;
        }
        if (key == "filename") {
            s.bdevs = split_bdevs(value);
        } else if (key == "cpumask") {
            s.cpumask = value;
        } else if (key == "rw") {
            s.workload = value;
        } else if (key == "bs") {
            auto size = parse_size(value);
            if (!size) {
                return fail(ErrorKind::InvalidParameter,
                            fmt::format("job '{}': bs: {}", section.name, size.error().context()));
            }
            s.io_size = *size;
        } else {
            auto v = number(section, key, value);
            if (!v) {
                return fail(v.error());
            }
            if ((key == "iodepth" || key == "rwmixread") && *v > UINT32_MAX) {
                return fail(ErrorKind::InvalidParameter,
                            fmt::format("job '{}': {}={} is too large", section.name, key, *v));
            }
            if (key == "iodepth") {
                s.queue_depth = static_cast<uint32_t>(*v);
            } else if (key == "rwmixread") {
                s.read_percent = static_cast<uint32_t>(*v);
            } else if (key == "offset") {
                s.offset_blocks = *v;
            } else {
                s.length_blocks = *v;
            }
        }
    }
    return {};
}

Result<JobSection> finish(const Section &section, const Settings &s,
                          std::vector<std::string> &warnings) {
    const auto missing = [&](std::string_view key) {
        return fail(ErrorKind::InvalidParameter,
                    fmt::format("job '{}' (line {}) has no '{}'", section.name, section.line, key));
    };
    if (s.bdevs.empty()) {
        return missing("filename");
    }
    if (!s.workload) {
        return missing("rw");
    }
    if (!s.io_size) {
        return missing("bs");
    }
    if (!s.queue_depth) {
        return missing("iodepth");
    }
    JobSection job;
    job.name = section.name;
    job.bdevs = s.bdevs;
    job.cpumask = s.cpumask;
    const auto workload = workload_named(*s.workload);
    if (!workload) {
        return fail(ErrorKind::InvalidParameter,
                    fmt::format("job '{}': unknown rw '{}'", section.name, *s.workload));
    }
    job.workload = *workload;
    job.workload_name = *s.workload;
    if (*s.io_size == 0) {
        return fail(ErrorKind::InvalidParameter,
                    fmt::format("job '{}': bs must be greater than 0", section.name));
    }
    job.io_size = *s.io_size;
    if (*s.queue_depth == 0) {
        return fail(ErrorKind::InvalidParameter,
                    fmt::format("job '{}': iodepth must be greater than 0", section.name));
    }
    job.queue_depth = *s.queue_depth;
    if (s.read_percent > 100) {
        return fail(ErrorKind::InvalidParameter,
                    fmt::format("job '{}': rwmixread is 0 to 100", section.name));
    }
    job.read_percent = s.read_percent;
    job.offset_blocks = s.offset_blocks;
    job.length_blocks = s.length_blocks;
    if (job.length_blocks == 0 && job.offset_blocks != 0) {
        // bdevperf runs such a job over the whole bdev; say so.
        warnings.push_back(fmt::format(
            "job '{}': offset={} without a length is ignored: the job covers the whole bdev",
            section.name, job.offset_blocks));
        job.offset_blocks = 0;
    }
    return job;
}

}  // namespace

Result<std::vector<JobSection>> parse_job_file(const std::string &text, const std::string &name,
                                               const JobDefaults &cli,
                                               std::vector<std::string> &warnings) {
    auto sections = read_sections(text, name);
    if (!sections) {
        return fail(sections.error());
    }
    Settings global_defaults;
    apply_cli(global_defaults, cli);
    Settings global = global_defaults;
    std::vector<JobSection> jobs;
    for (const Section &section : *sections) {
        const bool is_global = section.name == "global";
        Settings s = is_global ? global_defaults : global;
        if (auto r = read_keys(section, s, warnings); !r) {
            return fail(r.error());
        }
        if (is_global) {
            apply_cli(s, cli);
            global = std::move(s);
            continue;
        }
        auto job = finish(section, s, warnings);
        if (!job) {
            return fail(job.error());
        }
        jobs.push_back(std::move(*job));
    }
    if (jobs.empty()) {
        return fail(ErrorKind::InvalidParameter, "job file '" + name + "' has no job");
    }
    return jobs;
}

}  // namespace perf
