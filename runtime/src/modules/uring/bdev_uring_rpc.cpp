// JSON-RPC methods of the io_uring bdev module (SPDK's names and parameters):
//   bdev_uring_create {name, filename, block_size?, uuid?}
//   bdev_uring_rescan {name}
//   bdev_uring_delete {name}
#include <string>
#include <utility>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "modules/uring/bdev_uring.hpp"
#include "spdk/bdev.h"
#include "spdk/string.h"

namespace {

using spdk_embedded::RpcReply;
using spdk_embedded::bdev::rpc::Params;

int create(const nlohmann::json &params, std::string &error, std::string &created) {
    Params p("bdev_uring_create", params, error);
    bdev_uring_opts opts{};
    std::string name;
    std::string filename;
    int rc = p.check_members({"name", "filename", "block_size", "uuid"});
    if (rc == 0)
        rc = p.get_string("name", true, name);
    if (rc == 0)
        rc = p.get_string("filename", true, filename);
    if (rc == 0)
        rc = p.get_u32("block_size", false, opts.block_size);
    if (rc == 0)
        rc = p.get_uuid("uuid", opts.uuid);
    if (rc != 0) {
        return rc;
    }
    opts.name = name.c_str();
    opts.filename = filename.c_str();
    spdk_bdev *bdev = nullptr;
    std::string what;
    rc = create_uring_bdev(&opts, &bdev, &what);
    if (rc != 0) {
        return p.fail(rc, what);
    }
    created = spdk_bdev_get_name(bdev);
    return 0;
}

void rpc_bdev_uring_create(const nlohmann::json &params, RpcReply reply) {
    spdk_embedded::bdev::rpc::reply_created(
        std::move(reply),
        [&](std::string &error, std::string &name) { return create(params, error, name); });
}

int rpc_bdev_uring_rescan(const nlohmann::json &params, std::string &error) {
    return spdk_embedded::bdev::rpc::by_name(
        "bdev_uring_rescan", params, error, "rescan", "uring", true,
        [](const std::string &name) { return bdev_uring_rescan(name.c_str()); });
}

void rpc_bdev_uring_delete(const nlohmann::json &params, RpcReply reply) {
    spdk_embedded::bdev::rpc::delete_by_name("bdev_uring_delete", params, std::move(reply), "uring",
                                             true, delete_uring_bdev);
}

}  // namespace

SPDK_EMBEDDED_RPC_REGISTER("bdev_uring_create", rpc_bdev_uring_create, SPDK_RPC_RUNTIME);
SPDK_EMBEDDED_RPC_REGISTER("bdev_uring_rescan", rpc_bdev_uring_rescan, SPDK_RPC_RUNTIME);
SPDK_EMBEDDED_RPC_REGISTER("bdev_uring_delete", rpc_bdev_uring_delete, SPDK_RPC_RUNTIME);
