#include "job.hpp"

#include <fmt/format.h>

#include <cstring>
#include <optional>

#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/clock.hpp"
#include "spdkcpp/dma_buf.hpp"
#include "spdkcpp/scheduling.hpp"
#include "spdkcpp/when_all.hpp"

namespace perf {

using spdkcpp::BdevChannel;
using spdkcpp::BdevDesc;
using spdkcpp::Clock;
using spdkcpp::DmaBuf;
using spdkcpp::Result;
using spdkcpp::Task;

namespace {

constexpr std::size_t kMismatchesKept = 8;

// The verify pattern: every 8-byte word holds its byte offset on the bdev and the
// pass (generation) that wrote it.
uint64_t pattern_word(uint64_t byte_offset, uint64_t generation) noexcept {
    return byte_offset ^ (generation << 48) ^ 0x5350444b43505021ULL;
}

void fill_pattern(DmaBuf &buf, uint64_t offset, uint64_t generation) noexcept {
    auto *words = reinterpret_cast<uint64_t *>(buf.data());
    for (std::size_t i = 0; i < buf.size() / 8; ++i) {
        words[i] = pattern_word(offset + i * 8, generation);
    }
}

// The first byte that differs from the pattern, if any.
std::optional<uint64_t> check_pattern(const DmaBuf &buf, uint64_t offset, uint64_t generation) {
    const auto *words = reinterpret_cast<const uint64_t *>(buf.data());
    for (std::size_t i = 0; i < buf.size() / 8; ++i) {
        if (words[i] != pattern_word(offset + i * 8, generation)) {
            return offset + i * 8;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string_view> unsupported_io(Workload workload, spdkcpp::Bdev bdev) noexcept {
    using spdkcpp::IoType;
    const bool reads = bdev.supports(IoType::Read);
    const bool writes = bdev.supports(IoType::Write);
    switch (workload) {
        case Workload::RandRead:
        case Workload::Read:
            return reads ? std::nullopt : std::optional<std::string_view>("read");
        case Workload::RandWrite:
        case Workload::Write:
            return writes ? std::nullopt : std::optional<std::string_view>("write");
        case Workload::Rw:
        case Workload::RandRw:
        case Workload::Verify:
            if (!reads) {
                return "read";
            }
            return writes ? std::nullopt : std::optional<std::string_view>("write");
        case Workload::WriteZeroes:
            return bdev.supports(IoType::WriteZeroes) || writes
                       ? std::nullopt
                       : std::optional<std::string_view>("write_zeroes");
        case Workload::Unmap:
            return bdev.supports(IoType::Unmap) ? std::nullopt
                                                : std::optional<std::string_view>("unmap");
        case Workload::Flush:
            return bdev.supports(IoType::Flush) ? std::nullopt
                                                : std::optional<std::string_view>("flush");
    }
    return std::nullopt;
}

// One of the queue_depth workers of a job: its buffers, its offsets, its random
// state. Workers own disjoint parts of the job's region, so no two I/Os of a job
// ever overlap (which verify needs).
struct Job::Slot {
    BdevDesc *desc;
    BdevChannel *channel;
    DmaBuf buf;
    DmaBuf check;  // verify's read-back buffer
    uint64_t first_block;
    uint64_t blocks;  // I/O-sized blocks this worker owns
    uint64_t next = 0;
    uint64_t rng;
    uint64_t generation = 1;

    uint64_t pick(bool random, uint64_t io_size) noexcept {
        uint64_t index = 0;
        if (random) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            index = rng % blocks;
        } else {
            index = next;
            if (++next == blocks) {
                next = 0;
                ++generation;
            }
        }
        return (first_block + index) * io_size;
    }
};

Job::Job(Options options, std::string name, std::string bdev, uint32_t core, uint64_t region_offset,
         uint64_t region_size, spdkcpp::ThreadRef thread)
    : options_(std::move(options)),
      name_(std::move(name)),
      bdev_(std::move(bdev)),
      core_(core),
      region_offset_(region_offset),
      region_size_(region_size),
      thread_(thread) {}

Task<Result<void>> Job::run() {
    using spdkcpp::fail;
    if (auto hop = co_await spdkcpp::on(thread_); !hop) {
        co_return fail(hop.error());
    }
    const auto mode =
        options_.reads_only() ? spdkcpp::OpenMode::ReadOnly : spdkcpp::OpenMode::ReadWrite;
    auto desc = BdevDesc::open(bdev_, mode);
    if (!desc) {
        co_return fail(desc.error());
    }
    auto channel = desc->io_channel();
    if (!channel) {
        co_return fail(channel.error());
    }
    // Page-aligned, as fio's: an O_DIRECT transfer then never straddles pages.
    constexpr std::size_t kPage = 4096;
    const std::size_t align = std::max<std::size_t>(desc->bdev().buf_align(), kPage);
    const uint64_t io_size = options_.io_size;
    const uint64_t units = region_size_ / io_size;
    const uint32_t depth = Job::depth(options_, region_size_);
    result_.queue_depth = depth;
    if (options_.zipf_theta) {
        auto zipf = spdkcpp::Zipf::create(units, *options_.zipf_theta,
                                          static_cast<uint32_t>(options_.seed + core_));
        if (!zipf) {
            co_return fail(zipf.error());
        }
        zipf_ = std::move(*zipf);
    }
    std::vector<Slot> slots;
    slots.reserve(depth);
    for (uint32_t i = 0; i < depth; ++i) {
        auto buf = DmaBuf::alloc_zeroed(io_size, align);
        if (!buf) {
            co_return fail(buf.error());
        }
        DmaBuf check;  // verify's read-back buffer; other workloads need none
        if (options_.workload == Workload::Verify) {
            auto verify = DmaBuf::alloc(io_size, align);
            if (!verify) {
                co_return fail(verify.error());
            }
            check = std::move(*verify);
        }
        const uint64_t share = units / depth;
        slots.push_back(Slot{&*desc, &*channel, std::move(*buf), std::move(check),
                             region_offset_ / io_size + i * share,
                             i + 1 == depth ? units - i * share : share, 0,
                             options_.seed * 0x9e3779b97f4a7c15ULL + core_ * 131 + i + 1});
    }
    const uint64_t start = Clock::ticks();
    // In doubles, saturating: a long -t must not wrap the deadline round to the past.
    const double run_ticks = options_.seconds * static_cast<double>(Clock::hz());
    const double room = static_cast<double>(UINT64_MAX - start);
    deadline_ = run_ticks >= room ? UINT64_MAX : start + static_cast<uint64_t>(run_ticks);
    std::vector<Task<int>> workers;
    workers.reserve(slots.size() + 1);
    for (Slot &slot : slots) {
        workers.push_back(worker(slot));
    }
    workers_left_ = depth;
    if (options_.timeout_seconds != 0) {
        // On this thread: the descriptor's and its channel's.
        auto watched =
            desc->set_timeout(std::chrono::seconds(options_.timeout_seconds),
                              [this](const spdkcpp::TimedOutIo &) { ++result_.timeouts; });
        if (!watched) {
            co_return fail(watched.error());
        }
        workers.push_back(reclaim_stuck_io(*desc, *channel));
    }
    co_await spdkcpp::when_all(std::move(workers));
    result_.ios = ios_.load(std::memory_order_relaxed);
    result_.bytes = result_.ios * io_size;
    result_.seconds = Clock::to_us(Clock::ticks() - start) / 1e6;
    co_return Result<void>{};
}

Task<int> Job::worker(Slot &slot) {
    BdevDesc &desc = *slot.desc;
    BdevChannel &ch = *slot.channel;
    const uint64_t io_size = options_.io_size;
    const bool random = options_.random();
    // -F: offsets from the job's Zipf generator instead of the slot's own.
    const bool zipf = static_cast<bool>(zipf_);
    const uint64_t region_first = region_offset_ / io_size;
    const Workload w = options_.workload;
    for (;;) {
        const uint64_t offset =
            zipf ? (region_first + zipf_.next()) * io_size : slot.pick(random, io_size);
        bool is_read = w == Workload::RandRead || w == Workload::Read;
        bool is_write = w == Workload::RandWrite || w == Workload::Write;
        if (w == Workload::Rw || w == Workload::RandRw) {
            is_read = (slot.rng >> 11) % 100 < options_.read_percent;
            is_write = !is_read;
            slot.rng = slot.rng * 6364136223846793005ULL + 1442695040888963407ULL;
        }
        // Latency runs from the submission to the completion of each I/O, as
        // bdevperf's does (the bdev layer's submit and completion ticks); the
        // submission tick also decides whether the run is over.
        const uint64_t submitted = Clock::ticks();
        if (!running(submitted)) {
            break;
        }
        Result<void> r;
        uint32_t ops = 1;
        switch (w) {
            case Workload::WriteZeroes:
                r = co_await desc.write_zeroes(ch, offset, io_size);
                break;
            case Workload::Unmap:
                r = co_await desc.unmap(ch, offset, io_size);
                break;
            case Workload::Flush:
                r = co_await desc.flush(ch, offset, io_size);
                break;
            case Workload::Verify:
                fill_pattern(slot.buf, offset, slot.generation);
                r = co_await desc.write(ch, slot.buf, offset);
                if (r) {
                    r = co_await desc.read(ch, slot.check, offset);
                    ops = 2;
                }
                if (r) {
                    if (auto bad = check_pattern(slot.check, offset, slot.generation)) {
                        ++result_.mismatches;
                        if (result_.first_mismatches.size() < kMismatchesKept) {
                            result_.first_mismatches.push_back({offset, *bad});
                        }
                        // bdevperf stops the job at a mismatch, -f or not.
                        failed(offset, "read back other data than it wrote", false);
                    }
                }
                break;
            default:
                // Not `r = is_read ? co_await ... : co_await ...`: GCC 12 evaluates
                // the operands of both arms of a conditional holding co_await.
                if (is_read) {
                    r = co_await desc.read(ch, slot.buf, offset);
                } else {
                    r = co_await desc.write(ch, slot.buf, offset);
                }
                break;
        }
        const uint64_t done = Clock::ticks();
        if (r) {
            // Verify's pass is a write and a read; write_zeroes, unmap and flush
            // are neither.
            const bool verify = w == Workload::Verify;
            result_.reads += static_cast<uint64_t>(is_read || verify);
            result_.writes += static_cast<uint64_t>(is_write || verify);
            // ios_ alone counts (result_.ios and bytes are set from it at the end).
            ios_.store(ios_.load(std::memory_order_relaxed) + ops, std::memory_order_relaxed);
            result_.latency.record((done - submitted) / ops);
        } else {
            ++result_.errors;
            if (!options_.continue_on_failure) {
                failed(offset, fmt::format("failed: {}", r.error()), true);
            }
        }
    }
    --workers_left_;
    co_return 0;
}

// -k: once the run is over, I/O still outstanding for the timeout are stuck (a
// bdev that lost them); one reset of the bdev makes it complete them, as failed,
// so that the job ends.
Task<int> Job::reclaim_stuck_io(BdevDesc &desc, spdkcpp::BdevChannel &ch) {
    using namespace std::chrono_literals;
    const uint64_t patience = options_.timeout_seconds * Clock::hz();
    uint64_t ended = 0;
    while (workers_left_ != 0) {
        (void)co_await spdkcpp::sleep(100ms);
        const uint64_t now = Clock::ticks();
        if (running(now)) {
            continue;
        }
        ended = ended == 0 ? now : ended;
        if (!result_.reset && workers_left_ != 0 && now - ended >= patience) {
            result_.reset = true;
            fmt::print(stderr,
                       "spdkcpp-perf: job {}: I/O still outstanding {} s after the run: "
                       "resetting {}\n",
                       name_, options_.timeout_seconds, bdev_);
            (void)co_await desc.reset(ch);
        }
    }
    co_return 0;
}

// Off the I/O path: runs at most once per failed I/O, and stops the job.
void Job::failed(uint64_t offset, std::string what, bool whole_run) {
    if (!result_.first_failure) {
        result_.first_failure = FirstFailure{offset, std::move(what)};
    }
    stop();
    if (whole_run && stop_all_ != nullptr) {
        stop_all_();
    }
}

}  // namespace perf
