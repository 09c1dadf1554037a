// JSON-RPC methods of the null bdev module (SPDK's names and parameters).
#include <limits>
#include <string>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "modules/null/bdev_null.hpp"
#include "spdk/string.h"

namespace {

using spdk_embedded::bdev::rpc::Params;

int rpc_bdev_null_create(const nlohmann::json &params, std::string &error) {
    Params p("bdev_null_create", params, error);
    null_bdev_opts opts{};
    std::string name;
    uint64_t md_size = 0;
    uint64_t dif_type = 0;
    uint64_t dif_pi_format = 0;
    uint32_t preferred = 0;
    bool dif_is_head_of_md = false;
    int rc = p.check_members({"name", "uuid", "num_blocks", "block_size", "physical_block_size",
                              "md_size", "dif_type", "dif_is_head_of_md", "dif_pi_format",
                              "preferred_write_alignment", "preferred_write_granularity",
                              "optimal_write_size", "preferred_unmap_alignment",
                              "preferred_unmap_granularity"});
    if (rc == 0)
        rc = p.get_string("name", true, name);
    if (rc == 0)
        rc = p.get_uuid("uuid", opts.uuid);
    if (rc == 0)
        rc = p.get_uint("num_blocks", true, std::numeric_limits<uint64_t>::max(), opts.num_blocks);
    if (rc == 0)
        rc = p.get_u32("block_size", true, opts.block_size);
    if (rc == 0)
        rc = p.get_u32("physical_block_size", false, opts.physical_block_size);
    if (rc == 0)
        rc = p.get_uint("md_size", false, 128, md_size);
    if (rc == 0)
        rc = p.get_uint("dif_type", false, 3, dif_type);
    if (rc == 0)
        rc = p.get_bool("dif_is_head_of_md", dif_is_head_of_md);
    if (rc == 0)
        rc = p.get_uint("dif_pi_format", false, 2, dif_pi_format);
    for (const char *key :
         {"preferred_write_alignment", "preferred_write_granularity", "optimal_write_size",
          "preferred_unmap_alignment", "preferred_unmap_granularity"}) {
        if (rc == 0)
            rc = p.get_u32(key, false, preferred);
    }
    if (rc != 0) {
        return rc;
    }
    if (opts.num_blocks == 0) {
        return p.fail(-EINVAL, "'num_blocks' must be greater than 0");
    }
    if (opts.block_size == 0 || opts.block_size % 512 != 0) {
        return p.fail(-EINVAL, "'block_size' must be a multiple of 512, not " +
                                   std::to_string(opts.block_size));
    }
    if (opts.physical_block_size % 512 != 0) {
        return p.fail(-EINVAL, "'physical_block_size' must be a multiple of 512, not " +
                                   std::to_string(opts.physical_block_size));
    }
    if (md_size != 0 || dif_type != 0) {
        return p.fail(-ENOTSUP,
                      "'md_size' and 'dif_type' (metadata and protection "
                      "information) are not supported by the embedded runtime");
    }
    opts.name = name.c_str();
    spdk_bdev *bdev = nullptr;
    rc = bdev_null_create(&bdev, &opts);
    if (rc == -EEXIST) {
        return p.fail(rc, "a bdev named '" + name + "' (or with its UUID) already exists");
    }
    if (rc != 0) {
        return p.fail(rc, spdk_strerror(-rc));
    }
    return 0;
}

int rpc_bdev_null_delete(const nlohmann::json &params, std::string &error) {
    Params p("bdev_null_delete", params, error);
    std::string name;
    int rc = p.check_members({"name"});
    if (rc == 0)
        rc = p.get_string("name", true, name);
    if (rc != 0) {
        return rc;
    }
    rc = spdk_embedded::bdev::rpc::start_async(
        "bdev_null_delete", [&](auto cb, void *arg) { bdev_null_delete(name.c_str(), cb, arg); });
    if (rc != 0) {
        return p.fail(rc, "cannot delete null bdev '" + name + "': " + spdk_strerror(-rc));
    }
    return 0;
}

}  // namespace

SPDK_EMBEDDED_RPC_REGISTER("bdev_null_create", rpc_bdev_null_create);
SPDK_EMBEDDED_RPC_REGISTER("bdev_null_delete", rpc_bdev_null_delete);
