// Unit tests of spdkcpp-perf's parts: the histogram, sizes, options, config.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "job_file.hpp"
#include "options.hpp"
#include "report.hpp"

namespace perf {
namespace {

TEST(LatencyHistogram, PercentilesWithinBucketResolution) {
    LatencyHistogram h;
    for (uint64_t v = 1; v <= 10'000; ++v) {
        h.record(v * 100);  // 100 .. 1,000,000 ticks
    }
    EXPECT_EQ(h.count(), 10'000U);
    EXPECT_EQ(h.min(), 100U);
    EXPECT_EQ(h.max(), 1'000'000U);
    EXPECT_NEAR(h.mean(), 500'050.0, 1.0);
    auto near = [](uint64_t got, double want) {
        return std::abs(static_cast<double>(got) - want) <= want * 0.04;
    };
    EXPECT_TRUE(near(h.percentile(0.50), 500'000)) << h.percentile(0.50);
    EXPECT_TRUE(near(h.percentile(0.99), 990'000)) << h.percentile(0.99);
    EXPECT_TRUE(near(h.percentile(0.999), 999'000)) << h.percentile(0.999);
    EXPECT_EQ(h.percentile(1.0), 1'000'000U);
}

TEST(LatencyHistogram, BucketsCoverEveryValueInOrder) {
    for (uint64_t v : {0ULL, 1ULL, 31ULL, 32ULL, 33ULL, 1000ULL, 1ULL << 40, ~0ULL}) {
        const uint32_t i = LatencyHistogram::index(v);
        ASSERT_LT(i, LatencyHistogram::kBuckets);
        EXPECT_GE(LatencyHistogram::upper_bound(i), v);
        if (i > 0) {
            EXPECT_LT(LatencyHistogram::upper_bound(i - 1), v);
        }
    }
}

TEST(LatencyHistogram, EmptyReportsZeros) {
    const LatencyHistogram h;
    EXPECT_EQ(h.count(), 0U);
    EXPECT_EQ(h.min(), 0U);
    EXPECT_EQ(h.max(), 0U);
    EXPECT_EQ(h.mean(), 0.0);
    EXPECT_EQ(h.percentile(0.99), 0U);
}

TEST(LatencyHistogram, MergeAddsUp) {
    LatencyHistogram a;
    LatencyHistogram b;
    a.record(10);
    b.record(1000);
    b.record(2000);
    a.merge(b);
    EXPECT_EQ(a.count(), 3U);
    EXPECT_EQ(a.min(), 10U);
    EXPECT_EQ(a.max(), 2000U);
}

TEST(ParseSize, SuffixesAndErrors) {
    EXPECT_EQ(*parse_size("4096"), 4096U);
    EXPECT_EQ(*parse_size("4k"), 4096U);
    EXPECT_EQ(*parse_size("64K"), 65536U);
    EXPECT_EQ(*parse_size("256M"), 256ULL << 20);
    EXPECT_EQ(*parse_size("1G"), 1ULL << 30);
    EXPECT_EQ(*parse_size("2MB"), 2ULL << 20);
    EXPECT_FALSE(parse_size("x"));
    EXPECT_FALSE(parse_size("4q"));
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("-4"));
    // The message names the suffix and the ones there are (not "not a multiple").
    auto t = parse_size("100T");
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().context().find("unknown size suffix 'T'"), std::string::npos)
        << t.error().context();
    EXPECT_NE(t.error().context().find("k, m or g"), std::string::npos);
}

spdkcpp::Result<Options> parse_args(std::vector<std::string> args) {
    args.insert(args.begin(), "spdkcpp-perf");
    std::vector<char *> argv;
    for (auto &a : args) {
        argv.push_back(a.data());
    }
    return parse(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, BdevperfFlags) {
    auto o = parse_args({"--malloc", "256M", "-q", "32", "-o", "4k", "-w", "randrw", "-M", "70",
                         "-t", "3", "-m", "0x3", "-b", "Malloc0", "-b", "Null0", "--json"});
    ASSERT_TRUE(o) << o.error().context();
    EXPECT_EQ(o->queue_depth, 32U);
    EXPECT_EQ(o->io_size, 4096U);
    EXPECT_EQ(o->workload, Workload::RandRw);
    EXPECT_EQ(o->read_percent, 70U);
    EXPECT_EQ(o->seconds, 3.0);
    EXPECT_EQ(o->core_mask, "0x3");
    EXPECT_EQ(o->bdevs, (std::vector<std::string>{"Malloc0", "Null0"}));
    EXPECT_TRUE(o->json);
    EXPECT_EQ(*o->malloc_bytes, 256ULL << 20);
}

TEST(Options, BadValuesAreNamed) {
    auto expect_error = [](std::vector<std::string> args, const std::string &mentions) {
        auto o = parse_args(std::move(args));
        ASSERT_FALSE(o);
        EXPECT_NE(o.error().context().find(mentions), std::string::npos) << o.error().context();
    };
    expect_error({"--malloc", "4M", "-q", "0", "-o", "4k", "-w", "read", "-t", "1"}, "-q");
    expect_error({"--malloc", "4M", "-q", "1", "-o", "0", "-w", "read", "-t", "1"}, "-o");
    expect_error({"--malloc", "4M", "-q", "1", "-o", "4k", "-w", "sideways", "-t", "1"}, "-w");
    expect_error({"--malloc", "4M", "-q", "1", "-o", "4k", "-w", "read", "-t", "0"}, "-t");
    expect_error({"--malloc", "4M", "-q", "1", "-o", "4k", "-w", "rw", "-t", "1"}, "-M");
    expect_error({"--malloc", "4M", "-q", "1", "-o", "4k", "-w", "rw", "-M", "101", "-t", "1"},
                 "-M");
    expect_error({"--malloc", "100", "-q", "1", "-o", "4k", "-w", "read", "-t", "1"}, "--malloc");
    expect_error({"-q", "1", "-o", "4k", "-w", "read", "-t", "1"}, "--malloc");
    expect_error({"--malloc", "4M", "-o", "4k", "-w", "read", "-t", "1"}, "-q is required");
    expect_error({"--malloc", "4M", "-q", "1", "-w", "read", "-t", "1"}, "-o is required");
    expect_error({"--malloc", "4M", "-q", "1", "-o", "4k", "-t", "1"}, "-w is required");
    for (const char *t : {"8e9", "inf", "nan", "2147483647"}) {
        expect_error({"--malloc", "4M", "-q", "1", "-o", "4k", "-w", "read", "-t", t}, "-t");
    }
    for (const char *bs : {"0", "100", "520"}) {
        expect_error({"--malloc", "4M", "--malloc-block-size", bs, "-q", "1", "-o", "4k", "-w",
                      "read", "-t", "1"},
                     "--malloc-block-size");
    }
    expect_error({"--malloc", "100T", "-q", "1", "-o", "4k", "-w", "read", "-t", "1"},
                 "unknown size suffix 'T'");
}

TEST(Options, ReadPercentOutsideRwIsIgnoredWithAWarning) {
    auto o =
        parse_args({"--malloc", "4M", "-q", "1", "-o", "4k", "-w", "read", "-M", "30", "-t", "1"});
    ASSERT_TRUE(o) << o.error().context();
    ASSERT_EQ(o->warnings.size(), 1U);
    EXPECT_NE(o->warnings[0].find("ignoring -M"), std::string::npos);
    auto rw =
        parse_args({"--malloc", "4M", "-q", "1", "-o", "4k", "-w", "rw", "-M", "30", "-t", "1"});
    ASSERT_TRUE(rw);
    EXPECT_TRUE(rw->warnings.empty());
}

// A config file in a temporary directory, removed with it.
class ConfigFile {
  public:
    explicit ConfigFile(const std::string &text)
        : path_(std::filesystem::temp_directory_path() /
                ("perf_test_" + std::to_string(::getpid()) + "_" + std::to_string(next_++) +
                 ".json")) {
        std::ofstream(path_) << text;
    }
    ~ConfigFile() { std::filesystem::remove(path_); }
    ConfigFile(const ConfigFile &) = delete;
    ConfigFile &operator=(const ConfigFile &) = delete;
    [[nodiscard]] std::string path() const { return path_.string(); }

  private:
    static inline int next_ = 0;
    std::filesystem::path path_;
};

spdkcpp::Result<std::string> config_of(const std::string &path) {
    Options o;
    o.config_file = path;
    return o.json_config();
}

TEST(Options, ConfigCommentsAreAccepted) {
    ConfigFile file("// a comment\n{\"subsystems\": [ /* none */ ]} // and another\n");
    auto text = config_of(file.path());
    ASSERT_TRUE(text) << text.error().context();
    EXPECT_EQ(nlohmann::json::parse(*text)["subsystems"].size(), 0U);
}

TEST(Options, ConfigNestingIsLimitedAsSpdks) {
    auto nested = [](int depth) {
        // depth containers: an object holding depth - 1 arrays.
        return "{\"a\": " + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
    };
    ConfigFile ok(nested(64));
    EXPECT_TRUE(config_of(ok.path()));
    ConfigFile too_deep(nested(65));
    auto refused = config_of(too_deep.path());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().context().find("deeper than 64"), std::string::npos);
    ConfigFile far_too_deep(nested(70'000));
    EXPECT_FALSE(config_of(far_too_deep.path()));
}

TEST(Options, ConfigThatIsADirectoryIsRefused) {
    auto r = config_of(std::filesystem::temp_directory_path().string());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().context().find("is a directory"), std::string::npos) << r.error().context();
}

TEST(Options, MallocConfigIsSpdkJson) {
    auto o = parse_args({"--malloc", "1M", "-q", "1", "-o", "4k", "-w", "read", "-t", "1"});
    ASSERT_TRUE(o);
    auto text = o->json_config();
    ASSERT_TRUE(text);
    const auto doc = nlohmann::json::parse(*text);
    const auto &entry = doc["subsystems"][0]["config"][0];
    EXPECT_EQ(doc["subsystems"][0]["subsystem"], "bdev");
    EXPECT_EQ(entry["method"], "bdev_malloc_create");
    EXPECT_EQ(entry["params"]["name"], "Malloc0");
    EXPECT_EQ(entry["params"]["num_blocks"], 2048);
    EXPECT_EQ(entry["params"]["block_size"], 512);
}

// --- bdevperf's job file (-j) ------------------------------------------------------

spdkcpp::Result<std::vector<JobSection>> jobs(const std::string &text,
                                              const JobDefaults &cli = {}) {
    std::vector<std::string> warnings;
    return parse_job_file(text, "test.ini", cli, warnings);
}

TEST(JobFile, SectionsTakeGlobalsAndTheirOwnKeys) {
    std::vector<std::string> warnings;
    auto j = parse_job_file(R"(# comment
[global]
filename=Malloc0:Null0
bs=4k
iodepth 16
rwmixread=70

[mixed]
rw=randrw
cpumask=0x2
offset=100
length=200
[single]
filename = Malloc1
rw=verify
bs=8192
iodepth=4
colour=blue
)",
                            "test.ini", {}, warnings);
    ASSERT_TRUE(j) << j.error().context();
    ASSERT_EQ(j->size(), 2U);
    const JobSection &mixed = (*j)[0];
    EXPECT_EQ(mixed.name, "mixed");
    EXPECT_EQ(mixed.bdevs, (std::vector<std::string>{"Malloc0", "Null0"}));
    EXPECT_EQ(mixed.cpumask, "0x2");
    EXPECT_EQ(mixed.workload, Workload::RandRw);
    EXPECT_EQ(mixed.io_size, 4096U);
    EXPECT_EQ(mixed.queue_depth, 16U);
    EXPECT_EQ(mixed.read_percent, 70U);
    EXPECT_EQ(mixed.offset_blocks, 100U);
    EXPECT_EQ(mixed.length_blocks, 200U);
    const JobSection &single = (*j)[1];
    EXPECT_EQ(single.bdevs, (std::vector<std::string>{"Malloc1"}));
    EXPECT_EQ(single.workload, Workload::Verify);
    EXPECT_EQ(single.io_size, 8192U);
    EXPECT_EQ(single.queue_depth, 4U);
    EXPECT_EQ(single.cpumask, "");  // every core of -m
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_NE(warnings[0].find("unknown key 'colour'"), std::string::npos) << warnings[0];
}

// As bdevperf's: -T, -o, -q, -M and -w override [global], not a job's own keys.
TEST(JobFile, TheCommandLineOverridesGlobalNotTheJobs) {
    const JobDefaults cli{{"Null0"}, 512, 2, 30, "randwrite"};
    auto j = jobs(R"([global]
bs=4096
iodepth=8
rw=read
[inherits]
[own]
filename=Malloc0
iodepth=64
)",
                  cli);
    ASSERT_TRUE(j) << j.error().context();
    EXPECT_EQ((*j)[0].bdevs, (std::vector<std::string>{"Null0"}));
    EXPECT_EQ((*j)[0].io_size, 512U);
    EXPECT_EQ((*j)[0].queue_depth, 2U);
    EXPECT_EQ((*j)[0].read_percent, 30U);
    EXPECT_EQ((*j)[0].workload, Workload::RandWrite);
    EXPECT_EQ((*j)[1].bdevs, (std::vector<std::string>{"Malloc0"}));
    EXPECT_EQ((*j)[1].queue_depth, 64U);
}

// A job's global defaults are the [global] before it; a later [global] starts
// over from the command line's.
TEST(JobFile, ALaterGlobalStartsOver) {
    auto j = jobs(R"([global]
bs=4096
[a]
filename=M
rw=read
iodepth=1
[global]
iodepth=2
[b]
filename=M
rw=read
)");
    ASSERT_FALSE(j);
    EXPECT_NE(j.error().context().find("job 'b' (line 9) has no 'bs'"), std::string::npos)
        << j.error().context();
}

TEST(JobFile, MistakesAreNamedWithTheirJob) {
    const auto expect_error = [](const std::string &text, const std::string &mentions) {
        auto j = jobs(text);
        ASSERT_FALSE(j) << text;
        EXPECT_EQ(j.error().kind(), spdkcpp::ErrorKind::InvalidParameter);
        EXPECT_NE(j.error().context().find(mentions), std::string::npos) << j.error().context();
    };
    const std::string job = "[j]\nfilename=M\nrw=read\nbs=512\niodepth=1\n";
    EXPECT_TRUE(jobs(job)) << "the base job is valid";
    expect_error("[j]\nrw=read\nbs=512\niodepth=1\n", "has no 'filename'");
    expect_error("[j]\nfilename=M\nbs=512\niodepth=1\n", "has no 'rw'");
    expect_error("[j]\nfilename=M\nrw=read\niodepth=1\n", "has no 'bs'");
    expect_error("[j]\nfilename=M\nrw=read\nbs=512\n", "has no 'iodepth'");
    expect_error(job + "rw=sideways\n", "unknown rw 'sideways'");
    expect_error(job + "bs=0\n", "bs must be greater than 0");
    expect_error(job + "bs=4q\n", "bs:");
    expect_error(job + "iodepth=0\n", "iodepth must be greater than 0");
    expect_error(job + "iodepth=-1\n", "iodepth=-1 is not a whole number");
    expect_error(job + "iodepth=99999999999\n", "too large");
    expect_error(job + "rwmixread=101\n", "rwmixread is 0 to 100");
    expect_error(job + "length=12x\n", "not a whole number");
    expect_error(job + "filename\n", "'filename' has no value");
    expect_error("bs=512\n" + job, "before any [section]");
    expect_error("[j\n", "not a [section] header");
    expect_error("# nothing\n[global]\nbs=512\n", "has no job");
    expect_error("", "has no job");
}

TEST(JobFile, AnOffsetWithoutALengthIsIgnoredWithAWarning) {
    std::vector<std::string> warnings;
    auto j = parse_job_file("[j]\nfilename=M\nrw=read\nbs=512\niodepth=1\noffset=64\n", "test.ini",
                            {}, warnings);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)[0].offset_blocks, 0U);
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_NE(warnings[0].find("offset=64 without a length"), std::string::npos) << warnings[0];
}

TEST(Options, AJobFileMakesQOAndWOptional) {
    char path[] = "/tmp/spdkcpp_perf_jobs_XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << "[j]\nfilename=Malloc0\nrw=read\nbs=512\niodepth=1\n";
    auto o = parse_args({"--malloc", "4M", "-j", path, "-t", "1"});
    std::filesystem::remove(path);
    ASSERT_TRUE(o) << o.error().context();
    ASSERT_EQ(o->job_sections.size(), 1U);
    EXPECT_EQ(o->job_sections[0].workload, Workload::Read);
    auto missing = parse_args({"--malloc", "4M", "-j", "/nonexistent/jobs.ini", "-t", "1"});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().context().find("cannot read job file"), std::string::npos);
}

// --- -l ---------------------------------------------------------------------------------

TEST(LatencyReport, PercentilesAtBdevperfsCutoffsAndTheHistogram) {
    LatencyHistogram h;
    for (uint64_t v = 1; v <= 1000; ++v) {
        h.record(v);
    }
    EXPECT_EQ(latency_report(h, 0), "");
    const std::string summary = latency_report(h, 1);
    // 15 of bdevperf's percentages, each on its line, rising.
    EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 15);
    EXPECT_NE(summary.find(" 50.00000% : "), std::string::npos) << summary;
    EXPECT_NE(summary.find(" 99.99999% : "), std::string::npos) << summary;
    EXPECT_EQ(summary.find("Range in us"), std::string::npos);
    const std::string full = latency_report(h, 2);
    EXPECT_EQ(full.rfind(summary, 0), 0U);
    EXPECT_NE(full.find("Range in us"), std::string::npos);
    EXPECT_NE(full.find("100.0000%"), std::string::npos) << "the last bucket is cumulative 100%";
    EXPECT_EQ(latency_report(LatencyHistogram{}, 2), "");
}

TEST(LatencyHistogram, BucketsAreVisitedInOrderAndCountEverySample) {
    LatencyHistogram h;
    for (uint64_t v : {5ULL, 5ULL, 700ULL, 1ULL << 30}) {
        h.record(v);
    }
    uint64_t seen = 0;
    uint64_t last_high = 0;
    bool first = true;
    h.for_each_bucket([&](uint64_t low, uint64_t high, uint64_t count) {
        EXPECT_LE(low, high);
        if (!first) {
            EXPECT_GT(low, last_high);
        }
        first = false;
        last_high = high;
        seen += count;
    });
    EXPECT_EQ(seen, 4U);
}

}  // namespace
}  // namespace perf
