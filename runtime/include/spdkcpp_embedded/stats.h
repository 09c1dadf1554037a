/* spdkcpp embedded runtime extension (not part of SPDK's API): counters that let
 * tests prove the runtime leaks nothing. */
#ifndef SPDKCPP_EMBEDDED_STATS_H
#define SPDKCPP_EMBEDDED_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct spdkcpp_embedded_mem_stats {
    uint64_t bytes_in_use;         /* bytes handed out by spdk_malloc & co., not yet freed */
    uint64_t allocations_in_use;   /* live allocations */
    uint64_t total_allocations;    /* allocations ever made */
    uint64_t hugepage_allocations; /* of those, how many came from hugepages */
};

void spdkcpp_embedded_get_mem_stats(struct spdkcpp_embedded_mem_stats *stats);

/* What was left behind and released by force, counted since the process began: a
 * program that leaks nothing keeps both at 0. */
struct spdkcpp_embedded_leftover_stats {
    uint64_t io_devices; /* still registered at spdk_thread_lib_fini */
    uint64_t channels;   /* still held when their thread was destroyed */
};

void spdkcpp_embedded_get_leftover_stats(struct spdkcpp_embedded_leftover_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* SPDKCPP_EMBEDDED_STATS_H */
