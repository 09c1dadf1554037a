/* spdkcpp embedded runtime: the environment (cores, DMA memory, time).
 *
 * The embedded env needs no hugepages, no root and no PCI access. DMA memory comes
 * from hugepages where the machine has them free, otherwise from ordinary pages,
 * locked in memory where the process is allowed to. */
#ifndef SPDK_ENV_H
#define SPDK_ENV_H

#include "spdk/assert.h"
#include "spdk/cpuset.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_ENV_NUMA_ID_ANY (-1)
#define SPDK_ENV_SOCKET_ID_ANY (-1)
#define SPDK_ENV_LCORE_ID_ANY (UINT32_MAX)

/* Flags of spdk_malloc/spdk_zmalloc; at least one must be given. */
#define SPDK_MALLOC_DMA 0x01
#define SPDK_MALLOC_SHARE 0x02

struct spdk_pci_addr;

struct spdk_env_opts {
    const char *name;
    const char *core_mask;
    const char *lcore_map;
    int shm_id;
    int mem_channel;
    int main_core;
    int mem_size; /* MiB, -1 for the default */
    bool no_pci;
    bool hugepage_single_segments;
    bool unlink_hugepage;
    bool no_huge;
    uint32_t reserved;
    size_t num_pci_addr;
    const char *hugedir;
    struct spdk_pci_addr *pci_blocked;
    struct spdk_pci_addr *pci_allowed;
    const char *iova_mode;
    uint64_t base_virtaddr;
    void *env_context;
    const char *vf_token;
    /* Set by the caller to sizeof(struct spdk_env_opts) before spdk_env_opts_init:
     * fields past this size are neither written nor read, so a program built
     * against an older layout keeps working. */
    size_t opts_size;
    bool enforce_numa;
    uint8_t reserved2[7];
};

/* Fills opts with defaults, keeping opts->opts_size as the caller set it. */
void spdk_env_opts_init(struct spdk_env_opts *opts);
/* Returns 0, or a negative errno (-EINVAL for a malformed core mask, or opts given
 * again to an env that is already initialized). */
int spdk_env_init(const struct spdk_env_opts *opts);
void spdk_env_fini(void);

/* size > 0; align 0 for the default (a cache line) or a power of two; unused must
 * be NULL. Returns NULL on failure. */
void *spdk_malloc(size_t size, size_t align, uint64_t *unused, int numa_id, uint32_t flags);
void *spdk_zmalloc(size_t size, size_t align, uint64_t *unused, int numa_id, uint32_t flags);
void *spdk_realloc(void *buf, size_t size, size_t align);
void spdk_free(void *buf);

void *spdk_dma_malloc(size_t size, size_t align, uint64_t *unused);
void *spdk_dma_malloc_socket(size_t size, size_t align, uint64_t *unused, int numa_id);
void *spdk_dma_zmalloc(size_t size, size_t align, uint64_t *unused);
void *spdk_dma_zmalloc_socket(size_t size, size_t align, uint64_t *unused, int numa_id);
void *spdk_dma_realloc(void *buf, size_t size, size_t align, uint64_t *unused);
void spdk_dma_free(void *buf);

uint32_t spdk_env_get_core_count(void);
/* The core of the calling reactor (or of the thread that initialized the env),
 * SPDK_ENV_LCORE_ID_ANY on any other OS thread. */
uint32_t spdk_env_get_current_core(void);
uint32_t spdk_env_get_main_core(void);
uint32_t spdk_env_get_first_core(void);
uint32_t spdk_env_get_last_core(void);
/* UINT32_MAX after the last core. */
uint32_t spdk_env_get_next_core(uint32_t prev_core);
int32_t spdk_env_get_numa_id(uint32_t core);
int32_t spdk_env_get_socket_id(uint32_t core);
void spdk_env_get_cpuset(struct spdk_cpuset *cpuset);

#define SPDK_ENV_FOREACH_CORE(i) \
    for ((i) = spdk_env_get_first_core(); (i) < UINT32_MAX; (i) = spdk_env_get_next_core((i)))

typedef int (*thread_start_fn)(void *);
/* Starts fn(arg) on a new OS thread pinned to core where the system allows it. */
int spdk_env_thread_launch_pinned(uint32_t core, thread_start_fn fn, void *arg);
/* Joins every thread started by spdk_env_thread_launch_pinned. */
void spdk_env_thread_wait_all(void);
bool spdk_process_is_primary(void);

uint64_t spdk_get_ticks(void);
uint64_t spdk_get_ticks_hz(void);
void spdk_delay_us(unsigned int us);
void spdk_pause(void);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_ENV_H */
