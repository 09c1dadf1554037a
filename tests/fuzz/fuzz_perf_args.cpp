// libFuzzer target: spdkcpp-perf's command line, perf::parse(argc, argv)
// (tools/perf/options.cpp), and perf::parse_size on every argument.
//
// The input is split into arguments on NUL and newline. Inputs with a '/' are
// refused, and the fuzzer runs in an empty directory of its own (with one small
// job file, jobs.ini), so the -c and -j that parse reads name no file outside it
// (no /dev/zero, no /proc).
//
// Checked beyond "no crash, no exception out of parse": a parsed command line
// satisfies what the tool relies on (a bdev to run on, a depth, an I/O size, a run
// time in range, a read percentage up to 100, a block size that is a multiple of
// 512); parse_size agrees with a plain reading of its text.
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "options.hpp"

namespace {

[[noreturn]] void fail(const char *what, const std::string &input) {
    std::fprintf(stderr, "fuzz_perf_args: %s (input '%s')\n", what, input.c_str());
    std::abort();
}

// A directory of its own, made once: the process works in it from then on.
void enter_scratch_directory() {
    static const bool entered = [] {
        char templ[] = "/tmp/spdkcpp_fuzz_perf_args.XXXXXX";
        const char *dir = mkdtemp(templ);
        if (dir == nullptr || chdir(dir) != 0) {
            std::perror("fuzz_perf_args: scratch directory");
            std::abort();
        }
        std::ofstream("jobs.ini") << "[global]\nfilename=Malloc0\nbs=4k\n[reads]\nrw=randread\n"
                                     "iodepth=4\n";
        return true;
    }();
    (void)entered;
}

// parse_size's meaning, read plainly: digits, then k, m or g (optionally with b).
void check_size(const std::string &text) {
    const auto parsed = perf::parse_size(text);
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
        ++digits;
    }
    if (!parsed) {
        return;  // refusals are not checked against a model: only what is accepted
    }
    if (digits == 0) {
        fail("parse_size accepts a text that starts with no digit", text);
    }
    unsigned __int128 value = 0;
    for (size_t i = 0; i < digits; ++i) {
        value = value * 10 + static_cast<unsigned>(text[i] - '0');
        if (value > UINT64_MAX) {
            fail("parse_size accepts a number past 64 bits", text);
        }
    }
    const std::string suffix = text.substr(digits);
    unsigned shift = 0;
    if (!suffix.empty()) {
        const int c = std::tolower(static_cast<unsigned char>(suffix[0]));
        shift = c == 'k' ? 10 : c == 'm' ? 20 : c == 'g' ? 30 : 99;
        const bool b =
            suffix.size() == 2 && std::tolower(static_cast<unsigned char>(suffix[1])) == 'b';
        if (shift == 99 || (suffix.size() != 1 && !b)) {
            fail("parse_size accepts an unknown suffix", text);
        }
    }
    value <<= shift;
    if (value > UINT64_MAX || static_cast<uint64_t>(value) != *parsed) {
        fail("parse_size's value differs from its text's", text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    if (input.find('/') != std::string::npos) {
        return -1;
    }
    enter_scratch_directory();
    std::vector<std::string> args{"spdkcpp-perf"};
    size_t start = 0;
    for (size_t i = 0; i <= input.size(); ++i) {
        if (i == input.size() || input[i] == '\0' || input[i] == '\n') {
            args.push_back(input.substr(start, i - start));
            start = i + 1;
        }
    }
    std::vector<char *> argv;
    for (std::string &a : args) {
        argv.push_back(a.data());
        check_size(a);
    }
    argv.push_back(nullptr);

    const auto options = perf::parse(static_cast<int>(args.size()), argv.data());
    if (!options) {
        if (options.error().context().empty()) {
            fail("a refusal without a message", input);
        }
        return 0;
    }
    const perf::Options &o = *options;
    if (o.config_file.empty() && !o.malloc_bytes) {
        fail("no bdev to run on", input);
    }
    if (o.malloc_block_size == 0 || o.malloc_block_size % 512 != 0) {
        fail("a malloc block size that is no multiple of 512", input);
    }
    if (o.malloc_bytes && (*o.malloc_bytes == 0 || *o.malloc_bytes % o.malloc_block_size != 0)) {
        fail("a malloc size that is no multiple of its block size", input);
    }
    if (!o.wait_for_tests) {
        if (!(o.seconds > 0) || !std::isfinite(o.seconds) || o.seconds > perf::kMaxSeconds) {
            fail("a run time out of range", input);
        }
        if (o.job_file.empty() && (o.queue_depth == 0 || o.io_size == 0)) {
            fail("a job without a depth or an I/O size", input);
        }
    }
    if (o.read_percent > 100) {
        fail("a read percentage over 100", input);
    }
    if (o.zipf_theta && !(*o.zipf_theta >= 0.0 && *o.zipf_theta < 1.0)) {
        fail("a Zipf theta out of [0, 1)", input);
    }
    for (const perf::JobSection &job : o.job_sections) {
        if (job.bdevs.empty() || job.io_size == 0 || job.queue_depth == 0 ||
            job.read_percent > 100) {
            fail("a job section out of range", input);
        }
    }
    return 0;
}
