// Internal: pieces the embedded bdev modules (malloc, null, uring) share: their
// module and function-table descriptions, the common struct spdk_bdev fields, the
// config JSON entry and deleting one of their bdevs by name.
#pragma once

#include <cstdint>

#include "spdk/bdev_module.h"
#include "spdk/json.h"
#include "spdk/uuid.h"

namespace spdk_embedded::bdev::module {

// A module description with the given hooks; the others are left NULL (false).
constexpr spdk_bdev_module make_module(const char *name, int (*module_init)(),
                                       void (*module_fini)(),
                                       int (*config_json)(spdk_json_write_ctx *) = nullptr,
                                       int (*get_ctx_size)() = nullptr, bool async_fini = false) {
    spdk_bdev_module m{};
    m.module_init = module_init;
    m.module_fini = module_fini;
    m.config_json = config_json;
    m.name = name;
    m.get_ctx_size = get_ctx_size;
    m.async_fini = async_fini;
    return m;
}

// A function table with the hooks the modules provide; the others are left NULL.
constexpr spdk_bdev_fn_table make_fn_table(
    int (*destruct)(void *), void (*submit_request)(spdk_io_channel *, spdk_bdev_io *),
    bool (*io_type_supported)(void *, spdk_bdev_io_type),
    spdk_io_channel *(*get_io_channel)(void *),
    int (*dump_info_json)(void *, spdk_json_write_ctx *),
    void (*write_config_json)(spdk_bdev *, spdk_json_write_ctx *)) {
    spdk_bdev_fn_table t{};
    t.destruct = destruct;
    t.submit_request = submit_request;
    t.io_type_supported = io_type_supported;
    t.get_io_channel = get_io_channel;
    t.dump_info_json = dump_info_json;
    t.write_config_json = write_config_json;
    return t;
}

// Channel callbacks of a module whose channels carry no state.
inline int create_channel_noop(void * /*io_device*/, void * /*ctx_buf*/) {
    return 0;
}

inline void destroy_channel_noop(void * /*io_device*/, void * /*ctx_buf*/) {}

// Fills the fields of bdev every module sets: what it is, its geometry, its UUID
// (when not null) and who serves it.
inline void fill_bdev(spdk_bdev &bdev, const char *product_name, uint32_t blocklen,
                      uint64_t blockcnt, const spdk_uuid &uuid, void *ctxt,
                      const spdk_bdev_fn_table *fn_table, spdk_bdev_module *module) {
    bdev.product_name = const_cast<char *>(product_name);
    bdev.blocklen = blocklen;
    bdev.blockcnt = blockcnt;
    if (!spdk_uuid_is_null(&uuid)) {
        spdk_uuid_copy(&bdev.uuid, &uuid);
    }
    bdev.ctxt = ctxt;
    bdev.fn_table = fn_table;
    bdev.module = module;
}

// Writes the config entry {"method": method, "params": {"name": ..., <more>}} that
// creates bdev again; more(w) writes the params after the name.
template <typename More>
void write_create_config(spdk_json_write_ctx *w, const char *method, const spdk_bdev *bdev,
                         More more) {
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "method", method);
    spdk_json_write_named_object_begin(w, "params");
    spdk_json_write_named_string(w, "name", bdev->name);
    more(w);
    spdk_json_write_object_end(w);
    spdk_json_write_object_end(w);
}

// Writes the geometry params of a bdev of malloc or null kind.
inline void write_geometry(spdk_json_write_ctx *w, const spdk_bdev *bdev) {
    spdk_json_write_named_uint64(w, "num_blocks", bdev->blockcnt);
    spdk_json_write_named_uint32(w, "block_size", bdev->blocklen);
    spdk_json_write_named_uint32(w, "physical_block_size", bdev->phys_blocklen);
    spdk_json_write_named_uuid(w, "uuid", &bdev->uuid);
}

// Starts removing module's bdev name; cb_fn (when not NULL) gets the result, at
// once when the removal cannot start.
inline void delete_by_name(const char *name, spdk_bdev_module *module,
                           spdk_bdev_unregister_cb cb_fn, void *cb_arg) {
    const int rc = spdk_bdev_unregister_by_name(name, module, cb_fn, cb_arg);
    if (rc != 0 && cb_fn != nullptr) {
        cb_fn(cb_arg, rc);
    }
}

}  // namespace spdk_embedded::bdev::module
