// JSON-RPC methods of the malloc bdev module (SPDK's names and parameters).
#include <string>
#include <utility>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "modules/malloc/bdev_malloc.hpp"
#include "spdk/bdev.h"

namespace {

using spdk_embedded::RpcReply;
using spdk_embedded::bdev::rpc::Params;

int create(const nlohmann::json &params, std::string &error, std::string &created) {
    Params p("bdev_malloc_create", params, error);
    malloc_bdev_opts opts{};
    std::string name;
    Params::MdDif md;
    int64_t numa_id = -1;
    int rc = p.check_members({"name", "uuid", "num_blocks", "block_size", "physical_block_size",
                              "optimal_io_boundary", "md_size", "md_interleave", "dif_type",
                              "dif_is_head_of_md", "dif_pi_format", "numa_id"});
    if (rc == 0)
        rc = p.get_disk(false, name, opts.uuid, opts.num_blocks, opts.block_size,
                        opts.physical_block_size);
    if (rc == 0)
        rc = p.get_u32("optimal_io_boundary", false, opts.optimal_io_boundary);
    if (rc == 0)
        rc = p.get_md_dif(md, true);
    if (rc == 0)
        rc = p.get_int("numa_id", numa_id);
    if (rc == 0)
        rc = p.check_disk(opts.num_blocks, opts.block_size, opts.physical_block_size, md);
    if (rc != 0) {
        return rc;
    }
    opts.name = name.empty() ? nullptr : name.c_str();
    spdk_bdev *bdev = nullptr;
    rc = create_malloc_disk(&bdev, &opts);
    if (rc != 0) {
        return p.create_failed(rc, name);
    }
    created = spdk_bdev_get_name(bdev);
    return 0;
}

void rpc_bdev_malloc_create(const nlohmann::json &params, RpcReply reply) {
    spdk_embedded::bdev::rpc::reply_created(
        std::move(reply),
        [&](std::string &error, std::string &name) { return create(params, error, name); });
}

void rpc_bdev_malloc_delete(const nlohmann::json &params, RpcReply reply) {
    spdk_embedded::bdev::rpc::delete_by_name("bdev_malloc_delete", params, std::move(reply),
                                             "malloc", false, delete_malloc_disk);
}

}  // namespace

SPDK_EMBEDDED_RPC_REGISTER("bdev_malloc_create", rpc_bdev_malloc_create, SPDK_RPC_RUNTIME);
SPDK_EMBEDDED_RPC_REGISTER("bdev_malloc_delete", rpc_bdev_malloc_delete, SPDK_RPC_RUNTIME);
