/* spdkcpp embedded runtime: reading and writing integers in a given byte order at
 * any address (wire formats, on-disk structures). Byte by byte, so a pointer need
 * not be aligned; compilers turn each into a load or store and, for big endian on
 * x86, a byte swap. */
#ifndef SPDK_ENDIAN_H
#define SPDK_ENDIAN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline uint64_t spdk_endian_load_be_(const void *ptr, unsigned bytes) {
    const uint8_t *p = (const uint8_t *)ptr;
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < bytes; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static inline void spdk_endian_store_be_(void *out, uint64_t v, unsigned bytes) {
    uint8_t *p = (uint8_t *)out;
    unsigned i;

    for (i = bytes; i > 0; i--) {
        p[i - 1] = (uint8_t)v;
        v >>= 8;
    }
}

static inline uint64_t spdk_endian_load_le_(const void *ptr, unsigned bytes) {
    const uint8_t *p = (const uint8_t *)ptr;
    uint64_t v = 0;
    unsigned i;

    for (i = bytes; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static inline void spdk_endian_store_le_(void *out, uint64_t v, unsigned bytes) {
    uint8_t *p = (uint8_t *)out;
    unsigned i;

    for (i = 0; i < bytes; i++) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline uint16_t from_be16(const void *ptr) {
    return (uint16_t)spdk_endian_load_be_(ptr, 2);
}
static inline uint32_t from_be32(const void *ptr) {
    return (uint32_t)spdk_endian_load_be_(ptr, 4);
}
static inline uint64_t from_be64(const void *ptr) {
    return spdk_endian_load_be_(ptr, 8);
}
static inline void to_be16(void *out, uint16_t in) {
    spdk_endian_store_be_(out, in, 2);
}
static inline void to_be32(void *out, uint32_t in) {
    spdk_endian_store_be_(out, in, 4);
}
static inline void to_be64(void *out, uint64_t in) {
    spdk_endian_store_be_(out, in, 8);
}

static inline uint16_t from_le16(const void *ptr) {
    return (uint16_t)spdk_endian_load_le_(ptr, 2);
}
static inline uint32_t from_le32(const void *ptr) {
    return (uint32_t)spdk_endian_load_le_(ptr, 4);
}
static inline uint64_t from_le64(const void *ptr) {
    return spdk_endian_load_le_(ptr, 8);
}
static inline void to_le16(void *out, uint16_t in) {
    spdk_endian_store_le_(out, in, 2);
}
static inline void to_le32(void *out, uint32_t in) {
    spdk_endian_store_le_(out, in, 4);
}
static inline void to_le64(void *out, uint64_t in) {
    spdk_endian_store_le_(out, in, 8);
}

#ifdef __cplusplus
}
#endif

#endif /* SPDK_ENDIAN_H */
