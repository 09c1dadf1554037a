// DMA memory for the embedded env.
//
// Every block carries a header just below the pointer handed out, so spdk_free can
// tell how the block was obtained and refuse pointers it never handed out. Large
// blocks come from mmap: hugepages where the machine has free ones, otherwise
// ordinary pages advised for transparent hugepages and locked where allowed.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

#include "env_internal.hpp"
#include "spdk/env.h"
#include "spdk/log.h"
#include "spdkcpp_embedded/stats.h"

namespace {

constexpr uint64_t kMagic = 0x53504b43444d4131ULL;  // live block
constexpr uint64_t kFreedMagic = 0x53504b4346524545ULL;
constexpr size_t kDefaultAlign = 64;  // a cache line, as SPDK guarantees
constexpr size_t kMmapThreshold = size_t{256} << 10;
constexpr size_t kHugePageSize = size_t{2} << 20;
constexpr size_t kPageSize = 4096;

enum class Source : uint32_t { heap, pages, hugepages };

struct alignas(16) Header {
    uint64_t magic;
    void *base;
    size_t mapped;  // bytes obtained from the system, from base
    size_t size;    // bytes asked for
    Source source;
};

struct Counters {
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> live{0};
    std::atomic<uint64_t> total{0};
    std::atomic<uint64_t> huge{0};
};
Counters g_counters;

constexpr bool is_pow2(size_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}
constexpr size_t round_up(size_t x, size_t a) {
    return (x + a - 1) & ~(a - 1);
}

Header *header_of(void *buf) {
    return static_cast<Header *>(buf) - 1;
}

void *map_pages(size_t len, Source &source) {
    const int prot = PROT_READ | PROT_WRITE;
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (!spdk_embedded::env_no_huge() && len >= kHugePageSize) {
        void *p = mmap(nullptr, len, prot, flags | MAP_HUGETLB, -1, 0);
        if (p != MAP_FAILED) {
            source = Source::hugepages;
            return p;
        }
    }
    void *p = mmap(nullptr, len, prot, flags, -1, 0);
    if (p == MAP_FAILED) {
        return nullptr;
    }
    if (len >= kHugePageSize) {
        (void)madvise(p, len, MADV_HUGEPAGE);
    }
    // Pinned if the process may lock memory; DMA from a device is not done by the
    // embedded runtime, so an unlocked block is still correct.
    (void)mlock(p, len);
    source = Source::pages;
    return p;
}

void *allocate(size_t size, size_t align, uint64_t *unused, uint32_t flags, bool zero) {
    if (unused != nullptr || flags == 0 || size == 0 || !spdk_embedded::env_was_initialized()) {
        return nullptr;
    }
    if (align == 0) {
        align = kDefaultAlign;
    }
    if (!is_pow2(align)) {
        return nullptr;
    }
    align = std::max(align, kDefaultAlign);
    // Room for the header below an aligned start in the worst case.
    const size_t overhead = sizeof(Header) + align;
    if (size > (SIZE_MAX >> 1) - overhead) {
        return nullptr;
    }
    size_t wanted = size + overhead;
    Source source = Source::heap;
    void *base = nullptr;
    size_t mapped = wanted;
    if (wanted >= kMmapThreshold) {
        mapped = round_up(wanted, wanted >= kHugePageSize ? kHugePageSize : kPageSize);
        base = map_pages(mapped, source);
    } else {
        base = std::malloc(wanted);
    }
    if (base == nullptr) {
        return nullptr;
    }
    auto start = round_up(reinterpret_cast<uintptr_t>(base) + sizeof(Header), align);
    void *buf = reinterpret_cast<void *>(start);
    *header_of(buf) = Header{kMagic, base, mapped, size, source};
    if (zero && source == Source::heap) {
        std::memset(buf, 0, size);
    }
    g_counters.bytes.fetch_add(size, std::memory_order_relaxed);
    g_counters.live.fetch_add(1, std::memory_order_relaxed);
    g_counters.total.fetch_add(1, std::memory_order_relaxed);
    if (source == Source::hugepages) {
        g_counters.huge.fetch_add(1, std::memory_order_relaxed);
    }
    return buf;
}

// Returns the header of a block handed out by allocate, or null (logged) for a
// pointer that never was or was already freed.
Header *checked_header(void *buf, const char *func) {
    if (reinterpret_cast<uintptr_t>(buf) % kDefaultAlign != 0) {
        SPDK_ERRLOG("%s: %p was not allocated by spdk_malloc\n", func, buf);
        return nullptr;
    }
    Header *h = header_of(buf);
    if (h->magic == kFreedMagic) {
        SPDK_ERRLOG("%s: %p was already freed\n", func, buf);
        return nullptr;
    }
    if (h->magic != kMagic) {
        SPDK_ERRLOG("%s: %p was not allocated by spdk_malloc\n", func, buf);
        return nullptr;
    }
    return h;
}

void release(void *buf) {
    if (buf == nullptr) {
        return;
    }
    Header *h = checked_header(buf, "spdk_free");
    if (h == nullptr) {
        return;
    }
    const Header copy = *h;
    h->magic = kFreedMagic;
    g_counters.bytes.fetch_sub(copy.size, std::memory_order_relaxed);
    g_counters.live.fetch_sub(1, std::memory_order_relaxed);
    if (copy.source == Source::heap) {
        std::free(copy.base);
    } else {
        munmap(copy.base, copy.mapped);
    }
}

void *reallocate(void *buf, size_t size, size_t align) {
    if (buf == nullptr) {
        return allocate(size, align, nullptr, SPDK_MALLOC_DMA, false);
    }
    Header *h = checked_header(buf, "spdk_realloc");
    if (h == nullptr) {
        return nullptr;
    }
    void *fresh = allocate(size, align, nullptr, SPDK_MALLOC_DMA, false);
    if (fresh == nullptr) {
        return nullptr;  // the old block stays valid, as with realloc(3)
    }
    std::memcpy(fresh, buf, std::min(size, h->size));
    release(buf);
    return fresh;
}

}  // namespace

extern "C" {

void *spdk_malloc(size_t size, size_t align, uint64_t *unused, int /*numa_id*/, uint32_t flags) {
    return allocate(size, align, unused, flags, false);
}

void *spdk_zmalloc(size_t size, size_t align, uint64_t *unused, int /*numa_id*/, uint32_t flags) {
    return allocate(size, align, unused, flags, true);
}

void *spdk_realloc(void *buf, size_t size, size_t align) {
    return reallocate(buf, size, align);
}

void spdk_free(void *buf) {
    release(buf);
}

void *spdk_dma_malloc(size_t size, size_t align, uint64_t *unused) {
    return allocate(size, align, unused, SPDK_MALLOC_DMA, false);
}

void *spdk_dma_malloc_socket(size_t size, size_t align, uint64_t *unused, int /*numa_id*/) {
    return allocate(size, align, unused, SPDK_MALLOC_DMA, false);
}

void *spdk_dma_zmalloc(size_t size, size_t align, uint64_t *unused) {
    return allocate(size, align, unused, SPDK_MALLOC_DMA, true);
}

void *spdk_dma_zmalloc_socket(size_t size, size_t align, uint64_t *unused, int /*numa_id*/) {
    return allocate(size, align, unused, SPDK_MALLOC_DMA, true);
}

void *spdk_dma_realloc(void *buf, size_t size, size_t align, uint64_t *unused) {
    if (unused != nullptr) {
        return nullptr;
    }
    return reallocate(buf, size, align);
}

void spdk_dma_free(void *buf) {
    release(buf);
}

void spdkcpp_embedded_get_mem_stats(struct spdkcpp_embedded_mem_stats *stats) {
    stats->bytes_in_use = g_counters.bytes.load(std::memory_order_relaxed);
    stats->allocations_in_use = g_counters.live.load(std::memory_order_relaxed);
    stats->total_allocations = g_counters.total.load(std::memory_order_relaxed);
    stats->hugepage_allocations = g_counters.huge.load(std::memory_order_relaxed);
}

}  // extern "C"
