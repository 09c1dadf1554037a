// spdk/bdev_zone.h: no bdev of the embedded runtime is zoned.
#include "spdk/bdev_zone.h"
#include "spdk/bdev_module.h"

extern "C" {

uint64_t spdk_bdev_get_zone_size(const struct spdk_bdev *bdev) {
    return bdev->zoned ? bdev->zone_size : 0;
}

uint64_t spdk_bdev_get_num_zones(const struct spdk_bdev *bdev) {
    const uint64_t zone_size = spdk_bdev_get_zone_size(bdev);
    return zone_size != 0 ? bdev->blockcnt / zone_size : 0;
}

uint64_t spdk_bdev_get_zone_id(const struct spdk_bdev *bdev, uint64_t offset_blocks) {
    const uint64_t zone_size = spdk_bdev_get_zone_size(bdev);
    return zone_size != 0 ? offset_blocks - offset_blocks % zone_size : 0;
}

uint32_t spdk_bdev_get_max_zone_append_size(const struct spdk_bdev *bdev) {
    return bdev->max_zone_append_size;
}

uint32_t spdk_bdev_get_max_open_zones(const struct spdk_bdev *bdev) {
    return bdev->max_open_zones;
}

uint32_t spdk_bdev_get_max_active_zones(const struct spdk_bdev *bdev) {
    return bdev->max_active_zones;
}

uint32_t spdk_bdev_get_optimal_open_zones(const struct spdk_bdev *bdev) {
    return bdev->optimal_open_zones;
}

int spdk_bdev_get_zone_info(struct spdk_bdev_desc * /*desc*/, struct spdk_io_channel * /*ch*/,
                            uint64_t /*zone_id*/, size_t /*num_zones*/,
                            struct spdk_bdev_zone_info * /*info*/,
                            spdk_bdev_io_completion_cb /*cb*/, void * /*cb_arg*/) {
    return -ENOTSUP;
}

int spdk_bdev_zone_management(struct spdk_bdev_desc * /*desc*/, struct spdk_io_channel * /*ch*/,
                              uint64_t /*zone_id*/, enum spdk_bdev_zone_action /*action*/,
                              spdk_bdev_io_completion_cb /*cb*/, void * /*cb_arg*/) {
    return -ENOTSUP;
}

int spdk_bdev_zone_append(struct spdk_bdev_desc * /*desc*/, struct spdk_io_channel * /*ch*/,
                          void * /*buf*/, uint64_t /*zone_id*/, uint64_t /*num_blocks*/,
                          spdk_bdev_io_completion_cb /*cb*/, void * /*cb_arg*/) {
    return -ENOTSUP;
}

int spdk_bdev_zone_appendv(struct spdk_bdev_desc * /*desc*/, struct spdk_io_channel * /*ch*/,
                           struct iovec * /*iov*/, int /*iovcnt*/, uint64_t /*zone_id*/,
                           uint64_t /*num_blocks*/, spdk_bdev_io_completion_cb /*cb*/,
                           void * /*cb_arg*/) {
    return -ENOTSUP;
}

int spdk_bdev_zone_append_with_md(struct spdk_bdev_desc * /*desc*/, struct spdk_io_channel * /*ch*/,
                                  void * /*buf*/, void * /*md*/, uint64_t /*zone_id*/,
                                  uint64_t /*num_blocks*/, spdk_bdev_io_completion_cb /*cb*/,
                                  void * /*cb_arg*/) {
    return -ENOTSUP;
}

int spdk_bdev_zone_appendv_with_md(struct spdk_bdev_desc * /*desc*/,
                                   struct spdk_io_channel * /*ch*/, struct iovec * /*iov*/,
                                   int /*iovcnt*/, void * /*md*/, uint64_t /*zone_id*/,
                                   uint64_t /*num_blocks*/, spdk_bdev_io_completion_cb /*cb*/,
                                   void * /*cb_arg*/) {
    return -ENOTSUP;
}

uint64_t spdk_bdev_io_get_append_location(struct spdk_bdev_io * /*bdev_io*/) {
    return 0;
}

}  // extern "C"
