// JSON-RPC methods of the bdev layer itself that appear in SPDK configurations.
#include <string>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "spdk/bdev.h"

namespace {

using spdk_embedded::bdev::rpc::Params;

// Options take effect when the bdev layer next starts.
int rpc_bdev_set_options(const nlohmann::json &params, std::string &error) {
    Params p("bdev_set_options", params, error);
    spdk_bdev_opts opts{};
    spdk_bdev_get_opts(&opts, sizeof(opts));
    // Unpacked copies: the fields of the packed struct cannot be bound to references.
    bool auto_examine = opts.bdev_auto_examine;
    uint32_t pool_size = opts.bdev_io_pool_size;
    uint32_t cache_size = opts.bdev_io_cache_size;
    uint32_t small_cache = opts.iobuf_small_cache_size;
    uint32_t large_cache = opts.iobuf_large_cache_size;
    int rc = p.check_members({"bdev_io_pool_size", "bdev_io_cache_size", "bdev_auto_examine",
                              "iobuf_small_cache_size", "iobuf_large_cache_size"});
    if (rc == 0)
        rc = p.get_u32("bdev_io_pool_size", false, pool_size);
    if (rc == 0)
        rc = p.get_u32("bdev_io_cache_size", false, cache_size);
    if (rc == 0)
        rc = p.get_bool("bdev_auto_examine", auto_examine);
    if (rc == 0)
        rc = p.get_u32("iobuf_small_cache_size", false, small_cache);
    if (rc == 0)
        rc = p.get_u32("iobuf_large_cache_size", false, large_cache);
    if (rc != 0) {
        return rc;
    }
    opts.bdev_auto_examine = auto_examine;
    opts.bdev_io_pool_size = pool_size;
    opts.bdev_io_cache_size = cache_size;
    opts.iobuf_small_cache_size = small_cache;
    opts.iobuf_large_cache_size = large_cache;
    if (spdk_bdev_set_opts(&opts) != 0) {
        return p.fail(-EINVAL, "'bdev_io_pool_size' " + std::to_string(pool_size) +
                                   " is too small for 'bdev_io_cache_size' " +
                                   std::to_string(cache_size) + " on every thread");
    }
    return 0;
}

// Examination runs as bdevs are registered: nothing is left to wait for when a
// configuration reaches this entry.
int rpc_bdev_wait_for_examine(const nlohmann::json &params, std::string &error) {
    Params p("bdev_wait_for_examine", params, error);
    return p.check_members({});
}

}  // namespace

SPDK_EMBEDDED_RPC_REGISTER("bdev_set_options", rpc_bdev_set_options, SPDK_RPC_STARTUP);
SPDK_EMBEDDED_RPC_REGISTER("bdev_wait_for_examine", rpc_bdev_wait_for_examine, SPDK_RPC_RUNTIME);
