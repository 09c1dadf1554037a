#include "options.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace perf {

using spdkcpp::ErrorKind;
using spdkcpp::fail;
using spdkcpp::Result;

namespace {

const std::map<std::string, Workload, std::less<>> kWorkloads = {
    {"randread", Workload::RandRead},
    {"randwrite", Workload::RandWrite},
    {"read", Workload::Read},
    {"write", Workload::Write},
    {"rw", Workload::Rw},
    {"randrw", Workload::RandRw},
    {"verify", Workload::Verify},
    {"write_zeroes", Workload::WriteZeroes},
    {"unmap", Workload::Unmap},
    {"flush", Workload::Flush},
};

}  // namespace

std::optional<Workload> workload_named(std::string_view name) noexcept {
    auto w = kWorkloads.find(name);
    return w == kWorkloads.end() ? std::nullopt : std::optional<Workload>(w->second);
}

bool Options::random() const noexcept {
    return is_random(workload);
}

bool Options::reads_only() const noexcept {
    return perf::reads_only(workload);
}

Result<uint64_t> parse_size(const std::string &text) {
    std::size_t used = 0;
    uint64_t value = 0;
    try {
        if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0])) == 0) {
            throw std::invalid_argument(text);
        }
        value = std::stoull(text, &used);
    } catch (const std::exception &) {
        return fail(ErrorKind::InvalidParameter, "'" + text + "' is not a size");
    }
    std::string suffix = text.substr(used);
    uint32_t shift = 0;
    if (!suffix.empty()) {
        switch (std::tolower(static_cast<unsigned char>(suffix[0]))) {
            case 'k':
                shift = 10;
                break;
            case 'm':
                shift = 20;
                break;
            case 'g':
                shift = 30;
                break;
            default:
                shift = 0;
                break;
        }
        if (shift == 0 || suffix.size() > 2 ||
            (suffix.size() == 2 && std::tolower(static_cast<unsigned char>(suffix[1])) != 'b')) {
            return fail(ErrorKind::InvalidParameter,
                        "'" + text + "': unknown size suffix '" + suffix +
                            "' (sizes take k, m or g, for KiB, MiB, GiB, as SPDK's)");
        }
    }
    if (shift != 0 && value > (UINT64_MAX >> shift)) {
        return fail(ErrorKind::InvalidParameter, "'" + text + "' is too large");
    }
    return value << shift;
}

namespace {

// SPDK's JSON parser refuses containers nested deeper than this; so do we, before
// anything recursive (nlohmann's dump) sees the document.
constexpr int kMaxJsonDepth = 64;

struct TooDeep {};

// what: "config file", "job file".
Result<std::string> read_file(const std::string &path, const std::string &what) {
    const std::string cannot = "cannot read " + what + " '" + path + "'";
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return fail(ErrorKind::InvalidParameter, cannot + ": it is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(ErrorKind::InvalidParameter, cannot);
    }
    std::ostringstream text;
    try {
        text << in.rdbuf();
    } catch (const std::exception &e) {
        return fail(ErrorKind::InvalidParameter, cannot + ": " + e.what());
    }
    if (in.bad()) {
        return fail(ErrorKind::InvalidParameter, cannot);
    }
    return text.str();
}

Result<nlohmann::json> parse_config(const std::string &text, const std::string &name) {
    // Comments are accepted where SPDK accepts them (SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS).
    const auto limit_depth = [](int depth, nlohmann::json::parse_event_t event, nlohmann::json &) {
        if (depth >= kMaxJsonDepth && (event == nlohmann::json::parse_event_t::object_start ||
                                       event == nlohmann::json::parse_event_t::array_start)) {
            throw TooDeep{};
        }
        return true;
    };
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(text, limit_depth, false, true);
    } catch (const TooDeep &) {
        return fail(ErrorKind::InvalidParameter, "config file '" + name + "' nests deeper than " +
                                                     std::to_string(kMaxJsonDepth) +
                                                     " levels (SPDK's limit)");
    }
    if (config.is_discarded() || !config.is_object()) {
        return fail(ErrorKind::InvalidParameter, "config file '" + name + "' is not a JSON object");
    }
    return config;
}

}  // namespace

Result<std::string> Options::json_config() const {
    nlohmann::json config = nlohmann::json::object();
    if (!config_file.empty()) {
        auto text = read_file(config_file, "config file");
        if (!text) {
            return fail(text.error());
        }
        auto parsed = parse_config(*text, config_file);
        if (!parsed) {
            return fail(parsed.error());
        }
        config = std::move(*parsed);
    }
    if (!malloc_bytes) {
        if (config_file.empty()) {
            return std::string();
        }
        return config.dump();
    }
    if (!config.contains("subsystems")) {
        config["subsystems"] = nlohmann::json::array();
    }
    auto &subsystems = config["subsystems"];
    if (!subsystems.is_array()) {
        return fail(ErrorKind::InvalidParameter, "'subsystems' in the config is not an array");
    }
    nlohmann::json *bdev = nullptr;
    for (auto &s : subsystems) {
        if (s.is_object() && s.value("subsystem", "") == "bdev") {
            bdev = &s;
        }
    }
    if (bdev == nullptr) {
        subsystems.push_back({{"subsystem", "bdev"}, {"config", nlohmann::json::array()}});
        bdev = &subsystems.back();
    }
    (*bdev)["config"].push_back({{"method", "bdev_malloc_create"},
                                 {"params",
                                  {{"name", "Malloc0"},
                                   {"num_blocks", *malloc_bytes / malloc_block_size},
                                   {"block_size", malloc_block_size}}}});
    return config.dump();
}

Result<void> apply_test_args(Options &o, const TestArgs &a, bool require) {
    // Without a job file the command line is the job: -q, -o and -w are needed.
    if (require) {
        if (!a.seconds) {
            return fail(ErrorKind::InvalidParameter, "-t is required");
        }
        for (const auto &[given, flag] :
             {std::pair{a.queue_depth.has_value(), "-q"}, std::pair{a.io_size.has_value(), "-o"},
              std::pair{a.workload.has_value(), "-w"}}) {
            if (!given && o.job_file.empty()) {
                return fail(ErrorKind::InvalidParameter,
                            std::string(flag) + " is required (or a job file, -j)");
            }
        }
    }
    if (a.workload) {
        const auto w = workload_named(*a.workload);
        if (!w) {
            return fail(ErrorKind::InvalidParameter, "-w: unknown workload '" + *a.workload + "'");
        }
        o.workload = *w;
        o.workload_name = *a.workload;
    }
    if (a.queue_depth) {
        if (*a.queue_depth == 0) {
            return fail(ErrorKind::InvalidParameter, "-q: the queue depth must be at least 1");
        }
        o.queue_depth = *a.queue_depth;
    }
    if (a.io_size) {
        auto size = parse_size(*a.io_size);
        if (!size || *size == 0) {
            return fail(ErrorKind::InvalidParameter,
                        "-o: " + (size ? std::string("the I/O size must not be 0")
                                       : size.error().context()));
        }
        o.io_size = *size;
    }
    if (a.seconds) {
        o.seconds = *a.seconds;
        if (!(o.seconds > 0) || !std::isfinite(o.seconds) || o.seconds > kMaxSeconds) {
            return fail(
                ErrorKind::InvalidParameter,
                fmt::format("-t: the run time is more than 0 and at most {} seconds", kMaxSeconds));
        }
    }
    if (o.zipf_theta) {
        if (!(*o.zipf_theta >= 0.0 && *o.zipf_theta < 1.0)) {
            return fail(ErrorKind::InvalidParameter, "-F: the Zipf theta is in [0, 1)");
        }
        if (o.job_file.empty() && !o.random()) {
            return fail(ErrorKind::InvalidParameter,
                        "-F: Zipf offsets apply to randread, randwrite and randrw");
        }
    }
    const bool mixed = is_mixed(o.workload) && a.workload.has_value();
    if (a.read_percent) {
        if (*a.read_percent > 100) {
            return fail(ErrorKind::InvalidParameter, "-M: the read percentage is 0 to 100");
        }
        o.read_percent = *a.read_percent;
        if (!mixed && o.job_file.empty()) {
            // bdevperf warns and runs on.
            o.warnings.push_back("ignoring -M: it applies only to rw and randrw");
        }
    } else if (mixed && o.job_file.empty()) {
        return fail(ErrorKind::InvalidParameter, "-M: rw and randrw need a read percentage");
    }
    if (!o.job_file.empty() && o.job_sections.empty()) {
        auto text = read_file(o.job_file, "job file");
        if (!text) {
            return fail(text.error());
        }
        const JobDefaults defaults{o.bdevs, a.io_size ? std::optional(o.io_size) : std::nullopt,
                                   a.queue_depth, a.read_percent, a.workload};
        auto jobs = parse_job_file(*text, o.job_file, defaults, o.warnings);
        if (!jobs) {
            return fail(ErrorKind::InvalidParameter, "-j: " + jobs.error().context());
        }
        o.job_sections = std::move(*jobs);
        for (const JobSection &job : o.job_sections) {
            if (o.zipf_theta && !is_random(job.workload)) {
                return fail(ErrorKind::InvalidParameter,
                            "-F: Zipf offsets apply to randread, randwrite and randrw (job '" +
                                job.name + "' is " + job.workload_name + ")");
            }
        }
    }
    return {};
}

Result<Options> parse(int argc, char **argv) {
    Options o;
    std::optional<uint32_t> queue_depth;
    std::optional<std::string> io_size;
    std::optional<std::string> workload;
    std::string malloc_size;
    std::optional<uint32_t> read_percent;
    std::optional<double> seconds;
    CLI::App cli{"spdkcpp-perf: bdevperf's job, written on the spdkcpp wrappers", "spdkcpp-perf"};
    cli.add_option("-q,--queue-depth", queue_depth, "I/Os in flight per job");
    cli.add_option("-o,--io-size", io_size, "I/O size, with k/m suffixes (4096, 64k)");
    cli.add_option("-w,--workload", workload,
                   "randread|randwrite|read|write|rw|randrw|verify|write_zeroes|unmap|flush");
    cli.add_option("-M,--read-percent", read_percent, "read percentage for rw and randrw");
    cli.add_option("-t,--time", seconds, "run time in seconds");
    cli.add_flag("-z,--wait-for-tests", o.wait_for_tests,
                 "start, then run the tests each time the perform_tests RPC asks (bdevperf's -z; "
                 "its params override -t -w -q -o -M)");
    cli.add_option("-m,--cpumask", o.core_mask, "core mask, as SPDK's -m (0x3, [0-1])");
    cli.add_option("-c,--config", o.config_file, "SPDK JSON config file");
    cli.add_option("-j,--job-file", o.job_file,
                   "bdevperf's job file: INI sections of filename, cpumask, rw, bs, iodepth, "
                   "rwmixread, offset, length ([global] for defaults); -T -o -q -M -w then "
                   "override [global]");
    cli.add_option("-T,-b,--bdev", o.bdevs,
                   "bdev to run on (bdevperf's -T; repeatable; default: every bdev)");
    cli.add_option("-S,--show-period", o.show_period,
                   "print the I/O rate of each period of this many seconds (bdevperf's -S)")
        ->check(CLI::Range(1U, 86400U));
    cli.add_flag("-l", o.latency_level,
                 "after the results, each job's latency at bdevperf's percentiles (-ll: and "
                 "its whole histogram)");
    cli.add_option("--malloc", malloc_size, "create malloc bdev Malloc0 of this size (256M)");
    cli.add_option("--malloc-block-size", o.malloc_block_size, "block size of --malloc's bdev");
    cli.add_option("--seed", o.seed, "seed of the random offsets");
    cli.add_option("-F,--zipf", o.zipf_theta,
                   "Zipf-distributed random offsets with this theta in [0, 1) (bdevperf's -F)");
    cli.add_option("-k,--timeout", o.timeout_seconds,
                   "count I/O outstanding this many seconds as timed out (bdevperf's -k); "
                   "stuck past the run time by as long, they are reclaimed by a bdev reset")
        ->check(CLI::Range(0U, 86400U));
    cli.add_flag("-f,--continue-on-failure", o.continue_on_failure,
                 "go on after failed I/Os (counted); without it the first stops the run");
    cli.add_flag("--json", o.json, "print the results as one JSON document on stdout");
    cli.add_flag("--no-huge", o.no_huge, "run without hugepages (SPDK needs -s with it)");
    cli.add_option("-s,--mem-size", o.mem_size_mb, "DMA memory to reserve, in MiB (SPDK's -s)");
    cli.add_flag("--disable-cpumask-locks", o.disable_cpumask_locks,
                 "share cores with other SPDK apps (no core lock files)");
    cli.add_option("-r,--rpc-socket", o.rpc_addr, "the RPC server's Unix socket (SPDK's -r)");
    cli.add_flag("--no-rpc-server", o.no_rpc_server, "start no RPC server");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp &) {
        return fail(ErrorKind::Cancelled, cli.help());
    } catch (const CLI::ParseError &e) {
        return fail(ErrorKind::InvalidParameter, std::string(e.what()) + "\n" + cli.help());
    }
    o.test_args = {queue_depth, io_size, workload, read_percent, seconds};
    if (auto r = apply_test_args(o, o.test_args, !o.wait_for_tests); !r) {
        if (r.error().context().find(" is required") != std::string::npos) {
            return fail(ErrorKind::InvalidParameter, r.error().context() + "\n" + cli.help());
        }
        return fail(r.error());
    }
    if (o.malloc_block_size == 0 || o.malloc_block_size % 512 != 0) {
        // SPDK's bdev_malloc_create refuses the same.
        return fail(ErrorKind::InvalidParameter,
                    "--malloc-block-size: " + std::to_string(o.malloc_block_size) +
                        " is not a positive multiple of 512");
    }
    if (!malloc_size.empty()) {
        auto bytes = parse_size(malloc_size);
        if (!bytes) {
            return fail(ErrorKind::InvalidParameter, "--malloc: " + bytes.error().context());
        }
        if (*bytes == 0 || *bytes % o.malloc_block_size != 0) {
            return fail(ErrorKind::InvalidParameter,
                        "--malloc: '" + malloc_size + "' is not a positive multiple of " +
                            std::to_string(o.malloc_block_size) + " bytes");
        }
        o.malloc_bytes = *bytes;
    }
    if (o.config_file.empty() && !o.malloc_bytes) {
        return fail(ErrorKind::InvalidParameter,
                    "no bdev to run on: give -c CONFIG or --malloc SIZE");
    }
    return o;
}

}  // namespace perf
