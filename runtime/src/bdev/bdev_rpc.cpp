// JSON-RPC methods of the bdev layer itself that appear in SPDK configurations.
#include <string>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "spdk/bdev.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdk/string.h"

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

// Answers once no module examines a bdev any more (spdk_bdev_wait_for_examine), so
// that a replayed configuration, which ends with this method, waits for the bdevs
// that modules create while examining. As SPDK's, it takes no params at all (not
// even an empty object).
void rpc_bdev_wait_for_examine_done(void *arg) {
    spdk_jsonrpc_send_bool_response(static_cast<spdk_jsonrpc_request *>(arg), true);
}

void rpc_bdev_wait_for_examine(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    if (params != nullptr) {
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
                                         "bdev_wait_for_examine requires no parameters");
        return;
    }
    const int rc = spdk_bdev_wait_for_examine(rpc_bdev_wait_for_examine_done, request);
    if (rc != 0) {
        spdk_jsonrpc_send_error_response(request, rc, spdk_strerror(-rc));
    }
}

}  // namespace

SPDK_EMBEDDED_RPC_REGISTER("bdev_set_options", rpc_bdev_set_options, SPDK_RPC_STARTUP);
SPDK_RPC_REGISTER("bdev_wait_for_examine", rpc_bdev_wait_for_examine, SPDK_RPC_RUNTIME)
