// libFuzzer target: the bdev layer's offset, length and iovec arithmetic
// (runtime/src/bdev/bdev_io.cpp) through spdk_bdev_read/write (bytes),
// spdk_bdev_read/write_blocks and spdk_bdev_readv/writev(_blocks), against a malloc
// bdev of 512-byte blocks, one of 4 KiB blocks and a null bdev, brought up once on
// an app thread driven by hand (as tests/runtime/bdev_test_util.hpp does).
//
// Each input is a short sequence of I/Os with fuzzed offsets, lengths (in blocks or
// bytes, near the bdev's end or anywhere in 64 bits), iovec counts and sizes. Every
// buffer is its own heap allocation of exactly its size, so ASan sees any access
// outside it. Checked: each call returns 0 when the request lies within the bdev
// (in whole blocks, for the byte calls) and -EINVAL otherwise, never anything else;
// every accepted I/O completes exactly once, successfully, and the bdev's
// statistics count it (operations and bytes); and a malloc bdev's data: a shadow of
// its bytes, learnt from the writes, must match every byte a read gives where no
// I/O of the same input could change it (overlapping I/O in flight together have no
// order; a vectored request's bytes beyond its iovecs are left unknown). Nothing
// persists between inputs but the bdevs' contents, their shadows and statistics.
#include <fuzzer/FuzzedDataProvider.h>

#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spdk/bdev.h"
#include "spdk/env.h"
#include "spdk/init.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"

namespace {

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "fuzz_bdev_io: %s\n", what);
    std::abort();
}

constexpr const char *kConfig = R"({"subsystems": [{"subsystem": "bdev", "config": [
    {"method": "bdev_malloc_create",
     "params": {"name": "Malloc0", "num_blocks": 256, "block_size": 512}},
    {"method": "bdev_malloc_create",
     "params": {"name": "Malloc4k", "num_blocks": 16, "block_size": 4096}},
    {"method": "bdev_null_create",
     "params": {"name": "Null0", "num_blocks": 256, "block_size": 512}}
]}]})";

struct Target {
    spdk_bdev *bdev = nullptr;
    spdk_bdev_desc *desc = nullptr;
    spdk_io_channel *ch = nullptr;
    uint64_t blocks = 0;
    uint32_t block_size = 0;
    // What the bdev holds, as far as the writes so far tell (malloc bdevs only:
    // a null bdev keeps nothing).
    bool keeps_data = false;
    std::vector<uint8_t> shadow;
    std::vector<uint8_t> known;  // 1 where shadow holds the bdev's byte
};

// An accepted I/O, for the data check once all have completed.
struct Accepted {
    size_t target;
    bool is_read;
    uint64_t offset;  // bytes
    uint64_t length;  // bytes
    std::vector<iovec> iovs;
};

// Whether two I/O of one target touch a common byte.
bool overlap(const Accepted &a, const Accepted &b) {
    return a.target == b.target && a.offset < b.offset + b.length && b.offset < a.offset + a.length;
}

// Calls fn(position in the bdev, bytes, length) for each piece of the request that
// the iovecs hold, in order.
template <typename Fn>
void for_each_piece(const Accepted &io, Fn &&fn) {
    uint64_t pos = io.offset;
    const uint64_t end = io.offset + io.length;
    for (const iovec &v : io.iovs) {
        if (pos >= end) {
            break;
        }
        const uint64_t len = std::min<uint64_t>(v.iov_len, end - pos);
        fn(pos, static_cast<const uint8_t *>(v.iov_base), len);
        pos += len;
    }
}

// Checks bytes [pos, pos + len) a read gave against what the shadow knows.
void compare(const Target &t, uint64_t pos, const uint8_t *data, uint64_t len) {
    if (std::memcmp(t.shadow.data() + pos, data, len) == 0) {
        return;
    }
    for (uint64_t i = 0; i < len; ++i) {  // unknown bytes may differ
        if (t.known[pos + i] != 0 && t.shadow[pos + i] != data[i]) {
            fail("a read gave other bytes than the bdev was last written with");
        }
    }
}

// Reads are checked against the shadow as it was before this input, but for the
// bytes a write of this input also touches; then the writes are learnt: a byte two
// writes of this input touch, or that a vectored write's iovecs did not cover,
// becomes unknown.
void check_and_learn(const std::vector<Accepted> &ios, std::array<Target, 3> &targets) {
    for (const Accepted &r : ios) {
        const Target &t = targets[r.target];
        if (!r.is_read || !t.keeps_data) {
            continue;
        }
        for_each_piece(r, [&](uint64_t pos, const uint8_t *data, uint64_t len) {
            // The piece, less the ranges of this input's writes.
            for (uint64_t cur = pos; cur < pos + len;) {
                uint64_t next = pos + len;
                bool written = false;
                for (const Accepted &w : ios) {
                    if (w.is_read || w.target != r.target) {
                        continue;
                    }
                    if (w.offset <= cur && cur < w.offset + w.length) {
                        written = true;
                        next = std::min(next, w.offset + w.length);
                    } else if (w.offset > cur) {
                        next = std::min(next, w.offset);
                    }
                }
                if (!written) {
                    compare(t, cur, data + (cur - pos), next - cur);
                }
                cur = next;
            }
        });
    }
    for (size_t k = 0; k < ios.size(); ++k) {
        const Accepted &w = ios[k];
        Target &t = targets[w.target];
        if (w.is_read || !t.keeps_data) {
            continue;
        }
        std::fill_n(t.known.begin() + static_cast<std::ptrdiff_t>(w.offset), w.length, 0);
        bool alone = true;
        for (size_t j = 0; j < ios.size(); ++j) {
            alone = alone && (j == k || ios[j].is_read || !overlap(w, ios[j]));
        }
        if (alone) {
            for_each_piece(w, [&](uint64_t pos, const uint8_t *data, uint64_t len) {
                std::memcpy(t.shadow.data() + pos, data, len);
                std::fill_n(t.known.begin() + static_cast<std::ptrdiff_t>(pos), len, 1);
            });
        }
    }
}

bool verbose() {
    static const bool v = std::getenv("SPDKCPP_FUZZ_VERBOSE") != nullptr;
    return v;
}

struct Setup {
    spdk_thread *app = nullptr;
    std::array<Target, 3> targets;
};

void poll_until(spdk_thread *app, const bool &done) {
    for (int i = 0; i < 100000 && !done; ++i) {
        spdk_thread_poll(app, 0, 0);
    }
    if (!done) {
        fail("the app thread did not get there");
    }
}

void set_done(int rc, void *arg) {
    if (rc != 0) {
        fail("subsystem init or config load failed");
    }
    *static_cast<bool *>(arg) = true;
}

void ignore_event(spdk_bdev_event_type /*type*/, spdk_bdev * /*bdev*/, void * /*ctx*/) {}

// The bdevs, brought up once for the whole run (and never torn down: libFuzzer
// exits from its own main).
Setup &setup() {
    static Setup s = [] {
        Setup r;
        spdk_log_set_print_level(SPDK_LOG_ERROR);
        spdk_env_opts opts{};
        opts.opts_size = sizeof(opts);
        spdk_env_opts_init(&opts);
        opts.name = "fuzz_bdev_io";
        if (spdk_env_init(&opts) != 0 || spdk_thread_lib_init(nullptr, 0) != 0) {
            fail("env or thread library");
        }
        r.app = spdk_thread_create("fuzz_app", nullptr);
        spdk_set_thread(r.app);
        bool done = false;
        spdk_subsystem_init(set_done, &done);
        poll_until(r.app, done);
        spdk_rpc_set_state(SPDK_RPC_RUNTIME);
        std::string config = kConfig;
        done = false;
        spdk_subsystem_load_config(config.data(), static_cast<ssize_t>(config.size()), set_done,
                                   &done, true);
        poll_until(r.app, done);
        const char *names[] = {"Malloc0", "Malloc4k", "Null0"};
        for (size_t i = 0; i < r.targets.size(); ++i) {
            Target &t = r.targets[i];
            if (spdk_bdev_open_ext(names[i], true, ignore_event, nullptr, &t.desc) != 0) {
                fail("open");
            }
            t.bdev = spdk_bdev_desc_get_bdev(t.desc);
            t.ch = spdk_bdev_get_io_channel(t.desc);
            if (t.ch == nullptr) {
                fail("no channel");
            }
            t.blocks = spdk_bdev_get_num_blocks(t.bdev);
            t.block_size = spdk_bdev_get_block_size(t.bdev);
            t.keeps_data = std::string(spdk_bdev_get_module_name(t.bdev)) == "malloc";
            if (t.keeps_data) {
                t.shadow.assign(t.blocks * t.block_size, 0);
                t.known.assign(t.blocks * t.block_size, 0);
            }
        }
        if (!r.targets[0].keeps_data || !r.targets[1].keeps_data) {
            fail("the malloc bdevs' module is not named malloc");
        }
        // SPDKCPP_FUZZ_VERBOSE=1: the runtime's errors and each I/O, to study an input.
        spdk_log_set_print_level(verbose() ? SPDK_LOG_ERROR : SPDK_LOG_DISABLED);
        return r;
    }();
    return s;
}

struct Completions {
    int done = 0;
    int failed = 0;
};

void io_done(spdk_bdev_io *io, bool success, void *arg) {
    auto *c = static_cast<Completions *>(arg);
    ++c->done;
    c->failed += success ? 0 : 1;
    spdk_bdev_free_io(io);
}

// A count of blocks or bytes: near the bdev's end most of the time, and anywhere in
// 64 bits (UINT64_MAX and its neighbours included) the rest.
uint64_t pick(FuzzedDataProvider &in, uint64_t limit) {
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
        case 0:
        case 1:
            return in.ConsumeIntegralInRange<uint64_t>(0, limit + 2);
        case 2:
            return UINT64_MAX - in.ConsumeIntegralInRange<uint64_t>(0, limit + 2);
        default:
            return in.ConsumeIntegral<uint64_t>();
    }
}

// Write data that tells bytes apart: a copy from a table of 256 KiB of
// pseudo-random bytes, from a place the input picks (no buffer is larger than the
// largest bdev, 128 KiB, so a shifted copy would not match).
void fill(uint8_t *p, size_t len, uint16_t start) {
    static constexpr size_t kTable = 256 * 1024;
    static const std::vector<uint8_t> table = [] {
        std::vector<uint8_t> t(kTable);
        uint32_t x = 2463534242U;
        for (uint8_t &b : t) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b = static_cast<uint8_t>(x);
        }
        return t;
    }();
    std::memcpy(p, table.data() + start, std::min(len, kTable - start));
}

enum class Op { Read, Write, ReadBlocks, WriteBlocks, Readv, Writev, ReadvBlocks, WritevBlocks };

}  // namespace

// Closes the bdevs and stops the subsystems and the thread library, at exit: before
// LeakSanitizer looks, and before the runtime's statics are destroyed.
void teardown() {
    Setup &s = setup();
    spdk_set_thread(s.app);
    for (Target &t : s.targets) {
        spdk_put_io_channel(t.ch);
        spdk_bdev_close(t.desc);
    }
    bool done = false;
    spdk_subsystem_fini([](void *arg) { *static_cast<bool *>(arg) = true; }, &done);
    poll_until(s.app, done);
    spdk_thread_exit(s.app);
    for (int i = 0; i < 100000 && !spdk_thread_is_exited(s.app); ++i) {
        spdk_thread_poll(s.app, 0, 0);
    }
    spdk_thread_destroy(s.app);
    spdk_set_thread(nullptr);
    spdk_thread_lib_fini();
    spdk_env_fini();
}

// Brings the bdevs up before the first input: what lives for the whole run is not
// taken for a leak of the first input.
extern "C" int LLVMFuzzerInitialize(int * /*argc*/, char *** /*argv*/) {
    setup();
    spdk_set_thread(nullptr);
    std::atexit(teardown);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Setup &s = setup();
    spdk_set_thread(s.app);
    FuzzedDataProvider in(data, size);

    std::array<spdk_bdev_io_stat, 3> before{};
    for (size_t i = 0; i < s.targets.size(); ++i) {
        spdk_bdev_get_io_stat(s.targets[i].bdev, s.targets[i].ch, &before[i],
                              SPDK_BDEV_RESET_STAT_NONE);
    }
    std::array<uint64_t, 3> reads{}, writes{}, bytes_read{}, bytes_written{};
    Completions completions;
    int accepted = 0;
    // Buffers live until every I/O has completed.
    std::vector<std::unique_ptr<uint8_t[]>> buffers;
    std::vector<std::unique_ptr<iovec[]>> iov_arrays;
    std::vector<Accepted> ios;

    for (int n = 0; n < 8 && in.remaining_bytes() > 0; ++n) {
        const size_t which = in.ConsumeIntegralInRange<size_t>(0, s.targets.size() - 1);
        const Target &t = s.targets[which];
        const auto op = static_cast<Op>(in.ConsumeIntegralInRange<int>(0, 7));
        const bool in_bytes =
            op == Op::Read || op == Op::Write || op == Op::Readv || op == Op::Writev;
        const bool vectored = op >= Op::Readv;
        const bool is_read =
            op == Op::Read || op == Op::ReadBlocks || op == Op::Readv || op == Op::ReadvBlocks;
        const uint64_t bdev_bytes = t.blocks * t.block_size;

        // The request, in the unit of the call.
        uint64_t offset = 0;
        uint64_t length = 0;
        std::vector<iovec> iovs;
        if (in_bytes) {
            // Whole blocks most of the time, any byte count the rest.
            if (in.ConsumeBool()) {
                offset = pick(in, t.blocks) * t.block_size;
                length = pick(in, t.blocks) * t.block_size;
            } else {
                offset = pick(in, bdev_bytes);
                length = pick(in, bdev_bytes);
            }
        } else {
            offset = pick(in, t.blocks);
            length = pick(in, t.blocks);
        }
        // Valid: whole blocks (bytes calls), no overflow, within the bdev.
        bool valid = true;
        uint64_t offset_blocks = offset;
        uint64_t num_blocks = length;
        if (in_bytes) {
            valid = offset % t.block_size == 0 && length % t.block_size == 0;
            offset_blocks = offset / t.block_size;
            num_blocks = length / t.block_size;
        }
        valid = valid && offset_blocks + num_blocks >= offset_blocks &&
                offset_blocks + num_blocks <= t.blocks;
        // What a valid request moves; the buffers are cut to the bdev's size, which
        // a valid request never passes.
        const uint64_t request_bytes = valid ? num_blocks * t.block_size : 0;

        int rc = 0;
        if (!vectored) {
            // One buffer of exactly the request's size (a valid one's), else one byte.
            const size_t len = request_bytes == 0 ? 1 : static_cast<size_t>(request_bytes);
            buffers.push_back(std::make_unique<uint8_t[]>(len));
            void *buf = buffers.back().get();
            fill(buffers.back().get(), len, in.ConsumeIntegral<uint16_t>());
            iovs = {{buf, static_cast<size_t>(request_bytes)}};
            switch (op) {
                case Op::Read:
                    rc = spdk_bdev_read(t.desc, t.ch, buf, offset, length, io_done, &completions);
                    break;
                case Op::Write:
                    rc = spdk_bdev_write(t.desc, t.ch, buf, offset, length, io_done, &completions);
                    break;
                case Op::ReadBlocks:
                    rc = spdk_bdev_read_blocks(t.desc, t.ch, buf, offset, length, io_done,
                                               &completions);
                    break;
                default:
                    rc = spdk_bdev_write_blocks(t.desc, t.ch, buf, offset, length, io_done,
                                                &completions);
                    break;
            }
        } else {
            // 1 to 8 iovecs of any sizes up to the bdev's: their total need not match
            // the request (the module copies what both hold). Not 0, nor a NULL base:
            // a read whose first iovec has no base asks the bdev for a buffer, as in
            // SPDK, and fails when that is larger than the bdev layer lends (64 KiB).
            const int iovcnt = in.ConsumeIntegralInRange<int>(1, 8);
            iov_arrays.push_back(std::make_unique<iovec[]>(iovcnt));
            iovec *iov = iov_arrays.back().get();
            iovs.clear();
            for (int i = 0; i < iovcnt; ++i) {
                const auto len = in.ConsumeIntegralInRange<size_t>(0, bdev_bytes);
                buffers.push_back(std::make_unique<uint8_t[]>(len == 0 ? 1 : len));
                fill(buffers.back().get(), len, in.ConsumeIntegral<uint16_t>());
                iov[i] = {buffers.back().get(), len};
            }
            switch (op) {
                case Op::Readv:
                    rc = spdk_bdev_readv(t.desc, t.ch, iov, iovcnt, offset, length, io_done,
                                         &completions);
                    break;
                case Op::Writev:
                    rc = spdk_bdev_writev(t.desc, t.ch, iov, iovcnt, offset, length, io_done,
                                          &completions);
                    break;
                case Op::ReadvBlocks:
                    rc = spdk_bdev_readv_blocks(t.desc, t.ch, iov, iovcnt, offset, length, io_done,
                                                &completions);
                    break;
                default:
                    rc = spdk_bdev_writev_blocks(t.desc, t.ch, iov, iovcnt, offset, length, io_done,
                                                 &completions);
                    break;
            }
            iovs.assign(iov, iov + iovcnt);
        }
        if (verbose() || rc != (valid ? 0 : -EINVAL)) {
            std::fprintf(stderr, "bdev %s op %d offset %lu length %lu: rc %d\n",
                         spdk_bdev_get_name(t.bdev), static_cast<int>(op),
                         static_cast<unsigned long>(offset), static_cast<unsigned long>(length),
                         rc);
        }
        if (rc != (valid ? 0 : -EINVAL)) {
            fail(valid ? "a valid request refused" : "an invalid request not refused (-EINVAL)");
        }
        if (rc == 0) {
            ios.push_back(
                {which, is_read, offset_blocks * t.block_size, request_bytes, std::move(iovs)});
            ++accepted;
            (is_read ? reads : writes)[which] += 1;
            (is_read ? bytes_read : bytes_written)[which] += request_bytes;
        }
    }

    for (int i = 0; i < 10000 && completions.done < accepted; ++i) {
        spdk_thread_poll(s.app, 0, 0);
    }
    if (completions.done != accepted) {
        fail("an accepted I/O did not complete exactly once");
    }
    if (completions.failed != 0) {
        fail("a valid I/O failed");
    }
    check_and_learn(ios, s.targets);
    for (size_t i = 0; i < s.targets.size(); ++i) {
        spdk_bdev_io_stat after{};
        spdk_bdev_get_io_stat(s.targets[i].bdev, s.targets[i].ch, &after,
                              SPDK_BDEV_RESET_STAT_NONE);
        if (after.num_read_ops - before[i].num_read_ops != reads[i] ||
            after.num_write_ops - before[i].num_write_ops != writes[i] ||
            after.bytes_read - before[i].bytes_read != bytes_read[i] ||
            after.bytes_written - before[i].bytes_written != bytes_written[i]) {
            fail("the statistics do not count the completed I/O");
        }
    }
    spdk_set_thread(nullptr);
    return 0;
}
