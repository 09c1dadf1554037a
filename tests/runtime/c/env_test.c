/* A plain C program against SPDK's env, log and string API, as SPDK users write
 * them: it must build as gnu11 and behave as on SPDK. Exits non-zero on failure. */
#include "spdk/env.h"
#include "spdk/cpuset.h"
#include "spdk/likely.h"
#include "spdk/log.h"
#include "spdk/queue.h"
#include "spdk/stdinc.h"
#include "spdk/string.h"
#include "spdk/util.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (spdk_unlikely(!(cond))) {                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

struct item {
    int value;
    TAILQ_ENTRY(item) link;
};

int main(void) {
    struct spdk_env_opts opts;
    uint32_t core, count = 0;
    void *buf;
    struct item items[3], *it, *tmp;
    TAILQ_HEAD(, item) list = TAILQ_HEAD_INITIALIZER(list);
    int sum = 0, i;

    opts.opts_size = sizeof(opts);
    spdk_env_opts_init(&opts);
    opts.name = "c_env_test";
    opts.core_mask = "0x3";
    CHECK(spdk_env_init(&opts) == 0);
    CHECK(spdk_env_get_core_count() == 2);
    SPDK_ENV_FOREACH_CORE(core) {
        count++;
    }
    CHECK(count == 2);
    CHECK(spdk_env_get_current_core() == spdk_env_get_first_core());

    buf = spdk_dma_zmalloc(4096, 4096, NULL);
    CHECK(buf != NULL);
    CHECK(((uintptr_t)buf & 4095) == 0);
    CHECK(spdk_mem_all_zero(buf, 4096));
    spdk_dma_free(buf);
    CHECK(spdk_dma_malloc(4096, 3, NULL) == NULL);
    CHECK(spdk_dma_malloc(0, 0, NULL) == NULL);

    for (i = 0; i < 3; i++) {
        items[i].value = i + 1;
        TAILQ_INSERT_TAIL(&list, &items[i], link);
    }
    TAILQ_FOREACH_SAFE(it, &list, link, tmp) {
        sum += it->value;
        TAILQ_REMOVE(&list, it, link);
    }
    CHECK(sum == 6 && TAILQ_EMPTY(&list));
    CHECK(spdk_min(3, 4) == 3 && SPDK_COUNTOF(items) == 3);
    CHECK(strcmp(spdk_strerror(-EINVAL), "Invalid argument") == 0);

    SPDK_NOTICELOG("c_env_test passed on %u cores\n", count);
    spdk_env_fini();
    return 0;
}
