// JSON-RPC methods of the null bdev module (SPDK's names and parameters).
#include <string>
#include <utility>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "modules/null/bdev_null.hpp"
#include "spdk/bdev.h"

namespace {

using spdk_embedded::RpcReply;
using spdk_embedded::bdev::rpc::Params;

int create(const nlohmann::json &params, std::string &error, std::string &created) {
    Params p("bdev_null_create", params, error);
    null_bdev_opts opts{};
    std::string name;
    Params::MdDif md;
    uint32_t preferred = 0;
    int rc = p.check_members({"name", "uuid", "num_blocks", "block_size", "physical_block_size",
                              "md_size", "dif_type", "dif_is_head_of_md", "dif_pi_format",
                              "preferred_write_alignment", "preferred_write_granularity",
                              "optimal_write_size", "preferred_unmap_alignment",
                              "preferred_unmap_granularity"});
    if (rc == 0)
        rc = p.get_disk(true, name, opts.uuid, opts.num_blocks, opts.block_size,
                        opts.physical_block_size);
    if (rc == 0)
        rc = p.get_md_dif(md, false);
    for (const char *key :
         {"preferred_write_alignment", "preferred_write_granularity", "optimal_write_size",
          "preferred_unmap_alignment", "preferred_unmap_granularity"}) {
        if (rc == 0)
            rc = p.get_u32(key, false, preferred);
    }
    if (rc == 0)
        rc = p.check_disk(opts.num_blocks, opts.block_size, opts.physical_block_size, md);
    if (rc != 0) {
        return rc;
    }
    opts.name = name.c_str();
    spdk_bdev *bdev = nullptr;
    rc = bdev_null_create(&bdev, &opts);
    if (rc != 0) {
        return p.create_failed(rc, name);
    }
    created = spdk_bdev_get_name(bdev);
    return 0;
}

void rpc_bdev_null_create(const nlohmann::json &params, RpcReply reply) {
    spdk_embedded::bdev::rpc::reply_created(
        std::move(reply),
        [&](std::string &error, std::string &name) { return create(params, error, name); });
}

void rpc_bdev_null_delete(const nlohmann::json &params, RpcReply reply) {
    spdk_embedded::bdev::rpc::delete_by_name("bdev_null_delete", params, std::move(reply), "null",
                                             false, bdev_null_delete);
}

}  // namespace

SPDK_EMBEDDED_RPC_REGISTER("bdev_null_create", rpc_bdev_null_create, SPDK_RPC_RUNTIME);
SPDK_EMBEDDED_RPC_REGISTER("bdev_null_delete", rpc_bdev_null_delete, SPDK_RPC_RUNTIME);
