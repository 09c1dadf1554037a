/* Built against an installed spdkcpp-embedded with pkg-config, as an SPDK user would. */
#include "spdk/env.h"
#include "spdk/log.h"

int main(void) {
    struct spdk_env_opts opts;
    void *buf;

    opts.opts_size = sizeof(opts);
    spdk_env_opts_init(&opts);
    opts.name = "consumer_c";
    if (spdk_env_init(&opts) != 0) {
        return 1;
    }
    buf = spdk_dma_zmalloc(4096, 512, NULL);
    if (buf == NULL) {
        return 2;
    }
    spdk_dma_free(buf);
    spdk_env_fini();
    return 0;
}
