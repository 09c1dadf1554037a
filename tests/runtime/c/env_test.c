/* A plain C program against SPDK's env, log and string API, as SPDK users write
 * them: it must build as gnu11 and behave as on SPDK. Exits non-zero on failure. */
#include "spdk/env.h"
#include "spdk/cpuset.h"
#include "spdk/endian.h"
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
    uint8_t bytes[9] = {0};
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

    /* Byte orders, at an odd (unaligned) address. */
    to_be32(bytes + 1, 0x01020304);
    CHECK(bytes[1] == 1 && bytes[2] == 2 && bytes[3] == 3 && bytes[4] == 4);
    CHECK(from_be32(bytes + 1) == 0x01020304 && from_le32(bytes + 1) == 0x04030201);
    CHECK(from_be16(bytes + 1) == 0x0102 && from_le16(bytes + 3) == 0x0403);
    to_le64(bytes + 1, 0x1122334455667788ULL);
    CHECK(bytes[1] == 0x88 && bytes[8] == 0x11 && bytes[0] == 0);
    CHECK(from_le64(bytes + 1) == 0x1122334455667788ULL);
    CHECK(from_be64(bytes + 1) == 0x8877665544332211ULL);
    to_be64(bytes + 1, 0xfedcba9876543210ULL);
    CHECK(from_be64(bytes + 1) == 0xfedcba9876543210ULL && bytes[1] == 0xfe);
    to_be16(bytes, 0xabcd);
    to_le16(bytes + 2, 0xabcd);
    to_le32(bytes + 4, 0xdeadbeef);
    CHECK(bytes[0] == 0xab && bytes[1] == 0xcd && bytes[2] == 0xcd && bytes[3] == 0xab);
    CHECK(bytes[4] == 0xef && from_le32(bytes + 4) == 0xdeadbeef);

    SPDK_NOTICELOG("c_env_test passed on %u cores\n", count);
    spdk_env_fini();
    return 0;
}
