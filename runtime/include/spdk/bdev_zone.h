/* spdkcpp embedded runtime: zoned block devices (SPDK's bdev_zone API).
 *
 * No bdev of the embedded runtime is zoned (spdk_bdev_is_zoned is false): the size
 * queries answer 0 and the zone requests return -ENOTSUP, so that programs that
 * handle zoned bdevs build and take their non-zoned path. */
#ifndef SPDK_BDEV_ZONE_H
#define SPDK_BDEV_ZONE_H

#include "spdk/bdev.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct spdk_bdev;

enum spdk_bdev_zone_type {
    SPDK_BDEV_ZONE_TYPE_CNV = 0x1,
    SPDK_BDEV_ZONE_TYPE_SEQWR = 0x2,
    SPDK_BDEV_ZONE_TYPE_SEQWP = 0x3,
};

enum spdk_bdev_zone_action {
    SPDK_BDEV_ZONE_CLOSE,
    SPDK_BDEV_ZONE_FINISH,
    SPDK_BDEV_ZONE_OPEN,
    SPDK_BDEV_ZONE_RESET,
    SPDK_BDEV_ZONE_OFFLINE,
};

enum spdk_bdev_zone_state {
    SPDK_BDEV_ZONE_STATE_EMPTY = 0x0,
    SPDK_BDEV_ZONE_STATE_IMP_OPEN = 0x1,
    SPDK_BDEV_ZONE_STATE_OPEN = SPDK_BDEV_ZONE_STATE_IMP_OPEN, /* older name */
    SPDK_BDEV_ZONE_STATE_FULL = 0x2,
    SPDK_BDEV_ZONE_STATE_CLOSED = 0x3,
    SPDK_BDEV_ZONE_STATE_READ_ONLY = 0x4,
    SPDK_BDEV_ZONE_STATE_OFFLINE = 0x5,
    SPDK_BDEV_ZONE_STATE_EXP_OPEN = 0x6,
    SPDK_BDEV_ZONE_STATE_NOT_WP = 0x7,
};

struct spdk_bdev_zone_info {
    uint64_t zone_id;
    uint64_t write_pointer;
    uint64_t capacity;
    enum spdk_bdev_zone_state state;
    enum spdk_bdev_zone_type type;
};

/* Zone size in blocks; 0 for a bdev that is not zoned. */
uint64_t spdk_bdev_get_zone_size(const struct spdk_bdev *bdev);
uint64_t spdk_bdev_get_num_zones(const struct spdk_bdev *bdev);
/* The first block of the zone holding offset_blocks. */
uint64_t spdk_bdev_get_zone_id(const struct spdk_bdev *bdev, uint64_t offset_blocks);
uint32_t spdk_bdev_get_max_zone_append_size(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_max_open_zones(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_max_active_zones(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_optimal_open_zones(const struct spdk_bdev *bdev);

/* These return -ENOTSUP: no embedded bdev is zoned. */
int spdk_bdev_get_zone_info(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                            uint64_t zone_id, size_t num_zones, struct spdk_bdev_zone_info *info,
                            spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_zone_management(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                              uint64_t zone_id, enum spdk_bdev_zone_action action,
                              spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_zone_append(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                          uint64_t zone_id, uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                          void *cb_arg);
int spdk_bdev_zone_appendv(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                           struct iovec *iov, int iovcnt, uint64_t zone_id, uint64_t num_blocks,
                           spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_zone_append_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                  void *buf, void *md, uint64_t zone_id, uint64_t num_blocks,
                                  spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_zone_appendv_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                   struct iovec *iov, int iovcnt, void *md, uint64_t zone_id,
                                   uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                                   void *cb_arg);
/* Where a zone append landed; 0 in the embedded runtime. */
uint64_t spdk_bdev_io_get_append_location(struct spdk_bdev_io *bdev_io);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_BDEV_ZONE_H */
