// spdkcpp-perf: SPDK's bdevperf, written only against the spdkcpp wrappers.
//
//   spdkcpp-perf --malloc 256M -q 32 -o 4096 -w randread -t 3 [--json]
#include <fmt/format.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "job.hpp"
#include "options.hpp"
#include "report.hpp"
#include "spdk/string.h"
#include "spdkcpp/app.hpp"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/clock.hpp"
#include "spdkcpp/core_mask.hpp"
#include "spdkcpp/poller.hpp"
#include "spdkcpp/rpc.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/thread.hpp"
#include "spdkcpp/when_all.hpp"

namespace {

using perf::Job;
using spdkcpp::Bdev;
using spdkcpp::ErrorKind;
using spdkcpp::fail;
using spdkcpp::Result;
using spdkcpp::Task;

// Every job, so that SIGINT can stop them.
std::vector<std::unique_ptr<Job>> *g_jobs = nullptr;
std::atomic<bool> g_interrupted{false};

// Stops every job (from any thread: the vector does not change while jobs run).
void interrupt_jobs() {
    if (g_jobs != nullptr) {
        for (auto &job : *g_jobs) {
            job->stop();
        }
    }
}

void interrupt() {
    g_interrupted = true;
    interrupt_jobs();
}

// Whether a job of `o` can run on b. A bdev that lacks the workload's I/O is
// named (bdevperf's "Skipping X because it does not support unmap") and the run
// then ends with an error, rather than spinning through I/Os that all fail.
Result<void> check_bdev(const perf::Options &o, Bdev b) {
    if (auto missing = perf::unsupported_io(o.workload, b)) {
        fmt::print(stderr, "spdkcpp-perf: skipping {}: it does not support {}\n", b.name(),
                   *missing);
        return fail(
            ErrorKind::NotSupported,
            fmt::format("no job runs: -w {} needs I/O a bdev does not support", o.workload_name));
    }
    if (o.io_size % b.block_size() != 0) {
        return fail(ErrorKind::InvalidParameter,
                    fmt::format("-o {} is not a multiple of {}'s block size {}", o.io_size,
                                b.name(), b.block_size()));
    }
    if (o.io_size > b.size_bytes()) {
        return fail(ErrorKind::InvalidParameter, fmt::format("-o {} does not fit in {} ({} bytes)",
                                                             o.io_size, b.name(), b.size_bytes()));
    }
    return {};
}

// The jobs of a run, and the threads they run on.
struct Plan {
    std::vector<spdkcpp::Thread> threads;
    std::vector<std::unique_ptr<Job>> jobs;
};

// Says so when a job's region holds fewer I/Os than its depth.
void note_depth(const perf::Options &o, std::string_view bdev, uint64_t region_bytes) {
    if (const uint32_t depth = Job::depth(o, region_bytes); depth < o.queue_depth) {
        fmt::print(stderr,
                   "spdkcpp-perf: -q {}: {} holds {} I/Os of {} bytes per job (each I/O in "
                   "flight has blocks of its own), so its jobs run at depth {}\n",
                   o.queue_depth, bdev, region_bytes / o.io_size, o.io_size, depth);
    }
}

// The command line's jobs: one per (bdev, core), each core's job with its own slice
// of the bdev.
Result<void> plan_command_line(const perf::Options &options, Plan &plan) {
    std::vector<Bdev> bdevs;
    if (options.bdevs.empty()) {
        for (Bdev b : Bdev::all()) {
            bdevs.push_back(b);
        }
        if (bdevs.empty()) {
            return fail(ErrorKind::BdevNotFound, "the config creates no bdev");
        }
    }
    for (const std::string &name : options.bdevs) {
        auto b = Bdev::lookup(name);
        if (!b) {
            return fail(b.error());
        }
        bdevs.push_back(*b);
    }
    // Every bdev is checked (each that lacks the workload's I/O is named) before
    // the first failure is given.
    Result<void> checked;
    for (Bdev b : bdevs) {
        if (auto r = check_bdev(options, b); !r && checked) {
            checked = std::move(r);
        }
    }
    if (!checked) {
        return checked;
    }
    const std::vector<uint32_t> cores = spdkcpp::CoreMask::app_cores().cores();
    for (uint32_t core : cores) {
        const auto mask = spdkcpp::CoreMask::single(core);
        auto thread = spdkcpp::Thread::create(fmt::format("perf_core_{}", core), &mask);
        if (!thread) {
            return fail(thread.error());
        }
        plan.threads.push_back(std::move(*thread));
    }
    for (Bdev b : bdevs) {
        const uint64_t units = b.size_bytes() / options.io_size;
        const uint64_t share = units / cores.size();
        if (share == 0) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("{} is too small for {} jobs of {} bytes", b.name(),
                                    cores.size(), options.io_size));
        }
        note_depth(options, b.name(), share * options.io_size);
        for (std::size_t i = 0; i < cores.size(); ++i) {
            plan.jobs.push_back(std::make_unique<Job>(
                options, std::string(b.name()), std::string(b.name()), cores[i],
                i * share * options.io_size, share * options.io_size, plan.threads[i].ref()));
        }
    }
    return {};
}

// The job file's jobs: a thread per section, on the first core of its cpumask that
// -m has, running a job for each of its bdevs over its offset and length.
Result<void> plan_job_file(const perf::Options &options, Plan &plan) {
    const spdkcpp::CoreMask app = spdkcpp::CoreMask::app_cores();
    fmt::print(stderr, "spdkcpp-perf: using job file {} with {} jobs\n", options.job_file,
               options.job_sections.size());
    for (const perf::JobSection &section : options.job_sections) {
        std::optional<uint32_t> core;
        if (section.cpumask.empty()) {
            core = app.cores().front();
        } else {
            auto mask = spdkcpp::CoreMask::parse(section.cpumask);
            if (!mask) {
                return fail(ErrorKind::InvalidParameter,
                            fmt::format("job '{}': cpumask: {}", section.name, mask.error()));
            }
            for (uint32_t c : mask->cores()) {
                if (app.contains(c)) {
                    core = c;
                    break;
                }
            }
            if (!core) {
                return fail(ErrorKind::InvalidParameter,
                            fmt::format("job '{}': cpumask {} has no core of -m", section.name,
                                        section.cpumask));
            }
        }
        perf::Options o = options;
        o.workload = section.workload;
        o.workload_name = section.workload_name;
        o.read_percent = section.read_percent;
        o.io_size = section.io_size;
        o.queue_depth = section.queue_depth;
        const auto mask = spdkcpp::CoreMask::single(*core);
        auto thread = spdkcpp::Thread::create(fmt::format("perf_job_{}", section.name), &mask);
        if (!thread) {
            return fail(thread.error());
        }
        plan.threads.push_back(std::move(*thread));
        for (const std::string &name : section.bdevs) {
            auto b = Bdev::lookup(name);
            if (!b) {
                return fail(ErrorKind::BdevNotFound,
                            fmt::format("job '{}': {}", section.name, b.error().context()));
            }
            if (auto r = check_bdev(o, *b); !r) {
                return fail(r.error().kind(),
                            fmt::format("job '{}': {}", section.name, r.error().context()));
            }
            // In whole I/Os, as bdevperf's (offset and length count blocks).
            const uint64_t io_blocks = o.io_size / b->block_size();
            const uint64_t first = section.offset_blocks / io_blocks;
            const uint64_t units = section.length_blocks == 0 ? b->num_blocks() / io_blocks
                                                              : section.length_blocks / io_blocks;
            if (units == 0 || (first + units) * io_blocks > b->num_blocks()) {
                return fail(ErrorKind::InvalidParameter,
                            fmt::format("job '{}': offset {} and length {} (blocks) do not fit "
                                        "{} ({} blocks) in I/Os of {} blocks",
                                        section.name, section.offset_blocks, section.length_blocks,
                                        name, b->num_blocks(), io_blocks));
            }
            note_depth(o, name, units * o.io_size);
            // A section of several bdevs names its jobs section/bdev.
            std::string job_name =
                section.bdevs.size() == 1 ? section.name : section.name + "/" + name;
            plan.jobs.push_back(std::make_unique<Job>(o, std::move(job_name), name, *core,
                                                      first * o.io_size, units * o.io_size,
                                                      plan.threads.back().ref()));
        }
    }
    return {};
}

// What a run of the tests gave: no jobs ran (error), or the jobs' figures.
struct Outcome {
    Result<void> ran;
    int exit_code = EXIT_FAILURE;
    std::vector<perf::Summary> summaries;
    perf::Summary total;
};

// Plans the jobs, runs them, prints their results.
Task<Outcome> run_tests(const perf::Options &options) {
    Outcome outcome;
    Plan plan;
    if (auto r = options.job_sections.empty() ? plan_command_line(options, plan)
                                              : plan_job_file(options, plan);
        !r) {
        fmt::print(stderr, "spdkcpp-perf: {}\n", r.error());
        outcome.ran = fail(r.error());
        co_return outcome;
    }
    auto &jobs = plan.jobs;
    for (auto &job : jobs) {
        job->on_failure(&interrupt_jobs);
    }
    g_jobs = &jobs;
    // A signal that came while the app started or the jobs were made: both run on
    // the app thread, so it is seen here or reaches the jobs through g_jobs.
    if (g_interrupted) {
        interrupt();
    }
    const uint64_t start = spdkcpp::Clock::ticks();
    const uint32_t period = options.show_period == 0 ? 1 : options.show_period;
    uint64_t last_ios = 0;
    uint64_t last_ticks = start;
    uint64_t last_bytes = 0;
    auto progress = spdkcpp::Poller::every(std::chrono::seconds(period), [&] {
        uint64_t ios = 0;
        uint64_t bytes = 0;
        for (auto &job : jobs) {
            const uint64_t job_ios = job->ios_so_far();
            ios += job_ios;
            bytes += job_ios * job->options().io_size;
        }
        const uint64_t now = spdkcpp::Clock::ticks();
        const double elapsed = spdkcpp::Clock::to_us(now - start) / 1e6;
        if (options.show_period == 0) {
            fmt::print(stderr, "\r{:>12.0f} IOPS {:>10.2f} MiB/s  {:>5.1f} / {:.1f} s",
                       static_cast<double>(ios) / elapsed,
                       static_cast<double>(bytes) / elapsed / (1024.0 * 1024.0), elapsed,
                       options.seconds);
        } else {
            // -S: this period's rate, a line each, as bdevperf's periodic results.
            const double span = spdkcpp::Clock::to_us(now - last_ticks) / 1e6;
            const auto done = static_cast<double>(ios - last_ios);
            fmt::print(stderr, "{:>8.1f} s {:>12.0f} IOPS {:>10.2f} MiB/s\n", elapsed, done / span,
                       static_cast<double>(bytes - last_bytes) / span / (1024.0 * 1024.0));
        }
        last_ios = ios;
        last_bytes = bytes;
        last_ticks = now;
        return spdkcpp::PollStatus::Idle;
    });
    std::vector<Task<Result<void>>> running;
    for (auto &job : jobs) {
        running.push_back(job->run());
    }
    auto outcomes = co_await spdkcpp::when_all(std::move(running));
    progress = fail(ErrorKind::Closed);
    g_jobs = nullptr;
    if (options.show_period == 0) {
        fmt::print(stderr, "\n");
    }

    int exit_code = EXIT_SUCCESS;
    std::vector<perf::Summary> &summaries = outcome.summaries;
    perf::JobResult all;
    double seconds = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const Job &job = *jobs[i];
        if (!outcomes[i]) {
            fmt::print(stderr, "spdkcpp-perf: job {} on core {}: {}\n", job.name(), job.core(),
                       outcomes[i].error());
            exit_code = EXIT_FAILURE;
            continue;
        }
        const perf::JobResult &r = job.result();
        if (r.first_failure) {
            // bdevperf's "Job: X ended in about N seconds with error".
            fmt::print(stderr,
                       "spdkcpp-perf: job {} on core {} ended after {:.2f} s with an error: the "
                       "I/O at offset {} {}\n",
                       job.name(), job.core(), r.seconds, r.first_failure->offset,
                       r.first_failure->what);
            exit_code = EXIT_FAILURE;
        }
        for (const perf::Mismatch &m : r.first_mismatches) {
            fmt::print(stderr, "spdkcpp-perf: verify mismatch on {}: I/O at offset {}, byte {}\n",
                       job.bdev(), m.offset, m.byte);
        }
        summaries.push_back(perf::summarize(job, r));
        summaries.back().status = g_interrupted                                     ? "terminated"
                                  : r.first_failure && !options.continue_on_failure ? "failed"
                                                                                    : "finished";
        all.ios += r.ios;
        all.bytes += r.bytes;
        all.reads += r.reads;
        all.writes += r.writes;
        all.errors += r.errors;
        all.mismatches += r.mismatches;
        all.timeouts += r.timeouts;
        if (r.timeouts != 0) {
            fmt::print(stderr,
                       "spdkcpp-perf: job {} on core {}: {} times an I/O was outstanding for "
                       "-k {} s or more\n",
                       job.name(), job.core(), r.timeouts, options.timeout_seconds);
        }
        all.latency.merge(r.latency);
        seconds = std::max(seconds, r.seconds);
    }
    outcome.total = perf::summarize_total(all, seconds);
    const perf::Summary &total = outcome.total;
    if (options.json) {
        fmt::print("{}\n", perf::to_json(options, summaries, total));
    } else {
        perf::print_table(options, summaries, total);
    }
    if (total.errors != 0 || total.mismatches != 0) {
        fmt::print(stderr, "spdkcpp-perf: {} errors, {} mismatches{}\n", total.errors,
                   total.mismatches,
                   options.continue_on_failure && total.errors != 0
                       ? " (-f: the run went on past the errors)"
                       : "");
        // With -f failed I/Os do not fail the run (bdevperf's exit code); data that
        // reads back wrong always does.
        if (!options.continue_on_failure || total.mismatches != 0) {
            exit_code = EXIT_FAILURE;
        }
    }
    if (g_interrupted) {
        fmt::print(stderr, "spdkcpp-perf: interrupted\n");
    }
    outcome.exit_code = exit_code;
    co_return outcome;
}

// -z: the command line's options, for perform_tests to run with; the test
// parameters the last successful call left (bdevperf keeps a call's params for the
// calls after it); a test in progress.
const perf::Options *g_options = nullptr;
perf::TestArgs g_test_args;
bool g_testing = false;

// bdevperf's perform_tests: params override -t -w -q -o -M for this run.
struct PerformTestsParams {
    std::optional<int32_t> time_in_sec;
    std::optional<std::string> workload_type;
    std::optional<uint32_t> queue_depth;
    std::optional<std::string> io_size;
    std::optional<int32_t> rw_percentage;
    static constexpr auto fields =
        std::tuple{spdkcpp::rpc::optional("time_in_sec", &PerformTestsParams::time_in_sec),
                   spdkcpp::rpc::optional("workload_type", &PerformTestsParams::workload_type),
                   spdkcpp::rpc::optional("queue_depth", &PerformTestsParams::queue_depth),
                   spdkcpp::rpc::optional("io_size", &PerformTestsParams::io_size),
                   spdkcpp::rpc::optional("rw_percentage", &PerformTestsParams::rw_percentage)};
};

// Runs the tests and answers with bdevperf's result: each job's figures, and the
// number of cores they ran on.
Task<void> perform_tests(perf::Options options, spdkcpp::RpcRequest request) {
    g_testing = true;
    g_interrupted = false;
    Outcome outcome = co_await run_tests(options);
    g_testing = false;
    if (!outcome.ran) {
        std::move(request).error(SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                 "spdkcpp-perf failed: " + outcome.ran.error().message());
        co_return;
    }
    std::move(request).result([&](spdkcpp::JsonWriter &w) {
        w.object([&] {
            uint64_t cores = 0;
            w.named_array("results", [&] {
                for (const perf::Summary &s : outcome.summaries) {
                    cores |= uint64_t{1} << s.core;
                    w.object([&] { perf::write_bdevperf_result(w, s); });
                }
            });
            w.named("core_count", std::popcount(cores));
        });
    });
}

void perform_tests_rpc(PerformTestsParams p, spdkcpp::RpcRequest request) {
    if (g_options == nullptr || !g_options->wait_for_tests) {
        std::move(request).error(SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                 "spdkcpp-perf runs its tests from the command line (start it "
                                 "with -z to run them by perform_tests)");
        return;
    }
    if (g_testing) {
        std::move(request).error(SPDK_JSONRPC_ERROR_INTERNAL_ERROR, spdk_strerror(EINPROGRESS));
        return;
    }
    perf::TestArgs args = g_test_args;
    if (p.time_in_sec && *p.time_in_sec != 0) {
        args.seconds = *p.time_in_sec;
    }
    if (p.workload_type) {
        args.workload = p.workload_type;
    }
    if (p.queue_depth && *p.queue_depth != 0) {
        args.queue_depth = p.queue_depth;
    }
    if (p.io_size) {
        args.io_size = p.io_size;
    }
    if (p.rw_percentage && *p.rw_percentage != 0) {
        if (*p.rw_percentage < 0) {
            std::move(request).error(SPDK_JSONRPC_ERROR_PARSE_ERROR,
                                     "Invalid parameters provided: rw_percentage is 0 to 100");
            return;
        }
        args.read_percent = static_cast<uint32_t>(*p.rw_percentage);
    }
    perf::Options run = *g_options;
    // bdevperf answers a bad set of parameters with its parse error code.
    if (auto r = perf::apply_test_args(run, args, true); !r) {
        std::move(request).error(SPDK_JSONRPC_ERROR_PARSE_ERROR,
                                 "Invalid parameters provided: " + r.error().context());
        return;
    }
    g_test_args = args;
    spdkcpp::spawn(perform_tests(std::move(run), std::move(request)));
}

const spdkcpp::RpcMethod<PerformTestsParams, &perform_tests_rpc> perform_tests_method{
    "perform_tests", SPDK_RPC_RUNTIME};

Task<int> perf_main(const perf::Options &options) {
    if (!options.wait_for_tests) {
        co_return (co_await run_tests(options)).exit_code;
    }
    g_options = &options;
    g_test_args = options.test_args;
    fmt::print(stderr, "spdkcpp-perf: waiting for perform_tests\n");
    // Until SIGINT or SIGTERM, and the test then in progress has answered.
    while (!g_interrupted || g_testing) {
        (void)co_await spdkcpp::sleep(std::chrono::milliseconds(50));
    }
    g_options = nullptr;
    co_return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char **argv) {
    auto options = perf::parse(argc, argv);
    if (!options) {
        const bool help = options.error().kind() == ErrorKind::Cancelled;
        fmt::print(help ? stdout : stderr, "{}\n", options.error().context());
        return help ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    for (const std::string &warning : options->warnings) {
        fmt::print(stderr, "spdkcpp-perf: {}\n", warning);
    }
    if (auto mask = spdkcpp::CoreMask::parse(options->core_mask); !mask) {
        fmt::print(stderr, "spdkcpp-perf: -m: {}\n", mask.error());
        return EXIT_FAILURE;
    }
    auto config = options->json_config();
    if (!config) {
        fmt::print(stderr, "spdkcpp-perf: {}\n", config.error());
        return EXIT_FAILURE;
    }
    spdkcpp::AppOptions app_options;
    app_options.name = "spdkcpp_perf";
    app_options.core_mask = options->core_mask;
    app_options.json_config = *config;
    app_options.on_shutdown = &interrupt;
    app_options.no_huge = options->no_huge;
    app_options.mem_size_mb = options->mem_size_mb;
    app_options.disable_cpumask_locks = options->disable_cpumask_locks;
    app_options.rpc_addr = options->rpc_addr;
    app_options.no_rpc_server = options->no_rpc_server;
    spdkcpp::App app(std::move(app_options));
    return app.run(perf_main(*options));
}
