/* spdkcpp embedded runtime: small arithmetic and iovec helpers SPDK programs use. */
#ifndef SPDK_UTIL_H
#define SPDK_UTIL_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_CACHE_LINE_SIZE 64

#define spdk_min(a, b) (((a) < (b)) ? (a) : (b))
#define spdk_max(a, b) (((a) > (b)) ? (a) : (b))
#define SPDK_COUNTOF(arr) (sizeof(arr) / sizeof((arr)[0]))
#define SPDK_CONTAINEROF(ptr, type, member) ((type *)((uintptr_t)(ptr)-offsetof(type, member)))
#define SPDK_SIZEOF_MEMBER(type, member) (sizeof(((type *)0)->member))

#define SPDK_SEC_TO_MSEC 1000ULL
#define SPDK_SEC_TO_USEC 1000000ULL
#define SPDK_SEC_TO_NSEC 1000000000ULL
#define SPDK_MSEC_TO_USEC 1000ULL

#define SPDK_CEIL_DIV(x, y) (((x) + (y)-1) / (y))
/* align must be a power of two */
#define SPDK_ALIGN_FLOOR(val, align) ((val) & ~((__typeof__(val))(align)-1))
#define SPDK_ALIGN_CEIL(val, align) SPDK_ALIGN_FLOOR(((val) + ((__typeof__(val))(align)-1)), align)
#define SPDK_BIT(n) (UINT64_C(1) << (n))

uint32_t spdk_u32log2(uint32_t x);
uint64_t spdk_u64log2(uint64_t x);

static inline bool spdk_u32_is_pow2(uint32_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}
static inline bool spdk_u64_is_pow2(uint64_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

static inline uint32_t spdk_align32pow2(uint32_t x) {
    return x <= 1 ? 1u : 1u << (32 - __builtin_clz(x - 1));
}

static inline uint64_t spdk_align64pow2(uint64_t x) {
    return x <= 1 ? 1u : UINT64_C(1) << (64 - __builtin_clzll(x - 1));
}

static inline uint64_t spdk_divide_round_up(uint64_t num, uint64_t divisor) {
    return (num + divisor - 1) / divisor;
}

static inline uint64_t spdk_round_up(uint64_t num, uint64_t divisor) {
    return spdk_divide_round_up(num, divisor) * divisor;
}

/* xorshift64*: a fast generator for test patterns and workloads, never for secrets. */
static inline uint64_t spdk_rand_xorshift64(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

size_t spdk_iovcpy(struct iovec *siov, size_t siovcnt, struct iovec *diov, size_t diovcnt);
void spdk_copy_iovs_to_buf(void *buf, size_t buf_len, struct iovec *iovs, int iovcnt);
void spdk_copy_buf_to_iovs(struct iovec *iovs, int iovcnt, void *buf, size_t buf_len);
void spdk_iov_memset(struct iovec *iovs, int iovcnt, int c);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_UTIL_H */
