// JSON-RPC methods of the bdev layer itself: those that appear in SPDK
// configurations, and bdev_get_bdevs and bdev_get_iostat with SPDK's parameters
// and result shapes.
#include <string>
#include <vector>

#include "bdev/rpc_params.hpp"
#include "internal/rpc.hpp"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdk/string.h"
#include "spdk/thread.h"
#include "spdk/util.h"

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

// --- bdev_get_bdevs -----------------------------------------------------------------

void ignore_bdev_event(spdk_bdev_event_type /*type*/, spdk_bdev * /*bdev*/, void * /*ctx*/) {}

// One bdev as SPDK describes it.
int dump_bdev_info(void *ctx, spdk_bdev *bdev) {
    auto *w = static_cast<spdk_json_write_ctx *>(ctx);
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "name", spdk_bdev_get_name(bdev));
    spdk_json_write_named_array_begin(w, "aliases");
    const spdk_bdev_alias *alias = nullptr;
    TAILQ_FOREACH(alias, spdk_bdev_get_aliases(bdev), tailq) {
        spdk_json_write_string(w, alias->alias.name);
    }
    spdk_json_write_array_end(w);
    spdk_json_write_named_string(w, "product_name", spdk_bdev_get_product_name(bdev));
    spdk_json_write_named_uint32(w, "block_size", spdk_bdev_get_block_size(bdev));
    spdk_json_write_named_uint64(w, "num_blocks", spdk_bdev_get_num_blocks(bdev));
    spdk_json_write_named_uint32(w, "preferred_write_alignment",
                                 spdk_bdev_get_preferred_write_alignment(bdev));
    spdk_json_write_named_uint32(w, "preferred_write_granularity",
                                 spdk_bdev_get_preferred_write_granularity(bdev));
    spdk_json_write_named_uint32(w, "optimal_write_size", spdk_bdev_get_optimal_write_size(bdev));
    spdk_json_write_named_uint32(w, "preferred_unmap_alignment",
                                 spdk_bdev_get_preferred_unmap_alignment(bdev));
    spdk_json_write_named_uint32(w, "preferred_unmap_granularity",
                                 spdk_bdev_get_preferred_unmap_granularity(bdev));
    spdk_json_write_named_uuid(w, "uuid", spdk_bdev_get_uuid(bdev));
    if (bdev->numa.id_valid) {
        spdk_json_write_named_int32(w, "numa_id", bdev->numa.id);
    }
    if (spdk_bdev_get_md_size(bdev) != 0) {
        spdk_json_write_named_uint32(w, "md_size", spdk_bdev_get_md_size(bdev));
        spdk_json_write_named_bool(w, "md_interleave", spdk_bdev_is_md_interleaved(bdev));
        spdk_json_write_named_uint32(w, "dif_type", spdk_bdev_get_dif_type(bdev));
        if (spdk_bdev_get_dif_type(bdev) != SPDK_DIF_DISABLE) {
            spdk_json_write_named_bool(w, "dif_is_head_of_md", spdk_bdev_is_dif_head_of_md(bdev));
            spdk_json_write_named_object_begin(w, "enabled_dif_check_types");
            spdk_json_write_named_bool(
                w, "reftag", spdk_bdev_is_dif_check_enabled(bdev, SPDK_DIF_CHECK_TYPE_REFTAG));
            spdk_json_write_named_bool(
                w, "apptag", spdk_bdev_is_dif_check_enabled(bdev, SPDK_DIF_CHECK_TYPE_APPTAG));
            spdk_json_write_named_bool(
                w, "guard", spdk_bdev_is_dif_check_enabled(bdev, SPDK_DIF_CHECK_TYPE_GUARD));
            spdk_json_write_object_end(w);
            spdk_json_write_named_uint32(w, "dif_pi_format", spdk_bdev_get_dif_pi_format(bdev));
        }
    }
    // The runtime has no QoS: every limit is 0 (none), as SPDK shows an unlimited bdev.
    spdk_json_write_named_object_begin(w, "assigned_rate_limits");
    for (const char *limit :
         {"rw_ios_per_sec", "rw_mbytes_per_sec", "r_mbytes_per_sec", "w_mbytes_per_sec"}) {
        spdk_json_write_named_uint64(w, limit, 0);
    }
    spdk_json_write_object_end(w);
    spdk_json_write_named_bool(w, "claimed", bdev->internal.claim_type != SPDK_BDEV_CLAIM_NONE);
    if (bdev->internal.claim_type != SPDK_BDEV_CLAIM_NONE) {
        spdk_json_write_named_string(w, "claim_type",
                                     spdk_bdev_claim_get_name(bdev->internal.claim_type));
    }
    spdk_json_write_named_bool(w, "zoned", bdev->zoned);
    if (bdev->zoned) {
        spdk_json_write_named_uint64(w, "zone_size", bdev->zone_size);
        spdk_json_write_named_uint64(w, "max_open_zones", bdev->max_open_zones);
        spdk_json_write_named_uint64(w, "optimal_open_zones", bdev->optimal_open_zones);
    }
    spdk_json_write_named_object_begin(w, "supported_io_types");
    for (int t = SPDK_BDEV_IO_TYPE_READ; t < SPDK_BDEV_NUM_IO_TYPES; ++t) {
        const auto type = static_cast<spdk_bdev_io_type>(t);
        if (const char *name = spdk_bdev_get_io_type_name(type); name != nullptr) {
            spdk_json_write_named_bool(w, name, spdk_bdev_io_type_supported(bdev, type));
        }
    }
    spdk_json_write_object_end(w);
    spdk_json_write_named_object_begin(w, "driver_specific");
    spdk_bdev_dump_info_json(bdev, w);
    spdk_json_write_object_end(w);
    spdk_json_write_object_end(w);
    return 0;
}

struct GetBdevsParams {
    char *name;
    uint64_t timeout;
};

const spdk_json_object_decoder kGetBdevsDecoders[] = {
    {"name", offsetof(GetBdevsParams, name), spdk_json_decode_string, true},
    {"timeout", offsetof(GetBdevsParams, timeout), spdk_json_decode_uint64, true},
};

void get_bdev_opened(spdk_bdev_desc *desc, int rc, void *arg) {
    auto *request = static_cast<spdk_jsonrpc_request *>(arg);
    if (rc != 0) {
        spdk_jsonrpc_send_error_response(request, rc, spdk_strerror(-rc));
        return;
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_array_begin(w);
    dump_bdev_info(w, spdk_bdev_desc_get_bdev(desc));
    spdk_json_write_array_end(w);
    spdk_jsonrpc_end_result(request, w);
    spdk_bdev_close(desc);
}

// Every bdev, or the one named (waiting up to timeout ms for it to appear).
void rpc_bdev_get_bdevs(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    GetBdevsParams p{};
    if (params != nullptr && spdk_json_decode_object(params, kGetBdevsDecoders,
                                                     SPDK_COUNTOF(kGetBdevsDecoders), &p) != 0) {
        spdk_json_free_object(kGetBdevsDecoders, SPDK_COUNTOF(kGetBdevsDecoders), &p);
        spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                         "spdk_json_decode_object failed");
        return;
    }
    if (p.name != nullptr) {
        spdk_bdev_open_async_opts opts{};
        opts.size = sizeof(opts);
        opts.timeout_ms = p.timeout;
        const int rc = spdk_bdev_open_async(p.name, false, ignore_bdev_event, nullptr, &opts,
                                            get_bdev_opened, request);
        std::free(p.name);
        if (rc != 0) {
            spdk_jsonrpc_send_error_response(request, rc, spdk_strerror(-rc));
        }
        return;
    }
    spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(request);
    spdk_json_write_array_begin(w);
    spdk_for_each_bdev(w, dump_bdev_info);
    spdk_json_write_array_end(w);
    spdk_jsonrpc_end_result(request, w);
}

// --- bdev_get_iostat ------------------------------------------------------------------

int append_text(void *cb_ctx, const void *data, size_t size) {
    static_cast<std::string *>(cb_ctx)->append(static_cast<const char *>(data), size);
    return 0;
}

// The members SPDK writes for a spdk_bdev_io_stat (a minimum of "none yet" as 0).
void write_io_stat(spdk_json_write_ctx *w, const spdk_bdev_io_stat &s) {
    auto min = [](uint64_t v) { return v == UINT64_MAX ? 0 : v; };
    spdk_json_write_named_uint64(w, "bytes_read", s.bytes_read);
    spdk_json_write_named_uint64(w, "num_read_ops", s.num_read_ops);
    spdk_json_write_named_uint64(w, "bytes_written", s.bytes_written);
    spdk_json_write_named_uint64(w, "num_write_ops", s.num_write_ops);
    spdk_json_write_named_uint64(w, "bytes_unmapped", s.bytes_unmapped);
    spdk_json_write_named_uint64(w, "num_unmap_ops", s.num_unmap_ops);
    spdk_json_write_named_uint64(w, "bytes_copied", s.bytes_copied);
    spdk_json_write_named_uint64(w, "num_copy_ops", s.num_copy_ops);
    spdk_json_write_named_uint64(w, "read_latency_ticks", s.read_latency_ticks);
    spdk_json_write_named_uint64(w, "max_read_latency_ticks", s.max_read_latency_ticks);
    spdk_json_write_named_uint64(w, "min_read_latency_ticks", min(s.min_read_latency_ticks));
    spdk_json_write_named_uint64(w, "write_latency_ticks", s.write_latency_ticks);
    spdk_json_write_named_uint64(w, "max_write_latency_ticks", s.max_write_latency_ticks);
    spdk_json_write_named_uint64(w, "min_write_latency_ticks", min(s.min_write_latency_ticks));
    spdk_json_write_named_uint64(w, "unmap_latency_ticks", s.unmap_latency_ticks);
    spdk_json_write_named_uint64(w, "max_unmap_latency_ticks", s.max_unmap_latency_ticks);
    spdk_json_write_named_uint64(w, "min_unmap_latency_ticks", min(s.min_unmap_latency_ticks));
    spdk_json_write_named_uint64(w, "copy_latency_ticks", s.copy_latency_ticks);
    spdk_json_write_named_uint64(w, "max_copy_latency_ticks", s.max_copy_latency_ticks);
    spdk_json_write_named_uint64(w, "min_copy_latency_ticks", min(s.min_copy_latency_ticks));
}

// One call: the statistics of each bdev (or of each channel of one bdev), written
// as they arrive into fragments, put together once the last has.
struct IostatCall {
    spdk_jsonrpc_request *request = nullptr;
    spdk_bdev_reset_stat_mode reset_mode = SPDK_BDEV_RESET_STAT_NONE;
    bool per_channel = false;
    spdk_bdev_desc *desc = nullptr;  // per_channel: the bdev's
    int pending = 1;                 // held by the call itself until all are started
    int rc = 0;
    std::vector<std::string> fragments;
};

struct BdevStat {
    IostatCall *call;
    spdk_bdev_desc *desc;
    spdk_bdev_io_stat stat;
};

void iostat_done(IostatCall *call) {
    if (--call->pending != 0) {
        return;
    }
    if (call->rc != 0) {
        spdk_jsonrpc_send_error_response(call->request, call->rc, spdk_strerror(-call->rc));
    } else {
        spdk_json_write_ctx *w = spdk_jsonrpc_begin_result(call->request);
        spdk_json_write_object_begin(w);
        spdk_json_write_named_uint64(w, "tick_rate", spdk_get_ticks_hz());
        spdk_json_write_named_uint64(w, "ticks", spdk_get_ticks());
        if (call->per_channel) {
            spdk_json_write_named_string(w, "name",
                                         spdk_bdev_get_name(spdk_bdev_desc_get_bdev(call->desc)));
        }
        spdk_json_write_named_array_begin(w, call->per_channel ? "channels" : "bdevs");
        for (const std::string &f : call->fragments) {
            spdk_json_write_val_raw(w, f.data(), f.size());
        }
        spdk_json_write_array_end(w);
        spdk_json_write_object_end(w);
        spdk_jsonrpc_end_result(call->request, w);
    }
    if (call->desc != nullptr) {
        spdk_bdev_close(call->desc);
    }
    delete call;
}

void device_stat_done(spdk_bdev *bdev, spdk_bdev_io_stat *stat, void *arg, int rc) {
    auto *ctx = static_cast<BdevStat *>(arg);
    IostatCall *call = ctx->call;
    if (rc != 0) {
        if (call->rc == 0) {
            call->rc = rc;
        }
    } else {
        std::string text;
        spdk_json_write_ctx *w = spdk_json_write_begin(append_text, &text, 0);
        spdk_json_write_object_begin(w);
        spdk_json_write_named_string(w, "name", spdk_bdev_get_name(bdev));
        write_io_stat(w, *stat);
        if (bdev->fn_table->dump_device_stat_json != nullptr) {
            spdk_json_write_named_object_begin(w, "driver_specific");
            bdev->fn_table->dump_device_stat_json(bdev->ctxt, w);
            spdk_json_write_object_end(w);
        }
        spdk_json_write_object_end(w);
        if (spdk_json_write_end(w) == 0) {
            call->fragments.push_back(std::move(text));
        }
    }
    spdk_bdev_close(ctx->desc);
    delete ctx;
    iostat_done(call);
}

int start_device_stat(IostatCall *call, spdk_bdev_desc *desc) {
    auto *ctx = new BdevStat{call, desc, {}};
    ++call->pending;
    spdk_bdev_get_device_stat(spdk_bdev_desc_get_bdev(desc), &ctx->stat, call->reset_mode,
                              device_stat_done, ctx);
    return 0;
}

int iostat_of(void *arg, spdk_bdev *bdev) {
    auto *call = static_cast<IostatCall *>(arg);
    spdk_bdev_desc *desc = nullptr;
    const int rc =
        spdk_bdev_open_ext(spdk_bdev_get_name(bdev), false, ignore_bdev_event, nullptr, &desc);
    if (rc != 0) {
        return rc;
    }
    return start_device_stat(call, desc);
}

void channel_stat(spdk_bdev_channel_iter *i, spdk_bdev *bdev, spdk_io_channel *ch, void *arg) {
    auto *call = static_cast<IostatCall *>(arg);
    spdk_bdev_io_stat stat{};
    spdk_bdev_get_io_stat(bdev, ch, &stat, call->reset_mode);
    std::string text;
    spdk_json_write_ctx *w = spdk_json_write_begin(append_text, &text, 0);
    spdk_json_write_object_begin(w);
    spdk_json_write_named_uint64(w, "thread_id", spdk_thread_get_id(spdk_get_thread()));
    write_io_stat(w, stat);
    spdk_json_write_object_end(w);
    if (spdk_json_write_end(w) == 0) {
        call->fragments.push_back(std::move(text));
    }
    spdk_bdev_for_each_channel_continue(i, 0);
}

void channel_stats_done(spdk_bdev * /*bdev*/, void *arg, int status) {
    auto *call = static_cast<IostatCall *>(arg);
    if (status != 0 && call->rc == 0) {
        call->rc = status;
    }
    iostat_done(call);
}

struct IostatParams {
    char *name;
    bool per_channel;
    spdk_bdev_reset_stat_mode reset_mode;
};

int decode_reset_mode(const spdk_json_val *val, void *out) {
    auto *mode = static_cast<spdk_bdev_reset_stat_mode *>(out);
    if (spdk_json_strequal(val, "all")) {
        *mode = SPDK_BDEV_RESET_STAT_ALL;
    } else if (spdk_json_strequal(val, "maxmin")) {
        *mode = SPDK_BDEV_RESET_STAT_MAXMIN;
    } else if (spdk_json_strequal(val, "none")) {
        *mode = SPDK_BDEV_RESET_STAT_NONE;
    } else {
        return -EINVAL;
    }
    return 0;
}

const spdk_json_object_decoder kIostatDecoders[] = {
    {"name", offsetof(IostatParams, name), spdk_json_decode_string, true},
    {"per_channel", offsetof(IostatParams, per_channel), spdk_json_decode_bool, true},
    {"reset_mode", offsetof(IostatParams, reset_mode), decode_reset_mode, true},
};

// The I/O statistics of every bdev, or of the one named (per_channel: of each of
// its channels), reset afterwards as reset_mode says.
void rpc_bdev_get_iostat(spdk_jsonrpc_request *request, const spdk_json_val *params) {
    IostatParams p{nullptr, false, SPDK_BDEV_RESET_STAT_NONE};
    spdk_bdev_desc *desc = nullptr;
    if (params != nullptr) {
        if (spdk_json_decode_object(params, kIostatDecoders, SPDK_COUNTOF(kIostatDecoders), &p) !=
            0) {
            std::free(p.name);
            spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INTERNAL_ERROR,
                                             "spdk_json_decode_object failed");
            return;
        }
        if (p.per_channel && p.name == nullptr) {
            spdk_jsonrpc_send_error_response(request, -EINVAL, spdk_strerror(EINVAL));
            return;
        }
        if (p.name != nullptr) {
            const int rc = spdk_bdev_open_ext(p.name, false, ignore_bdev_event, nullptr, &desc);
            std::free(p.name);
            if (rc != 0) {
                spdk_jsonrpc_send_error_response(request, rc, spdk_strerror(-rc));
                return;
            }
        }
    }
    auto *call = new IostatCall;
    call->request = request;
    call->reset_mode = p.reset_mode;
    call->per_channel = p.per_channel;
    if (desc != nullptr && p.per_channel) {
        call->desc = desc;
        ++call->pending;
        spdk_bdev_for_each_channel(spdk_bdev_desc_get_bdev(desc), channel_stat, call,
                                   channel_stats_done);
    } else if (desc != nullptr) {
        start_device_stat(call, desc);
    } else if (const int rc = spdk_for_each_bdev(call, iostat_of); rc != 0) {
        call->rc = rc;
    }
    iostat_done(call);
}

}  // namespace

SPDK_RPC_REGISTER("bdev_get_bdevs", rpc_bdev_get_bdevs, SPDK_RPC_RUNTIME)
SPDK_RPC_REGISTER("bdev_get_iostat", rpc_bdev_get_iostat, SPDK_RPC_RUNTIME)
SPDK_EMBEDDED_RPC_REGISTER("bdev_set_options", rpc_bdev_set_options, SPDK_RPC_STARTUP);
SPDK_RPC_REGISTER("bdev_wait_for_examine", rpc_bdev_wait_for_examine, SPDK_RPC_RUNTIME)
