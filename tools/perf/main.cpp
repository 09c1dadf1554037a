// spdkcpp-perf: SPDK's bdevperf, written only against the spdkcpp wrappers.
//
//   spdkcpp-perf --malloc 256M -q 32 -o 4096 -w randread -t 3 [--json]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "job.hpp"
#include "options.hpp"
#include "report.hpp"
#include "spdkcpp/app.hpp"
#include "spdkcpp/bdev.hpp"
#include "spdkcpp/clock.hpp"
#include "spdkcpp/core_mask.hpp"
#include "spdkcpp/poller.hpp"
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

// The bdevs to run on, checked against the I/O size.
Result<std::vector<Bdev>> pick_bdevs(const perf::Options &o) {
    std::vector<Bdev> bdevs;
    if (o.bdevs.empty()) {
        for (Bdev b : Bdev::all()) {
            bdevs.push_back(b);
        }
        if (bdevs.empty()) {
            return fail(ErrorKind::BdevNotFound, "the config creates no bdev");
        }
    }
    for (const std::string &name : o.bdevs) {
        auto b = Bdev::lookup(name);
        if (!b) {
            return fail(b.error());
        }
        bdevs.push_back(*b);
    }
    // bdevperf skips a bdev that cannot do the workload's I/O ("Skipping X because
    // it does not support unmap") and then ends the run with an error: so do we,
    // naming every such bdev, rather than spin through I/Os that all fail.
    bool unsupported = false;
    for (Bdev b : bdevs) {
        if (auto missing = perf::unsupported_io(o.workload, b)) {
            fmt::print(stderr, "spdkcpp-perf: skipping {}: it does not support {}\n", b.name(),
                       *missing);
            unsupported = true;
        }
    }
    if (unsupported) {
        return fail(
            ErrorKind::NotSupported,
            fmt::format("no job runs: -w {} needs I/O a bdev does not support", o.workload_name));
    }
    for (Bdev b : bdevs) {
        if (o.io_size % b.block_size() != 0) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("-o {} is not a multiple of {}'s block size {}", o.io_size,
                                    b.name(), b.block_size()));
        }
        if (o.io_size > b.size_bytes()) {
            return fail(ErrorKind::InvalidParameter,
                        fmt::format("-o {} does not fit in {} ({} bytes)", o.io_size, b.name(),
                                    b.size_bytes()));
        }
    }
    return bdevs;
}

Task<int> perf_main(const perf::Options &options) {
    auto bdevs = pick_bdevs(options);
    if (!bdevs) {
        fmt::print(stderr, "spdkcpp-perf: {}\n", bdevs.error());
        co_return EXIT_FAILURE;
    }
    const std::vector<uint32_t> cores = spdkcpp::CoreMask::app_cores().cores();
    std::vector<spdkcpp::Thread> threads;
    std::vector<std::unique_ptr<Job>> jobs;
    for (uint32_t core : cores) {
        const auto mask = spdkcpp::CoreMask::single(core);
        auto thread = spdkcpp::Thread::create(fmt::format("perf_core_{}", core), &mask);
        if (!thread) {
            fmt::print(stderr, "spdkcpp-perf: {}\n", thread.error());
            co_return EXIT_FAILURE;
        }
        threads.push_back(std::move(*thread));
    }
    for (Bdev b : *bdevs) {
        // Each core's job gets its own slice of the bdev.
        const uint64_t units = b.size_bytes() / options.io_size;
        const uint64_t share = units / cores.size();
        if (share == 0) {
            fmt::print(stderr, "spdkcpp-perf: {} is too small for {} jobs of {} bytes\n", b.name(),
                       cores.size(), options.io_size);
            co_return EXIT_FAILURE;
        }
        if (const uint32_t depth = Job::depth(options, share * options.io_size);
            depth < options.queue_depth) {
            fmt::print(stderr,
                       "spdkcpp-perf: -q {}: {} holds {} I/Os of {} bytes per job (each I/O in "
                       "flight has blocks of its own), so its jobs run at depth {}\n",
                       options.queue_depth, b.name(), share, options.io_size, depth);
        }
        for (std::size_t i = 0; i < cores.size(); ++i) {
            jobs.push_back(std::make_unique<Job>(options, std::string(b.name()), cores[i],
                                                 i * share * options.io_size,
                                                 share * options.io_size, threads[i].ref()));
        }
    }
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
    auto progress = spdkcpp::Poller::every(std::chrono::seconds(period), [&] {
        uint64_t ios = 0;
        for (auto &job : jobs) {
            ios += job->ios_so_far();
        }
        const uint64_t now = spdkcpp::Clock::ticks();
        const double elapsed = spdkcpp::Clock::to_us(now - start) / 1e6;
        if (options.show_period == 0) {
            fmt::print(stderr, "\r{:>12.0f} IOPS {:>10.2f} MiB/s  {:>5.1f} / {:.1f} s",
                       static_cast<double>(ios) / elapsed,
                       static_cast<double>(ios * options.io_size) / elapsed / (1024.0 * 1024.0),
                       elapsed, options.seconds);
        } else {
            // -S: this period's rate, a line each, as bdevperf's periodic results.
            const double span = spdkcpp::Clock::to_us(now - last_ticks) / 1e6;
            const auto done = static_cast<double>(ios - last_ios);
            fmt::print(stderr, "{:>8.1f} s {:>12.0f} IOPS {:>10.2f} MiB/s\n", elapsed, done / span,
                       done * static_cast<double>(options.io_size) / span / (1024.0 * 1024.0));
        }
        last_ios = ios;
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
    std::vector<perf::Summary> summaries;
    perf::JobResult all;
    double seconds = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const Job &job = *jobs[i];
        if (!outcomes[i]) {
            fmt::print(stderr, "spdkcpp-perf: job {} on core {}: {}\n", job.bdev(), job.core(),
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
                       job.bdev(), job.core(), r.seconds, r.first_failure->offset,
                       r.first_failure->what);
            exit_code = EXIT_FAILURE;
        }
        for (const perf::Mismatch &m : r.first_mismatches) {
            fmt::print(stderr, "spdkcpp-perf: verify mismatch on {}: I/O at offset {}, byte {}\n",
                       job.bdev(), m.offset, m.byte);
        }
        summaries.push_back(perf::summarize(job.bdev(), static_cast<int>(job.core()), r,
                                            options.io_size, r.seconds));
        all.ios += r.ios;
        all.reads += r.reads;
        all.writes += r.writes;
        all.errors += r.errors;
        all.mismatches += r.mismatches;
        all.latency.merge(r.latency);
        seconds = std::max(seconds, r.seconds);
    }
    const perf::Summary total = perf::summarize("Total", -1, all, options.io_size, seconds);
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
    co_return exit_code;
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
