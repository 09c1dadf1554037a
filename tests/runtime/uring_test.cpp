// The io_uring bdev module of the embedded runtime, doing real I/O to files: bdevs
// created from a JSON config (SPDK's bdev_uring_create), data written through the bdev
// and checked both through the bdev and with pread() on the file, the errors of the
// RPC methods, deletion with descriptors open, and the buffered fallback on tmpfs.
//
// Threads are driven by hand from the test's OS thread; completions come from the
// kernel asynchronously, so every wait polls with a deadline.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bdev_test_util.hpp"
#include "internal/rpc.hpp"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/json.h"
#include "spdk/string.h"
#include "spdk/thread.h"

namespace {

using spdk_test::BdevFixture;
using spdk_test::DmaBuffer;
using spdk_test::Events;
using spdk_test::io_done;
using spdk_test::IoResult;
using spdk_test::LogCapture;

constexpr uint64_t kFileSize = 4 * 1024 * 1024;

bool is_tmpfs(const std::string &dir) {
    struct statfs fs {};
    return statfs(dir.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == TMPFS_MAGIC;
}

// Where the test files go: the first of $TMPDIR, /var/tmp and /tmp that is not tmpfs
// (on tmpfs the module copies without io_uring, and the tests want the ring), else
// $TMPDIR or /tmp.
std::string temp_dir() {
    static const std::string dir = [] {
        const char *env = std::getenv("TMPDIR");
        const std::string first = env != nullptr && env[0] != '\0' ? env : "/tmp";
        for (const std::string &candidate : {first, std::string("/var/tmp"), std::string("/tmp")}) {
            if (access(candidate.c_str(), W_OK) == 0 && !is_tmpfs(candidate)) {
                return candidate;
            }
        }
        return first;
    }();
    return dir;
}

// A file of a given size, removed at the end of its scope.
class TempFile {
  public:
    TempFile(const std::string &dir, uint64_t size) {
        std::string templ = dir + "/spdkcpp-uring-XXXXXX";
        const int fd = mkstemp(templ.data());
        EXPECT_GE(fd, 0) << templ << ": " << std::strerror(errno);
        if (fd < 0) {
            return;
        }
        EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
        close(fd);
        path_ = templ;
    }
    ~TempFile() {
        if (!path_.empty()) {
            unlink(path_.c_str());
        }
    }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;

    const std::string &path() const { return path_; }

    // The file's bytes, read with a descriptor of its own.
    std::vector<uint8_t> read(uint64_t offset, size_t len) const {
        std::vector<uint8_t> data(len);
        const int fd = open(path_.c_str(), O_RDONLY);
        EXPECT_GE(fd, 0);
        if (fd >= 0) {
            EXPECT_EQ(pread(fd, data.data(), len, static_cast<off_t>(offset)),
                      static_cast<ssize_t>(len));
            close(fd);
        }
        return data;
    }
    void write(uint64_t offset, const void *data, size_t len) const {
        const int fd = open(path_.c_str(), O_WRONLY);
        ASSERT_GE(fd, 0);
        EXPECT_EQ(pwrite(fd, data, len, static_cast<off_t>(offset)), static_cast<ssize_t>(len));
        close(fd);
    }
    void resize(uint64_t size) const { EXPECT_EQ(truncate(path_.c_str(), size), 0); }

  private:
    std::string path_;
};

// The descriptors of this process open on path.
std::vector<int> fds_open_on(const std::string &path) {
    std::vector<int> fds;
    DIR *dir = opendir("/proc/self/fd");
    if (dir == nullptr) {
        return fds;
    }
    while (dirent *entry = readdir(dir)) {
        char target[4096];
        const std::string link = std::string("/proc/self/fd/") + entry->d_name;
        const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
        if (n > 0 && std::string(target, static_cast<size_t>(n)) == path) {
            fds.push_back(std::atoi(entry->d_name));
        }
    }
    closedir(dir);
    return fds;
}

// The open flags of descriptor fd (from /proc/self/fdinfo), or -1.
long fd_flags(int fd) {
    FILE *f = std::fopen(("/proc/self/fdinfo/" + std::to_string(fd)).c_str(), "r");
    if (f == nullptr) {
        return -1;
    }
    long flags = -1;
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
        if (std::strncmp(line, "flags:", 6) == 0) {
            flags = std::strtol(line + 6, nullptr, 8);
        }
    }
    std::fclose(f);
    return flags;
}

bool same(const uint8_t *a, const std::vector<uint8_t> &b) {
    return std::memcmp(a, b.data(), b.size()) == 0;
}

bool all_zero(const std::vector<uint8_t> &v) {
    for (uint8_t b : v) {
        if (b != 0) {
            return false;
        }
    }
    return true;
}

// Takes CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of this OS thread's effective
// capabilities while it lives, so that file permissions apply to root too.
class NoDacOverride {
  public:
    NoDacOverride() {
        if (syscall(SYS_capget, &header_, saved_) != 0) {
            return;
        }
        __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
        reduced[0].effective &= ~((1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH));
        changed_ = syscall(SYS_capset, &header_, reduced) == 0;
    }
    ~NoDacOverride() {
        if (changed_) {
            syscall(SYS_capset, &header_, saved_);
        }
    }
    NoDacOverride(const NoDacOverride &) = delete;
    NoDacOverride &operator=(const NoDacOverride &) = delete;

  private:
    __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct saved_[2]{};
    bool changed_ = false;
};

// A completion that remembers how often the bdev layer had to submit it again.
struct RetryResult {
    int completions = 0;
    bool success = false;
    uint16_t retries = 0;
};

void retry_done(spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    auto *r = static_cast<RetryResult *>(cb_arg);
    r->completions++;
    r->success = success;
    r->retries = bdev_io->num_retries;
    spdk_bdev_free_io(bdev_io);
}

class UringFixture : public BdevFixture {
  protected:
    void SetUp() override {
        BdevFixture::SetUp();
        file_ = std::make_unique<TempFile>(temp_dir(), kFileSize);
        ASSERT_FALSE(file_->path().empty());
        watched_.push_back(file_->path());
    }

    void TearDown() override {
        spdk_set_thread(app_);
        release();
        poll_all();
        BdevFixture::TearDown();
        // Every uring bdev is gone with the bdev subsystem: so are its descriptors.
        for (const std::string &path : watched_) {
            EXPECT_TRUE(fds_open_on(path).empty()) << path << " is still open";
        }
        file_.reset();
    }

    // Applies a config with one bdev_uring_create entry; returns its rc.
    int create(const std::string &name, const std::string &path, uint32_t block_size = 512) {
        nlohmann::json params = {{"name", name}, {"filename", path}};
        if (block_size != 0) {
            params["block_size"] = block_size;
        }
        nlohmann::json config = {
            {"subsystems",
             {{{"subsystem", "bdev"},
               {"config", {{{"method", "bdev_uring_create"}, {"params", params}}}}}}}};
        return load_config(config.dump());
    }

    // Calls a JSON-RPC method directly, as the config loader does.
    int rpc(const std::string &method, const nlohmann::json &params, std::string *error = nullptr) {
        spdk_set_thread(app_);
        std::string text;
        const int rc = spdk_embedded::call_rpc(method, params, text);
        if (error != nullptr) {
            *error = text;
        }
        return rc;
    }

    // Polls every thread until done() holds, or gives up after 60 seconds: a guard
    // against a hang (the kernel completes uring I/O in its own time), never a timing
    // check, so a loaded machine only makes it slower.
    template <typename Pred>
    bool wait_for(Pred done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            spdk_thread_poll(app_, 0, 0);
            for (spdk_thread *t : threads_) {
                spdk_thread_poll(t, 0, 0);
            }
        }
        return true;
    }

    // Opens name for writing on the current thread, with a channel.
    void open_bdev(const char *name) {
        desc_ = open(name, true);
        ASSERT_NE(desc_, nullptr);
        ch_ = spdk_bdev_get_io_channel(desc_);
        ASSERT_NE(ch_, nullptr);
    }

    void release() {
        if (ch_ != nullptr) {
            spdk_put_io_channel(ch_);
            ch_ = nullptr;
        }
        if (desc_ != nullptr) {
            spdk_bdev_close(desc_);
            desc_ = nullptr;
        }
    }

    // Runs one request to its completion; returns whether it succeeded.
    template <typename Submit>
    bool run(Submit submit) {
        IoResult r;
        const int rc = submit(&r);
        EXPECT_EQ(rc, 0) << spdk_strerror(-rc);
        if (rc != 0) {
            return false;
        }
        EXPECT_TRUE(wait_for([&] { return r.completions > 0; })) << "no completion";
        EXPECT_EQ(r.completions, 1);
        return r.success;
    }

    bool write(const void *buf, uint64_t offset, uint64_t len) {
        return run([&](IoResult *r) {
            return spdk_bdev_write(desc_, ch_, const_cast<void *>(buf), offset, len, io_done, r);
        });
    }
    bool read(void *buf, uint64_t offset, uint64_t len) {
        return run(
            [&](IoResult *r) { return spdk_bdev_read(desc_, ch_, buf, offset, len, io_done, r); });
    }

    // The descriptor the module holds on path (exactly one is expected).
    int module_fd(const std::string &path) {
        const std::vector<int> fds = fds_open_on(path);
        EXPECT_EQ(fds.size(), 1U) << path;
        return fds.empty() ? -1 : fds[0];
    }

    std::unique_ptr<TempFile> file_;
    std::vector<std::string> watched_;
    spdk_bdev_desc *desc_ = nullptr;
    spdk_io_channel *ch_ = nullptr;
};

// Named after the module, so that `ctest -R uring` selects these tests.
using bdev_uring = UringFixture;

// ---- creation ------------------------------------------------------------------------

TEST_F(bdev_uring, ConfigCreatesABdevOverTheFile) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    spdk_bdev *bdev = spdk_bdev_get_by_name("Uring0");
    ASSERT_NE(bdev, nullptr);
    EXPECT_STREQ(spdk_bdev_get_module_name(bdev), "uring");
    EXPECT_STREQ(spdk_bdev_get_product_name(bdev), "URING bdev");
    EXPECT_EQ(spdk_bdev_get_block_size(bdev), 512U);
    EXPECT_EQ(spdk_bdev_get_num_blocks(bdev), kFileSize / 512);
    EXPECT_EQ(spdk_bdev_get_buf_align(bdev), 512U) << "buffers aligned to the block size";
    EXPECT_TRUE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_READ));
    EXPECT_TRUE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_WRITE));
    EXPECT_TRUE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_FLUSH));
    EXPECT_TRUE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_RESET));
    EXPECT_FALSE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_COMPARE));
    EXPECT_FALSE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_NVME_IO));
    EXPECT_EQ(fds_open_on(file_->path()).size(), 1U) << "the bdev holds one descriptor";
}

TEST_F(bdev_uring, BlockSizeAndUuidAreTakenFromTheParameters) {
    std::string error;
    ASSERT_EQ(rpc("bdev_uring_create",
                  {{"name", "Uring4k"},
                   {"filename", file_->path()},
                   {"block_size", 4096},
                   {"uuid", "11111111-2222-4333-8444-555555555555"}},
                  &error),
              0)
        << error;
    spdk_bdev *bdev = spdk_bdev_get_by_name("Uring4k");
    ASSERT_NE(bdev, nullptr);
    EXPECT_EQ(spdk_bdev_get_block_size(bdev), 4096U);
    EXPECT_EQ(spdk_bdev_get_num_blocks(bdev), kFileSize / 4096);
    EXPECT_EQ(spdk_bdev_get_buf_align(bdev), 4096U);
    EXPECT_EQ(spdk_bdev_get_by_name("11111111-2222-4333-8444-555555555555"), bdev);
}

TEST_F(bdev_uring, WrittenConfigRecreatesTheBdev) {
    ASSERT_EQ(rpc("bdev_uring_create", {{"name", "Uring0"},
                                        {"filename", file_->path()},
                                        {"block_size", 1024},
                                        {"uuid", "11111111-2222-4333-8444-555555555555"}}),
              0);
    std::string out;
    spdk_json_write_ctx *w = spdk_json_write_begin(
        [](void *ctx, const void *data, size_t size) {
            static_cast<std::string *>(ctx)->append(static_cast<const char *>(data), size);
            return 0;
        },
        &out, 0);
    ASSERT_NE(w, nullptr);
    spdk_bdev_subsystem_config_json(w);
    ASSERT_EQ(spdk_json_write_end(w), 0);
    const nlohmann::json entries = nlohmann::json::parse(out);
    int found = 0;
    for (const auto &entry : entries) {
        if (entry.value("method", "") != "bdev_uring_create") {
            continue;
        }
        ++found;
        const nlohmann::json &params = entry.at("params");
        EXPECT_EQ(params.at("name"), "Uring0");
        EXPECT_EQ(params.at("filename"), file_->path());
        EXPECT_EQ(params.at("block_size"), 1024);
        EXPECT_EQ(params.at("uuid"), "11111111-2222-4333-8444-555555555555");
    }
    EXPECT_EQ(found, 1) << out;
}

// ---- I/O -----------------------------------------------------------------------------

TEST_F(bdev_uring, WrittenBytesReachTheFileAndReadBack) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    DmaBuffer out(64 * 1024);
    out.fill(1);
    ASSERT_TRUE(write(out.data(), 128 * 1024, out.size()));
    // Through the bdev...
    DmaBuffer in(64 * 1024);
    ASSERT_TRUE(read(in.data(), 128 * 1024, in.size()));
    EXPECT_EQ(std::memcmp(in.data(), out.data(), out.size()), 0);
    // ...and in the file itself, with the blocks around still zero.
    EXPECT_TRUE(same(out.data(), file_->read(128 * 1024, out.size())));
    EXPECT_TRUE(all_zero(file_->read(128 * 1024 - 512, 512)));
    EXPECT_TRUE(all_zero(file_->read(192 * 1024, 512)));

    // Bytes put into the file behind the bdev's back are what the bdev reads.
    std::vector<uint8_t> behind(4096);
    for (size_t i = 0; i < behind.size(); ++i) {
        behind[i] = DmaBuffer::pattern(7, i);
    }
    file_->write(kFileSize - 4096, behind.data(), behind.size());
    DmaBuffer tail(4096);
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_read_blocks(desc_, ch_, tail.data(), kFileSize / 512 - 8, 8, io_done, r);
    }));
    EXPECT_TRUE(same(tail.data(), behind));
}

TEST_F(bdev_uring, WritevAndReadvSpreadDataOverSeveralIovecs) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    DmaBuffer out(8192);
    out.fill(2);
    // 512 + 1536 + 4096 + 2048 bytes out.
    iovec wiov[4] = {{out.data(), 512},
                     {out.data() + 512, 1536},
                     {out.data() + 2048, 4096},
                     {out.data() + 6144, 2048}};
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_writev(desc_, ch_, wiov, 4, 1024 * 1024, 8192, io_done, r);
    }));
    EXPECT_TRUE(same(out.data(), file_->read(1024 * 1024, 8192)));

    // Read back in reverse order over three iovecs of other sizes.
    DmaBuffer in(8192);
    iovec riov[3] = {{in.data() + 6144, 2048}, {in.data() + 1024, 5120}, {in.data(), 1024}};
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_readv_blocks(desc_, ch_, riov, 3, 2048, 16, io_done, r);
    }));
    EXPECT_EQ(std::memcmp(in.data() + 6144, out.data(), 2048), 0);
    EXPECT_EQ(std::memcmp(in.data() + 1024, out.data() + 2048, 5120), 0);
    EXPECT_EQ(std::memcmp(in.data(), out.data() + 7168, 1024), 0);
}

TEST_F(bdev_uring, FlushCompletes) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    DmaBuffer out(4096);
    out.fill(3);
    ASSERT_TRUE(write(out.data(), 0, 4096));
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_flush_blocks(desc_, ch_, 0, kFileSize / 512, io_done, r);
    }));
    EXPECT_TRUE(same(out.data(), file_->read(0, 4096)));
}

TEST_F(bdev_uring, ResetCompletes) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    EXPECT_TRUE(run([&](IoResult *r) { return spdk_bdev_reset(desc_, ch_, io_done, r); }));
}

TEST_F(bdev_uring, RequestsOutsideTheBdevAreEINVAL) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    const uint64_t blocks = kFileSize / 512;
    DmaBuffer buf(4096);
    IoResult r;
    EXPECT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), blocks, 1, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_read_blocks(desc_, ch_, buf.data(), blocks - 1, 2, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_write_blocks(desc_, ch_, buf.data(), blocks, 1, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_write(desc_, ch_, buf.data(), kFileSize, 512, io_done, &r), -EINVAL);
    EXPECT_EQ(spdk_bdev_read(desc_, ch_, buf.data(), 100, 512, io_done, &r), -EINVAL)
        << "offset not a multiple of the block size";
    EXPECT_EQ(spdk_bdev_read(desc_, ch_, buf.data(), 0, 100, io_done, &r), -EINVAL)
        << "length not a multiple of the block size";
    EXPECT_EQ(spdk_bdev_flush_blocks(desc_, ch_, blocks, 1, io_done, &r), -EINVAL);
    poll_all();
    EXPECT_EQ(r.completions, 0);
}

TEST_F(bdev_uring, ReadWithoutABufferGetsOneFromTheBdevLayer) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    std::vector<uint8_t> data(4096);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = DmaBuffer::pattern(4, i);
    }
    file_->write(8192, data.data(), data.size());
    IoResult r;
    r.keep_io = true;
    ASSERT_EQ(spdk_bdev_read_blocks(desc_, ch_, nullptr, 16, 8, io_done, &r), 0);
    ASSERT_TRUE(wait_for([&] { return r.completions > 0; }));
    ASSERT_TRUE(r.success);
    ASSERT_NE(r.io, nullptr);
    iovec *iovs = nullptr;
    int iovcnt = 0;
    spdk_bdev_io_get_iovec(r.io, &iovs, &iovcnt);
    ASSERT_EQ(iovcnt, 1);
    ASSERT_NE(iovs[0].iov_base, nullptr);
    ASSERT_GE(iovs[0].iov_len, 4096U);
    EXPECT_TRUE(same(static_cast<uint8_t *>(iovs[0].iov_base), data));
    spdk_bdev_free_io(r.io);
}

TEST_F(bdev_uring, UnalignedBuffersWork) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    // Buffers 8 bytes off any alignment that direct I/O could want.
    DmaBuffer out(16384 + 4096);
    DmaBuffer in(16384 + 4096);
    out.fill(5);
    uint8_t *src = out.data() + 8;
    uint8_t *dst = in.data() + 8;
    ASSERT_TRUE(write(src, 64 * 1024, 16384));
    EXPECT_TRUE(same(src, file_->read(64 * 1024, 16384)));
    ASSERT_TRUE(read(dst, 64 * 1024, 16384));
    EXPECT_EQ(std::memcmp(dst, src, 16384), 0);
    EXPECT_EQ(in[7], 0) << "nothing written before the buffer";
    EXPECT_EQ(in[16384 + 8], 0) << "nothing written after the buffer";

    // iovecs whose lengths are not multiples of the block size.
    iovec riov[3] = {{dst, 100}, {dst + 100, 3000}, {dst + 3100, 996}};
    std::memset(dst, 0, 4096);
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_readv(desc_, ch_, riov, 3, 64 * 1024, 4096, io_done, r);
    }));
    EXPECT_EQ(std::memcmp(dst, src, 4096), 0);
}

TEST_F(bdev_uring, MoreRequestsThanTheRingHoldsAllComplete) {
    if (is_tmpfs(temp_dir())) {
        GTEST_SKIP() << temp_dir()
                     << " is tmpfs (no writable disk-backed directory among $TMPDIR, /var/tmp "
                        "and /tmp): reads and writes of a file in memory are copied without "
                        "the ring, so none is turned away with NOMEM";
    }
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    // More requests at once than the ring's CQ has entries (1024): the module turns
    // the excess away with NOMEM and the bdev layer submits it again.
    constexpr size_t kRequests = 1500;
    DmaBuffer out(kRequests * 512);
    out.fill(6);
    std::vector<RetryResult> results(kRequests);
    for (size_t i = 0; i < kRequests; ++i) {
        ASSERT_EQ(
            spdk_bdev_write_blocks(desc_, ch_, out.data() + i * 512, i, 1, retry_done, &results[i]),
            0)
            << "request " << i;
    }
    ASSERT_TRUE(wait_for([&] {
        for (const RetryResult &r : results) {
            if (r.completions == 0) {
                return false;
            }
        }
        return true;
    }));
    size_t retried = 0;
    for (size_t i = 0; i < kRequests; ++i) {
        EXPECT_EQ(results[i].completions, 1) << i;
        EXPECT_TRUE(results[i].success) << i;
        retried += results[i].retries > 0 ? 1 : 0;
    }
    // The ring turned the excess away: at least the requests beyond its CQ went
    // through the bdev layer's NOMEM retry.
    EXPECT_GE(retried, kRequests - 1024);
    EXPECT_TRUE(same(out.data(), file_->read(0, out.size())));

    DmaBuffer in(kRequests * 512);
    ASSERT_TRUE(read(in.data(), 0, in.size()));
    EXPECT_EQ(std::memcmp(in.data(), out.data(), in.size()), 0);
}

TEST_F(bdev_uring, EachThreadHasItsOwnRing) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    spdk_thread *worker = make_thread("worker");
    spdk_set_thread(worker);
    spdk_bdev_desc *wdesc = open("Uring0", true);
    ASSERT_NE(wdesc, nullptr);
    spdk_io_channel *wch = spdk_bdev_get_io_channel(wdesc);
    ASSERT_NE(wch, nullptr);

    DmaBuffer a(8192);
    DmaBuffer b(8192);
    a.fill(8);
    b.fill(9);
    IoResult ra;
    IoResult rb;
    ASSERT_EQ(spdk_bdev_write(wdesc, wch, b.data(), 8192, 8192, io_done, &rb), 0);
    spdk_set_thread(app_);
    ASSERT_EQ(spdk_bdev_write(desc_, ch_, a.data(), 0, 8192, io_done, &ra), 0);
    ASSERT_TRUE(wait_for([&] { return ra.completions > 0 && rb.completions > 0; }));
    EXPECT_TRUE(ra.success);
    EXPECT_TRUE(rb.success);
    EXPECT_EQ(ra.thread, app_);
    EXPECT_EQ(rb.thread, worker) << "completed on the submitting thread";
    EXPECT_TRUE(same(a.data(), file_->read(0, 8192)));
    EXPECT_TRUE(same(b.data(), file_->read(8192, 8192)));

    // Each thread reads what the other wrote.
    DmaBuffer in(8192);
    ASSERT_TRUE(read(in.data(), 8192, 8192));
    EXPECT_EQ(std::memcmp(in.data(), b.data(), 8192), 0);

    spdk_set_thread(worker);
    spdk_put_io_channel(wch);
    spdk_bdev_close(wdesc);
    spdk_set_thread(app_);
    poll_all();
}

TEST_F(bdev_uring, WriteZeroesAndUnmapReadBackAsZeroes) {
    for (const std::string &dir : {temp_dir(), std::string("/dev/shm")}) {
        SCOPED_TRACE(dir);
        struct stat st {};
        if (stat(dir.c_str(), &st) != 0) {
            continue;
        }
        TempFile file(dir, kFileSize);
        watched_.push_back(file.path());
        ASSERT_EQ(create("UringZ", file.path()), 0);
        open_bdev("UringZ");
        spdk_bdev *bdev = spdk_bdev_desc_get_bdev(desc_);
        ASSERT_TRUE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_WRITE_ZEROES));
        ASSERT_TRUE(spdk_bdev_io_type_supported(bdev, SPDK_BDEV_IO_TYPE_UNMAP));
        DmaBuffer out(64 * 1024);
        out.fill(10);
        ASSERT_TRUE(write(out.data(), 0, out.size()));
        // Zero 8 KiB at 8 KiB, unmap 16 KiB at 32 KiB.
        ASSERT_TRUE(run([&](IoResult *r) {
            return spdk_bdev_write_zeroes_blocks(desc_, ch_, 16, 16, io_done, r);
        }));
        ASSERT_TRUE(run(
            [&](IoResult *r) { return spdk_bdev_unmap_blocks(desc_, ch_, 64, 32, io_done, r); }));
        const std::vector<uint8_t> on_disk = file.read(0, out.size());
        DmaBuffer in(64 * 1024);
        ASSERT_TRUE(read(in.data(), 0, in.size()));
        for (size_t i = 0; i < out.size(); ++i) {
            const bool zeroed = (i >= 8192 && i < 16384) || (i >= 32768 && i < 49152);
            const uint8_t want = zeroed ? 0 : out[i];
            if (on_disk[i] != want || in[i] != want) {
                ADD_FAILURE() << "byte " << i << ": file " << int{on_disk[i]} << ", bdev "
                              << int{in[i]} << ", want " << int{want};
                break;
            }
        }
        release();
        std::string error;
        ASSERT_EQ(rpc("bdev_uring_delete", {{"name", "UringZ"}}, &error), 0) << error;
        ASSERT_TRUE(wait_for([] { return spdk_bdev_get_by_name("UringZ") == nullptr; }));
        poll_all();
        EXPECT_TRUE(fds_open_on(file.path()).empty());
    }
}

TEST_F(bdev_uring, ManyIovecsInOneRequest) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    DmaBuffer out(64 * 512);
    out.fill(14);
    std::vector<iovec> iovs(64);
    for (size_t i = 0; i < iovs.size(); ++i) {
        iovs[i] = {out.data() + (63 - i) * 512, 512};
    }
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_writev_blocks(desc_, ch_, iovs.data(), 64, 1000, 64, io_done, r);
    }));
    const std::vector<uint8_t> disk = file_->read(1000 * 512, 64 * 512);
    for (size_t i = 0; i < 64; ++i) {
        EXPECT_EQ(std::memcmp(disk.data() + i * 512, out.data() + (63 - i) * 512, 512), 0) << i;
    }
}

// A file that shrinks behind the bdev's back: reads past its new end come back short
// or empty and fail (rather than hang or return stale data).
TEST_F(bdev_uring, ReadsPastTheEndOfAShrunkenFileFail) {
    for (const std::string &dir : {temp_dir(), std::string("/dev/shm")}) {
        SCOPED_TRACE(dir);
        struct stat st {};
        if (stat(dir.c_str(), &st) != 0) {
            continue;
        }
        TempFile file(dir, kFileSize);
        watched_.push_back(file.path());
        ASSERT_EQ(create("UringS", file.path()), 0);
        open_bdev("UringS");
        DmaBuffer buf(8192);
        buf.fill(15);
        ASSERT_TRUE(write(buf.data(), kFileSize - 8192, 8192));
        file.resize(kFileSize - 4096);
        LogCapture log;
        // Half of it is still there: a short read, then nothing.
        EXPECT_FALSE(read(buf.data(), kFileSize - 8192, 8192));
        // None of it is there.
        EXPECT_FALSE(read(buf.data(), kFileSize - 4096, 4096));
        EXPECT_TRUE(log.contains("I/O failed")) << log.text();
        // What is left reads fine.
        EXPECT_TRUE(read(buf.data(), kFileSize - 8192, 4096));
        release();
        ASSERT_EQ(rpc("bdev_uring_delete", {{"name", "UringS"}}), 0);
        ASSERT_TRUE(wait_for([] { return spdk_bdev_get_by_name("UringS") == nullptr; }));
        poll_all();
    }
}

// ---- direct and buffered I/O -----------------------------------------------------------

// Why the file system at dir gives no direct I/O to a file of 512-byte blocks there
// (as the module decides), or "" when it does.
std::string no_direct_io_reason(const std::string &dir, const std::string &path) {
    if (is_tmpfs(dir)) {
        return dir + " is tmpfs, which serves O_DIRECT from the page cache";
    }
    const int fd = open(path.c_str(), O_RDWR | O_DIRECT);
    if (fd < 0) {
        return dir + " refuses O_DIRECT: " + std::strerror(errno);
    }
    std::string why;
#ifdef STATX_DIOALIGN
    struct statx stx {};
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN) != 0) {
        if (stx.stx_dio_mem_align == 0) {
            why = dir + " does no direct I/O on this file (statx)";
        } else if (stx.stx_dio_offset_align > 512) {
            why = dir + "'s direct-I/O granularity is " + std::to_string(stx.stx_dio_offset_align) +
                  " bytes, more than the bdev's 512-byte block";
        }
    }
#endif
    close(fd);
    return why;
}

TEST_F(bdev_uring, DirectIoWhereTheFileSystemAllowsIt) {
    if (const std::string why = no_direct_io_reason(temp_dir(), file_->path()); !why.empty()) {
        GTEST_SKIP() << why;
    }
    LogCapture log;
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    const int fd = module_fd(file_->path());
    ASSERT_GE(fd, 0);
    const long flags = fd_flags(fd);
    ASSERT_GE(flags, 0);
    EXPECT_NE(flags & O_DIRECT, 0) << "the file system takes O_DIRECT: the module uses it";
    EXPECT_EQ(flags & O_ACCMODE, O_RDWR);
    EXPECT_FALSE(log.contains("buffered I/O")) << log.text();
    EXPECT_FALSE(spdk_bdev_has_write_cache(spdk_bdev_get_by_name("Uring0")))
        << "direct I/O has no volatile write cache";
    // And direct I/O works: the bytes are in the file, and read back.
    open_bdev("Uring0");
    DmaBuffer out(8192);
    out.fill(13);
    ASSERT_TRUE(write(out.data(), 4096, out.size()));
    EXPECT_TRUE(same(out.data(), file_->read(4096, out.size())));
    DmaBuffer in(8192);
    ASSERT_TRUE(read(in.data(), 4096, in.size()));
    EXPECT_EQ(std::memcmp(in.data(), out.data(), in.size()), 0);
}

TEST_F(bdev_uring, TmpfsFallsBackToBufferedIoAndSaysSo) {
    if (!is_tmpfs("/dev/shm")) {
        GTEST_SKIP() << "/dev/shm is not tmpfs here";
    }
    TempFile shm("/dev/shm", kFileSize);
    watched_.push_back(shm.path());
    LogCapture log;
    ASSERT_EQ(create("UringShm", shm.path()), 0);
    EXPECT_TRUE(log.contains("buffered I/O")) << log.text();
    EXPECT_TRUE(log.contains(shm.path())) << log.text();
    const int fd = module_fd(shm.path());
    ASSERT_GE(fd, 0);
    EXPECT_EQ(fd_flags(fd) & O_DIRECT, 0);
    EXPECT_TRUE(spdk_bdev_has_write_cache(spdk_bdev_get_by_name("UringShm")))
        << "the page cache is a volatile write cache";

    open_bdev("UringShm");
    DmaBuffer out(32 * 1024);
    out.fill(11);
    ASSERT_TRUE(write(out.data(), 4096, out.size()));
    EXPECT_TRUE(same(out.data(), shm.read(4096, out.size())));
    DmaBuffer in(32 * 1024);
    ASSERT_TRUE(read(in.data(), 4096, in.size()));
    EXPECT_EQ(std::memcmp(in.data(), out.data(), in.size()), 0);
    // Buffered I/O needs no alignment at all.
    ASSERT_TRUE(read(in.data() + 1, 0, 512));
    // More iovecs than one system call takes at a time.
    std::vector<iovec> iovs(64);
    for (size_t i = 0; i < iovs.size(); ++i) {
        iovs[i] = {in.data() + (63 - i) * 512, 512};
    }
    std::memset(in.data(), 0, in.size());
    ASSERT_TRUE(run([&](IoResult *r) {
        return spdk_bdev_readv(desc_, ch_, iovs.data(), 64, 4096, 32768, io_done, r);
    }));
    for (size_t i = 0; i < 64; ++i) {
        EXPECT_EQ(std::memcmp(in.data() + (63 - i) * 512, out.data() + i * 512, 512), 0) << i;
    }
    ASSERT_TRUE(
        run([&](IoResult *r) { return spdk_bdev_flush_blocks(desc_, ch_, 0, 1, io_done, r); }));
}

// ---- errors of bdev_uring_create ---------------------------------------------------------

TEST_F(bdev_uring, MissingFileIsReportedWithItsName) {
    const std::string missing = temp_dir() + "/spdkcpp-uring-no-such-file";
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_create", {{"name", "U"}, {"filename", missing}, {"block_size", 512}},
                  &error),
              -ENOENT);
    EXPECT_NE(error.find("bdev_uring_create"), std::string::npos) << error;
    EXPECT_NE(error.find("'filename'"), std::string::npos) << error;
    EXPECT_NE(error.find(missing), std::string::npos) << error;
    EXPECT_EQ(spdk_bdev_get_by_name("U"), nullptr);
    // Through a config, the same failure fails the load.
    EXPECT_NE(create("U", missing), 0);
}

TEST_F(bdev_uring, SizeThatIsNotAMultipleOfTheBlockSizeIsRejected) {
    TempFile odd(temp_dir(), kFileSize + 100);
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", odd.path()}, {"block_size", 512}}, &error),
              -EINVAL);
    EXPECT_NE(error.find("'block_size'"), std::string::npos) << error;
    EXPECT_NE(error.find(std::to_string(kFileSize + 100)), std::string::npos) << error;
    // 4 MiB is a multiple of 512 but not of 4096 once 2 KiB are added.
    TempFile size2k(temp_dir(), kFileSize + 2048);
    EXPECT_EQ(rpc("bdev_uring_create", {{"name", "U"}, {"filename", size2k.path()}}), -EINVAL);
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", size2k.path()}, {"block_size", 4096}}, &error),
              -EINVAL);
    EXPECT_NE(error.find("not a multiple of 'block_size' 4096"), std::string::npos) << error;
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", size2k.path()}, {"block_size", 2048}}),
              0);
    EXPECT_TRUE(fds_open_on(odd.path()).empty()) << "a failed create closes the file";
}

TEST_F(bdev_uring, BadBlockSizesAreRejected) {
    for (const int bad : {256, 1000, 3072, 511}) {
        std::string error;
        EXPECT_EQ(rpc("bdev_uring_create",
                      {{"name", "U"}, {"filename", file_->path()}, {"block_size", bad}}, &error),
                  -EINVAL)
            << bad;
        EXPECT_NE(error.find("'block_size'"), std::string::npos) << error;
        EXPECT_NE(error.find(std::to_string(bad)), std::string::npos) << error;
    }
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", file_->path()}, {"block_size", -1}}, &error),
              -EINVAL);
    EXPECT_NE(error.find("'block_size'"), std::string::npos) << error;
    EXPECT_EQ(spdk_bdev_get_by_name("U"), nullptr);
    EXPECT_TRUE(fds_open_on(file_->path()).empty());
}

TEST_F(bdev_uring, RegularFileNeedsAnExplicitBlockSizeAsInSpdk) {
    // SPDK detects the block size of block devices only (BLKSSZGET).
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_create", {{"name", "U"}, {"filename", file_->path()}}, &error),
              -EINVAL);
    EXPECT_NE(error.find("'block_size'"), std::string::npos) << error;
    EXPECT_EQ(spdk_bdev_get_by_name("U"), nullptr);
}

TEST_F(bdev_uring, DuplicateNamesAreRejected) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    TempFile other(temp_dir(), kFileSize);
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "Uring0"}, {"filename", other.path()}, {"block_size", 512}}, &error),
              -EEXIST);
    EXPECT_NE(error.find("'name'"), std::string::npos) << error;
    EXPECT_NE(error.find("Uring0"), std::string::npos) << error;
    // A name taken by another module's bdev.
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "Malloc0"}, {"filename", other.path()}, {"block_size", 512}}, &error),
              -EEXIST);
    // And a taken UUID.
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "Uring1"},
                   {"filename", other.path()},
                   {"block_size", 512},
                   {"uuid", "0a1b2c3d-4e5f-4a6b-8c7d-8e9f00112233"}},
                  &error),
              -EEXIST);
    EXPECT_NE(error.find("'uuid'"), std::string::npos) << error;
    EXPECT_TRUE(fds_open_on(other.path()).empty()) << "a failed create closes the file";
    EXPECT_EQ(fds_open_on(file_->path()).size(), 1U);
}

TEST_F(bdev_uring, MissingAndUnknownParametersAreNamed) {
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_create", {{"name", "U"}, {"block_size", 512}}, &error), -EINVAL);
    EXPECT_NE(error.find("'filename'"), std::string::npos) << error;
    EXPECT_EQ(rpc("bdev_uring_create", {{"filename", file_->path()}, {"block_size", 512}}, &error),
              -EINVAL);
    EXPECT_NE(error.find("'name'"), std::string::npos) << error;
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", file_->path()}, {"block_size", 512}, {"bogus", 1}},
                  &error),
              -EINVAL);
    EXPECT_NE(error.find("'bogus'"), std::string::npos) << error;
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", file_->path()}, {"uuid", "not-a-uuid"}}, &error),
              -EINVAL);
    EXPECT_NE(error.find("'uuid'"), std::string::npos) << error;
    EXPECT_EQ(rpc("bdev_uring_create", {{"name", "U"}, {"filename", 7}}, &error), -EINVAL);
    EXPECT_NE(error.find("'filename'"), std::string::npos) << error;
    EXPECT_EQ(rpc("bdev_uring_delete", nlohmann::json::object(), &error), -EINVAL);
    EXPECT_NE(error.find("'name'"), std::string::npos) << error;
    EXPECT_EQ(spdk_bdev_get_by_name("U"), nullptr);
}

TEST_F(bdev_uring, ReadOnlyFileIsRejected) {
    ASSERT_EQ(chmod(file_->path().c_str(), 0444), 0);
    NoDacOverride as_plain_user;  // root would open the file anyway
    // (access() would not tell: for root it checks with the full capabilities.)
    const int probe = ::open(file_->path().c_str(), O_RDWR);
    if (probe >= 0) {
        close(probe);
        GTEST_SKIP() << "cannot make " << file_->path() << " unwritable for this process";
    }
    std::string error;
    const int rc = rpc("bdev_uring_create",
                       {{"name", "U"}, {"filename", file_->path()}, {"block_size", 512}}, &error);
    EXPECT_TRUE(rc == -EACCES || rc == -EPERM || rc == -EROFS) << rc;
    EXPECT_NE(error.find("'filename'"), std::string::npos) << error;
    EXPECT_NE(error.find(file_->path()), std::string::npos) << error;
    EXPECT_NE(error.find("read-write"), std::string::npos) << error;
    EXPECT_EQ(spdk_bdev_get_by_name("U"), nullptr);
}

TEST_F(bdev_uring, OnlyFilesAndBlockDevicesWithDataAreAccepted) {
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", temp_dir()}, {"block_size", 512}}, &error),
              -EISDIR);
    EXPECT_NE(error.find("'filename'"), std::string::npos) << error;
    TempFile empty(temp_dir(), 0);
    EXPECT_EQ(rpc("bdev_uring_create",
                  {{"name", "U"}, {"filename", empty.path()}, {"block_size", 512}}, &error),
              -EINVAL);
    EXPECT_NE(error.find("empty"), std::string::npos) << error;
    if (access("/dev/null", W_OK) == 0) {
        EXPECT_EQ(rpc("bdev_uring_create",
                      {{"name", "U"}, {"filename", "/dev/null"}, {"block_size", 512}}, &error),
                  -EINVAL);
        EXPECT_NE(error.find("neither a regular file nor a block device"), std::string::npos)
            << error;
    }
    EXPECT_EQ(spdk_bdev_get_by_name("U"), nullptr);
}

// ---- deletion and resizing -----------------------------------------------------------------

TEST_F(bdev_uring, DeleteWaitsForOpenDescriptorsThenClosesTheFile) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    DmaBuffer out(4096);
    out.fill(12);
    ASSERT_TRUE(write(out.data(), 0, 4096));

    std::string error;
    ASSERT_EQ(rpc("bdev_uring_delete", {{"name", "Uring0"}}, &error), 0) << error;
    ASSERT_TRUE(wait_for([&] { return !events_.types.empty(); }));
    ASSERT_EQ(events_.types.size(), 1U);
    EXPECT_EQ(events_.types[0], SPDK_BDEV_EVENT_REMOVE);
    EXPECT_EQ(events_.threads[0], app_);
    poll_all();
    EXPECT_EQ(fds_open_on(file_->path()).size(), 1U) << "the file stays open while in use";

    release();
    ASSERT_TRUE(wait_for([&] { return spdk_bdev_get_by_name("Uring0") == nullptr; }));
    poll_all();
    EXPECT_TRUE(fds_open_on(file_->path()).empty()) << "destruct closes the file";
    EXPECT_TRUE(same(out.data(), file_->read(0, 4096))) << "the data stays in the file";

    // The name is free again.
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    EXPECT_NE(spdk_bdev_get_by_name("Uring0"), nullptr);
}

// A delete that comes while I/O is in flight: the I/O completes first, each once and
// successfully, and its data is in the file; the REMOVE event reaches the open
// descriptor; the bdev goes, and its file is closed, only once the descriptor is.
TEST_F(bdev_uring, DeleteWithIoInFlightCompletesTheIoFirst) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    constexpr size_t kWrites = 64;
    DmaBuffer out(kWrites * 4096);
    out.fill(13);
    std::vector<RetryResult> results(kWrites);
    for (size_t i = 0; i < kWrites; ++i) {
        ASSERT_EQ(spdk_bdev_write_blocks(desc_, ch_, out.data() + i * 4096, i * 8, 8, retry_done,
                                         &results[i]),
                  0)
            << "write " << i;
    }
    std::string error;
    ASSERT_EQ(rpc("bdev_uring_delete", {{"name", "Uring0"}}, &error), 0) << error;
    for (const RetryResult &r : results) {
        ASSERT_EQ(r.completions, 0) << "every write is still in flight at the delete";
    }
    ASSERT_TRUE(wait_for([&] {
        return !events_.types.empty() &&
               std::all_of(results.begin(), results.end(),
                           [](const RetryResult &r) { return r.completions > 0; });
    }));
    ASSERT_EQ(events_.types.size(), 1U);
    EXPECT_EQ(events_.types[0], SPDK_BDEV_EVENT_REMOVE);
    for (size_t i = 0; i < kWrites; ++i) {
        EXPECT_EQ(results[i].completions, 1) << i;
        EXPECT_TRUE(results[i].success) << i;
    }
    EXPECT_NE(spdk_bdev_get_by_name("Uring0"), nullptr) << "the descriptor is still open";
    EXPECT_TRUE(same(out.data(), file_->read(0, out.size())));

    release();
    ASSERT_TRUE(wait_for([&] { return spdk_bdev_get_by_name("Uring0") == nullptr; }));
    poll_all();
    EXPECT_TRUE(fds_open_on(file_->path()).empty()) << "destruct closes the file";
}

TEST_F(bdev_uring, DeleteOfAnUnknownBdevIsENODEV) {
    std::string error;
    EXPECT_EQ(rpc("bdev_uring_delete", {{"name", "Nope"}}, &error), -ENODEV);
    EXPECT_NE(error.find("Nope"), std::string::npos) << error;
    // Another module's bdev is not the uring module's to delete.
    EXPECT_EQ(rpc("bdev_uring_delete", {{"name", "Malloc0"}}, &error), -ENODEV);
    EXPECT_NE(spdk_bdev_get_by_name("Malloc0"), nullptr);
}

TEST_F(bdev_uring, RescanPicksUpANewSize) {
    ASSERT_EQ(create("Uring0", file_->path()), 0);
    open_bdev("Uring0");
    file_->resize(2 * kFileSize);
    std::string error;
    ASSERT_EQ(rpc("bdev_uring_rescan", {{"name", "Uring0"}}, &error), 0) << error;
    EXPECT_EQ(spdk_bdev_get_num_blocks(spdk_bdev_get_by_name("Uring0")), 2 * kFileSize / 512);
    ASSERT_TRUE(wait_for([&] { return !events_.types.empty(); }));
    EXPECT_EQ(events_.types[0], SPDK_BDEV_EVENT_RESIZE);
    // The new blocks can be written.
    DmaBuffer out(4096);
    out.fill(13);
    ASSERT_TRUE(write(out.data(), 2 * kFileSize - 4096, 4096));
    EXPECT_TRUE(same(out.data(), file_->read(2 * kFileSize - 4096, 4096)));
    EXPECT_EQ(rpc("bdev_uring_rescan", {{"name", "Malloc0"}}, &error), -ENODEV);
}

}  // namespace
