/* spdkcpp embedded runtime: the memory-domain names that the bdev API mentions.
 * The embedded runtime has no memory domains: all data buffers are plain local
 * memory, and bdevs report no domains. */
#ifndef SPDK_DMA_H
#define SPDK_DMA_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

enum spdk_dma_device_type {
    SPDK_DMA_DEVICE_TYPE_RDMA,
    SPDK_DMA_DEVICE_TYPE_DMA,
    SPDK_DMA_DEVICE_TYPE_ACCEL,
    SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START = 1000,
    SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END = SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 999
};

/* Opaque; never created by the embedded runtime. */
struct spdk_memory_domain;

#ifdef __cplusplus
}
#endif

#endif /* SPDK_DMA_H */
