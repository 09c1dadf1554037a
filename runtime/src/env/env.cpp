// The embedded env: cores of the core mask, pinned OS threads, and time.
#include <pthread.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "env_internal.hpp"
#include "spdk/env.h"
#include "spdk/likely.h"
#include "spdk/log.h"

namespace {

constexpr const char *kDefaultName = "spdk";
constexpr const char *kDefaultCoreMask = "0x1";
constexpr int kDefaultMemSize = -1;

struct Env {
    std::mutex lock;
    bool initialized = false;
    std::atomic<bool> ever_initialized{false};  // read without the lock by allocations
    bool no_huge = false;
    std::string name;
    spdk_cpuset cores{};
    uint32_t main_core = 0;
    std::vector<pthread_t> launched;
};

Env &env() {
    static Env e;
    return e;
}

thread_local uint32_t t_current_core = SPDK_ENV_LCORE_ID_ANY;

// Copies the fields the caller's layout has (opts_size) over the defaults.
spdk_env_opts effective_opts(const spdk_env_opts *user) {
    spdk_env_opts opts{};
    opts.opts_size = sizeof(opts);
    spdk_env_opts_init(&opts);
    const size_t user_size = user->opts_size == 0 ? offsetof(spdk_env_opts, opts_size)
                                                  : std::min(user->opts_size, sizeof(opts));
    std::memcpy(&opts, user, std::min(user_size, offsetof(spdk_env_opts, opts_size)));
    if (offsetof(spdk_env_opts, enforce_numa) + sizeof(opts.enforce_numa) <= user_size) {
        opts.enforce_numa = user->enforce_numa;
    }
    return opts;
}

struct Launch {
    thread_start_fn fn;
    void *arg;
    uint32_t core;
};

void *launch_trampoline(void *raw) {
    Launch launch = *static_cast<Launch *>(raw);
    delete static_cast<Launch *>(raw);
    spdk_embedded::set_current_core(launch.core);
    (void)launch.fn(launch.arg);
    return nullptr;
}

// Pins the calling thread to core when the process may run there; on a machine
// with fewer cores than the mask names, the reactor runs unpinned.
void pin_to(pthread_t thread, uint32_t core) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || core >= CPU_SETSIZE ||
        !CPU_ISSET(core, &allowed)) {
        return;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(core, &one);
    (void)pthread_setaffinity_np(thread, sizeof(one), &one);
}

uint64_t read_tsc() {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return 0;
#endif
}

// The TSC where it is invariant, the monotonic clock (nanoseconds) otherwise.
// Which one is decided once; the TSC's rate is measured on first demand only.
enum class Source : int { unknown, tsc, monotonic };
std::atomic<Source> g_source{Source::unknown};

bool has_invariant_tsc() {
#if !defined(__x86_64__)
    return false;
#endif
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("flags", 0) == 0) {
            return line.find(" constant_tsc") != std::string::npos &&
                   line.find(" nonstop_tsc") != std::string::npos;
        }
    }
    return false;
}

[[gnu::noinline]] Source decide_source() {
    const Source s = has_invariant_tsc() ? Source::tsc : Source::monotonic;
    g_source.store(s, std::memory_order_relaxed);
    return s;
}

Source clock_source() {
    const Source s = g_source.load(std::memory_order_relaxed);
    return s != Source::unknown ? s : decide_source();
}

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

[[gnu::noinline]] uint64_t ticks_slow() {
    return clock_source() == Source::tsc ? read_tsc() : monotonic_ns();
}

uint64_t measure_tsc_hz() {
    using std::chrono::steady_clock;
    const auto t0 = steady_clock::now();
    const uint64_t c0 = read_tsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const uint64_t c1 = read_tsc();
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(steady_clock::now() - t0).count();
    return static_cast<uint64_t>(static_cast<double>(c1 - c0) * 1e9 / static_cast<double>(ns));
}

// Whether the machine has CPU `core`, as DPDK's EAL decides it (eal_cpu_detected:
// the CPU's topology is in sysfs); without sysfs, the configured CPU count.
bool core_exists(uint32_t core) {
    static const bool have_sysfs = access("/sys/devices/system/cpu", F_OK) == 0;
    if (have_sysfs) {
        const std::string path =
            "/sys/devices/system/cpu/cpu" + std::to_string(core) + "/topology/core_id";
        return access(path.c_str(), F_OK) == 0;
    }
    const long configured = sysconf(_SC_NPROCESSORS_CONF);
    return configured > 0 && core < static_cast<unsigned long>(configured);
}

// The cores that exist, as a list ("0-1"), for error messages.
std::string existing_cores() {
    std::string out;
    for (uint32_t c = 0; c < SPDK_CPUSET_SIZE;) {
        if (!core_exists(c)) {
            ++c;
            continue;
        }
        uint32_t last = c;
        while (last + 1 < SPDK_CPUSET_SIZE && core_exists(last + 1)) {
            ++last;
        }
        out += (out.empty() ? "" : ",") + std::to_string(c) +
               (last == c ? "" : "-" + std::to_string(last));
        c = last + 1;
    }
    return out;
}

}  // namespace

namespace spdk_embedded {

bool env_no_huge() {
    return env().no_huge;
}

bool env_was_initialized() {
    return env().ever_initialized.load(std::memory_order_acquire);
}

void set_current_core(uint32_t core) {
    t_current_core = core;
}

bool pin_calling_thread(uint32_t core, cpu_set_t *previous) {
    const pthread_t self = pthread_self();
    if (pthread_getaffinity_np(self, sizeof(*previous), previous) != 0 || core >= CPU_SETSIZE ||
        !CPU_ISSET(core, previous)) {
        return false;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(core, &one);
    return pthread_setaffinity_np(self, sizeof(one), &one) == 0;
}

}  // namespace spdk_embedded

extern "C" {

void spdk_env_opts_init(struct spdk_env_opts *opts) {
    if (opts == nullptr) {
        return;
    }
    const size_t opts_size = opts->opts_size;
    const size_t fill =
        opts_size == 0 ? offsetof(spdk_env_opts, opts_size) : std::min(opts_size, sizeof(*opts));
    std::memset(static_cast<void *>(opts), 0, fill);
    opts->opts_size = opts_size;
    opts->name = kDefaultName;
    opts->core_mask = kDefaultCoreMask;
    opts->shm_id = -1;
    opts->mem_size = kDefaultMemSize;
    opts->main_core = -1;
    opts->mem_channel = -1;
}

int spdk_env_init(const struct spdk_env_opts *user_opts) {
    Env &e = env();
    std::lock_guard guard(e.lock);
    if (user_opts == nullptr) {
        // SPDK's way to bring back an env after spdk_env_fini.
        if (!e.ever_initialized) {
            SPDK_ERRLOG("spdk_env_init(NULL) before the env was ever initialized\n");
            return -EINVAL;
        }
        e.initialized = true;
        return 0;
    }
    if (e.initialized) {
        SPDK_ERRLOG("the env is already initialized\n");
        return -EINVAL;
    }
    const spdk_env_opts opts = effective_opts(user_opts);
    spdk_cpuset cores{};
    const char *mask = opts.core_mask != nullptr ? opts.core_mask : kDefaultCoreMask;
    if (spdk_cpuset_parse(&cores, mask) != 0 || spdk_cpuset_count(&cores) == 0) {
        SPDK_ERRLOG("invalid core mask '%s'\n", mask);
        return -EINVAL;
    }
    // DPDK refuses a core the machine does not have ("lcore N unavailable"), and so
    // SPDK's env: a reactor for it would run unpinned, a silently different run.
    for (uint32_t c = 0; c < SPDK_CPUSET_SIZE; ++c) {
        if (spdk_cpuset_get_cpu(&cores, c) && !core_exists(c)) {
            SPDK_ERRLOG("core mask '%s': core %u is unavailable (this machine has cores %s)\n",
                        mask, c, existing_cores().c_str());
            return -EINVAL;
        }
    }
    uint32_t main_core = UINT32_MAX;
    if (opts.main_core >= 0) {
        if (!spdk_cpuset_get_cpu(&cores, static_cast<uint32_t>(opts.main_core))) {
            SPDK_ERRLOG("main core %d is not in core mask '%s'\n", opts.main_core, mask);
            return -EINVAL;
        }
        main_core = static_cast<uint32_t>(opts.main_core);
    } else {
        for (uint32_t c = 0; c < SPDK_CPUSET_SIZE && main_core == UINT32_MAX; ++c) {
            if (spdk_cpuset_get_cpu(&cores, c)) {
                main_core = c;
            }
        }
    }
    e.cores = cores;
    e.main_core = main_core;
    e.no_huge = opts.no_huge;
    e.name = opts.name != nullptr ? opts.name : kDefaultName;
    e.initialized = true;
    e.ever_initialized = true;
    // As with DPDK, the thread that initializes the env becomes the main core's.
    t_current_core = main_core;
    return 0;
}

void spdk_env_fini(void) {
    Env &e = env();
    std::lock_guard guard(e.lock);
    e.initialized = false;
    t_current_core = SPDK_ENV_LCORE_ID_ANY;
}

// As with DPDK, the cores stay known after spdk_env_fini (programs report per-core
// results after it).
uint32_t spdk_env_get_core_count(void) {
    Env &e = env();
    return e.ever_initialized ? spdk_cpuset_count(&e.cores) : 1;
}

uint32_t spdk_env_get_current_core(void) {
    return t_current_core;
}

uint32_t spdk_env_get_main_core(void) {
    return env().initialized ? env().main_core : 0;
}

uint32_t spdk_env_get_first_core(void) {
    Env &e = env();
    if (!e.ever_initialized) {
        return 0;
    }
    for (uint32_t c = 0; c < SPDK_CPUSET_SIZE; ++c) {
        if (spdk_cpuset_get_cpu(&e.cores, c)) {
            return c;
        }
    }
    return UINT32_MAX;
}

uint32_t spdk_env_get_last_core(void) {
    Env &e = env();
    if (!e.ever_initialized) {
        return 0;
    }
    for (uint32_t c = SPDK_CPUSET_SIZE; c-- > 0;) {
        if (spdk_cpuset_get_cpu(&e.cores, c)) {
            return c;
        }
    }
    return UINT32_MAX;
}

uint32_t spdk_env_get_next_core(uint32_t prev_core) {
    Env &e = env();
    if (!e.ever_initialized) {
        return UINT32_MAX;
    }
    for (uint32_t c = prev_core + 1; c < SPDK_CPUSET_SIZE; ++c) {
        if (spdk_cpuset_get_cpu(&e.cores, c)) {
            return c;
        }
    }
    return UINT32_MAX;
}

int32_t spdk_env_get_numa_id(uint32_t /*core*/) {
    return 0;
}

int32_t spdk_env_get_socket_id(uint32_t /*core*/) {
    return 0;
}

void spdk_env_get_cpuset(struct spdk_cpuset *cpuset) {
    Env &e = env();
    if (e.ever_initialized) {
        spdk_cpuset_copy(cpuset, &e.cores);
    } else {
        spdk_cpuset_zero(cpuset);
        spdk_cpuset_set_cpu(cpuset, 0, true);
    }
}

int spdk_env_thread_launch_pinned(uint32_t core, thread_start_fn fn, void *arg) {
    Env &e = env();
    auto *launch = new (std::nothrow) Launch{fn, arg, core};
    if (launch == nullptr) {
        return -ENOMEM;
    }
    pthread_t thread;
    const int rc = pthread_create(&thread, nullptr, launch_trampoline, launch);
    if (rc != 0) {
        delete launch;
        return -rc;
    }
    pin_to(thread, core);
    std::lock_guard guard(e.lock);
    e.launched.push_back(thread);
    return 0;
}

void spdk_env_thread_wait_all(void) {
    Env &e = env();
    std::vector<pthread_t> threads;
    {
        std::lock_guard guard(e.lock);
        threads.swap(e.launched);
    }
    for (pthread_t t : threads) {
        pthread_join(t, nullptr);
    }
}

bool spdk_process_is_primary(void) {
    return true;
}

uint64_t spdk_get_ticks(void) {
    // The TSC inline, without a frame; the first call and the monotonic clock aside.
    if (spdk_likely(g_source.load(std::memory_order_relaxed) == Source::tsc)) {
        return read_tsc();
    }
    return ticks_slow();
}

uint64_t spdk_get_ticks_hz(void) {
    if (clock_source() != Source::tsc) {
        return 1'000'000'000ULL;
    }
    static const uint64_t hz = measure_tsc_hz();
    return hz;
}

void spdk_delay_us(unsigned int us) {
    std::this_thread::sleep_for(std::chrono::microseconds(us));
}

void spdk_pause(void) {
#if defined(__x86_64__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

}  // extern "C"
