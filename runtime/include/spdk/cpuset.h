/* spdkcpp embedded runtime: sets of CPU cores. */
#ifndef SPDK_CPUSET_H
#define SPDK_CPUSET_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_CPUSET_SIZE 1024

/* str caches the hexadecimal text made by spdk_cpuset_fmt; cpus is a bitmap. */
struct spdk_cpuset {
    char str[SPDK_CPUSET_SIZE / 4 + 1];
    uint8_t cpus[SPDK_CPUSET_SIZE / 8];
};

struct spdk_cpuset *spdk_cpuset_alloc(void);
void spdk_cpuset_free(struct spdk_cpuset *set);
bool spdk_cpuset_equal(const struct spdk_cpuset *set1, const struct spdk_cpuset *set2);
void spdk_cpuset_copy(struct spdk_cpuset *dst, const struct spdk_cpuset *src);
void spdk_cpuset_and(struct spdk_cpuset *dst, const struct spdk_cpuset *src);
void spdk_cpuset_or(struct spdk_cpuset *dst, const struct spdk_cpuset *src);
void spdk_cpuset_xor(struct spdk_cpuset *dst, const struct spdk_cpuset *src);
void spdk_cpuset_negate(struct spdk_cpuset *set);
void spdk_cpuset_zero(struct spdk_cpuset *set);
void spdk_cpuset_set_cpu(struct spdk_cpuset *set, uint32_t cpu, bool state);
bool spdk_cpuset_get_cpu(const struct spdk_cpuset *set, uint32_t cpu);
void spdk_cpuset_for_each_cpu(const struct spdk_cpuset *set, void (*fn)(void *ctx, uint32_t cpu),
                              void *ctx);
uint32_t spdk_cpuset_count(const struct spdk_cpuset *set);
/* Hexadecimal mask without "0x", kept in set->str. */
const char *spdk_cpuset_fmt(struct spdk_cpuset *set);
/* Accepts a hexadecimal mask ("0x3", "3") or a list ("[0-1,4]"). Returns 0, or
 * -1 (set unchanged) when mask is malformed or names a core past the limit. */
int spdk_cpuset_parse(struct spdk_cpuset *set, const char *mask);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_CPUSET_H */
