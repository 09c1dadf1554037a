// JSON-RPC methods of the malloc bdev module (SPDK's names and parameters).
#include <limits>
#include <string>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "modules/malloc/bdev_malloc.hpp"
#include "spdk/string.h"

namespace {

using spdk_embedded::bdev::rpc::Params;

int rpc_bdev_malloc_create(const nlohmann::json &params, std::string &error) {
    Params p("bdev_malloc_create", params, error);
    malloc_bdev_opts opts{};
    std::string name;
    uint64_t md_size = 0;
    uint64_t dif_type = 0;
    uint64_t dif_pi_format = 0;
    bool md_interleave = false;
    bool dif_is_head_of_md = false;
    int64_t numa_id = -1;
    int rc = p.check_members({"name", "uuid", "num_blocks", "block_size", "physical_block_size",
                              "optimal_io_boundary", "md_size", "md_interleave", "dif_type",
                              "dif_is_head_of_md", "dif_pi_format", "numa_id"});
    if (rc == 0)
        rc = p.get_string("name", false, name);
    if (rc == 0)
        rc = p.get_uuid("uuid", opts.uuid);
    if (rc == 0)
        rc = p.get_uint("num_blocks", true, std::numeric_limits<uint64_t>::max(), opts.num_blocks);
    if (rc == 0)
        rc = p.get_u32("block_size", true, opts.block_size);
    if (rc == 0)
        rc = p.get_u32("physical_block_size", false, opts.physical_block_size);
    if (rc == 0)
        rc = p.get_u32("optimal_io_boundary", false, opts.optimal_io_boundary);
    if (rc == 0)
        rc = p.get_uint("md_size", false, 128, md_size);
    if (rc == 0)
        rc = p.get_bool("md_interleave", md_interleave);
    if (rc == 0)
        rc = p.get_uint("dif_type", false, 3, dif_type);
    if (rc == 0)
        rc = p.get_bool("dif_is_head_of_md", dif_is_head_of_md);
    if (rc == 0)
        rc = p.get_uint("dif_pi_format", false, 2, dif_pi_format);
    if (rc == 0)
        rc = p.get_int("numa_id", numa_id);
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
    opts.name = name.empty() ? nullptr : name.c_str();
    spdk_bdev *bdev = nullptr;
    rc = create_malloc_disk(&bdev, &opts);
    if (rc == -EEXIST) {
        return p.fail(rc, name.empty()
                              ? std::string("the generated name (or the UUID) is taken")
                              : "a bdev named '" + name + "' (or with its UUID) already exists");
    }
    if (rc != 0) {
        return p.fail(rc, spdk_strerror(-rc));
    }
    return 0;
}

int rpc_bdev_malloc_delete(const nlohmann::json &params, std::string &error) {
    Params p("bdev_malloc_delete", params, error);
    std::string name;
    int rc = p.check_members({"name"});
    if (rc == 0)
        rc = p.get_string("name", true, name);
    if (rc != 0) {
        return rc;
    }
    // The removal finishes later, once the bdev's descriptors are closed.
    rc = spdk_embedded::bdev::rpc::start_async("bdev_malloc_delete", [&](auto cb, void *arg) {
        delete_malloc_disk(name.c_str(), cb, arg);
    });
    if (rc != 0) {
        return p.fail(rc, "cannot delete malloc bdev '" + name + "': " + spdk_strerror(-rc));
    }
    return 0;
}

}  // namespace

SPDK_EMBEDDED_RPC_REGISTER("bdev_malloc_create", rpc_bdev_malloc_create);
SPDK_EMBEDDED_RPC_REGISTER("bdev_malloc_delete", rpc_bdev_malloc_delete);
