// Internal: reading the "params" object of the bdev modules' JSON-RPC methods.
//
// SPDK decodes params strictly: an unknown member, a member of the wrong type or a
// missing required one fails the call. These helpers do the same and write an error
// text that names the method and the parameter, e.g.
//   bdev_malloc_create: missing required parameter 'num_blocks'
#pragma once

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "internal/rpc.hpp"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/uuid.h"

namespace spdk_embedded::bdev::rpc {

using spdk_embedded::RpcReply;

class Params {
  public:
    Params(const char *method, const nlohmann::json &params, std::string &error)
        : method_(method), params_(params), error_(error) {}

    // params must be an object (or absent: null) holding only the given names.
    int check_members(std::initializer_list<std::string_view> known) {
        if (params_.is_null()) {
            return 0;
        }
        if (!params_.is_object()) {
            return fail(-EINVAL, "params must be an object");
        }
        for (const auto &item : params_.items()) {
            bool found = false;
            for (std::string_view name : known) {
                found = found || item.key() == name;
            }
            if (!found) {
                return fail(-EINVAL, "unknown parameter '" + item.key() + "'");
            }
        }
        return 0;
    }

    bool has(const char *name) const {
        return params_.is_object() && params_.contains(name) && !params_.at(name).is_null();
    }

    int missing(const char *name) {
        return fail(-EINVAL, std::string("missing required parameter '") + name + "'");
    }

    // Reads an unsigned integer no larger than max; required or else left as is.
    int get_uint(const char *name, bool required, uint64_t max, uint64_t &out) {
        if (!has(name)) {
            return required ? missing(name) : 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_number_unsigned() && !(value.is_number_integer() && value >= 0)) {
            return fail(-EINVAL,
                        std::string("parameter '") + name + "' must be a non-negative integer");
        }
        const uint64_t v = value.get<uint64_t>();
        if (v > max) {
            return fail(-EINVAL, std::string("parameter '") + name + "' is too large (" +
                                     std::to_string(v) + ")");
        }
        out = v;
        return 0;
    }

    int get_u32(const char *name, bool required, uint32_t &out) {
        uint64_t v = out;
        const int rc = get_uint(name, required, std::numeric_limits<uint32_t>::max(), v);
        out = static_cast<uint32_t>(v);
        return rc;
    }

    int get_int(const char *name, int64_t &out) {
        if (!has(name)) {
            return 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_number_integer()) {
            return fail(-EINVAL, std::string("parameter '") + name + "' must be an integer");
        }
        out = value.get<int64_t>();
        return 0;
    }

    int get_bool(const char *name, bool &out) {
        if (!has(name)) {
            return 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_boolean()) {
            return fail(-EINVAL, std::string("parameter '") + name + "' must be true or false");
        }
        out = value.get<bool>();
        return 0;
    }

    int get_string(const char *name, bool required, std::string &out) {
        if (!has(name)) {
            return required ? missing(name) : 0;
        }
        const nlohmann::json &value = params_.at(name);
        if (!value.is_string() || value.get_ref<const std::string &>().empty()) {
            return fail(-EINVAL,
                        std::string("parameter '") + name + "' must be a non-empty string");
        }
        out = value.get<std::string>();
        return 0;
    }

    int get_uuid(const char *name, spdk_uuid &out) {
        std::string text;
        if (const int rc = get_string(name, false, text); rc != 0 || text.empty()) {
            return rc;
        }
        if (spdk_uuid_parse(&out, text.c_str()) != 0) {
            return fail(-EINVAL,
                        std::string("parameter '") + name + "' is not a UUID: '" + text + "'");
        }
        return 0;
    }

    // Metadata and protection information: accepted, but only as their defaults
    // (check_disk).
    struct MdDif {
        uint64_t md_size = 0;
        uint64_t dif_type = 0;
        uint64_t dif_pi_format = 0;
        bool md_interleave = false;
        bool dif_is_head_of_md = false;
    };

    // Reads a disk's name, uuid, num_blocks, block_size and physical_block_size, in
    // that order, stopping at the first error.
    int get_disk(bool name_required, std::string &name, spdk_uuid &uuid, uint64_t &num_blocks,
                 uint32_t &block_size, uint32_t &physical_block_size) {
        int rc = get_string("name", name_required, name);
        if (rc == 0)
            rc = get_uuid("uuid", uuid);
        if (rc == 0)
            rc = get_uint("num_blocks", true, std::numeric_limits<uint64_t>::max(), num_blocks);
        if (rc == 0)
            rc = get_u32("block_size", true, block_size);
        if (rc == 0)
            rc = get_u32("physical_block_size", false, physical_block_size);
        return rc;
    }

    // Reads md_size, md_interleave (when with_interleave), dif_type,
    // dif_is_head_of_md and dif_pi_format, in that order.
    int get_md_dif(MdDif &md, bool with_interleave) {
        int rc = get_uint("md_size", false, 128, md.md_size);
        if (rc == 0 && with_interleave)
            rc = get_bool("md_interleave", md.md_interleave);
        if (rc == 0)
            rc = get_uint("dif_type", false, 3, md.dif_type);
        if (rc == 0)
            rc = get_bool("dif_is_head_of_md", md.dif_is_head_of_md);
        if (rc == 0)
            rc = get_uint("dif_pi_format", false, 2, md.dif_pi_format);
        return rc;
    }

    // Checks what get_disk and get_md_dif read: some blocks, block sizes that are
    // multiples of 512 and no metadata.
    int check_disk(uint64_t num_blocks, uint32_t block_size, uint32_t physical_block_size,
                   const MdDif &md) {
        if (num_blocks == 0) {
            return fail(-EINVAL, "'num_blocks' must be greater than 0");
        }
        if (block_size == 0 || block_size % 512 != 0) {
            return fail(-EINVAL, "'block_size' must be a multiple of 512, not " +
                                     std::to_string(block_size));
        }
        if (physical_block_size % 512 != 0) {
            return fail(-EINVAL, "'physical_block_size' must be a multiple of 512, not " +
                                     std::to_string(physical_block_size));
        }
        if (md.md_size != 0 || md.dif_type != 0) {
            return fail(-ENOTSUP,
                        "'md_size' and 'dif_type' (metadata and protection "
                        "information) are not supported by the embedded runtime");
        }
        return 0;
    }

    // Reports rc (not 0) from creating the bdev name (empty: a generated name).
    int create_failed(int rc, const std::string &name) {
        if (rc == -EEXIST) {
            return fail(rc, name.empty()
                                ? std::string("the generated name (or the UUID) is taken")
                                : "a bdev named '" + name + "' (or with its UUID) already exists");
        }
        return fail(rc, spdk_strerror(-rc));
    }

    int fail(int rc, const std::string &what) {
        error_ = std::string(method_) + ": " + what;
        return rc;
    }

  private:
    const char *method_;
    const nlohmann::json &params_;
    std::string &error_;
};

// Runs an operation that reports through a callback (cb_arg, rc), immediately on
// some errors and later otherwise, and returns what it reported before returning:
// 0 when the operation goes on. A later report is only logged.
template <typename Start>
int start_async(const char *what, Start start) {
    struct Ctx {
        const char *what;
        bool returned = false;
        bool reported = false;
        int rc = 0;
    };
    auto *ctx = new Ctx{what};
    start(
        [](void *arg, int rc) {
            auto *c = static_cast<Ctx *>(arg);
            if (!c->returned) {
                c->reported = true;
                c->rc = rc;
                return;
            }
            if (rc != 0) {
                SPDK_ERRLOG("%s failed: %s\n", c->what, spdk_strerror(-rc));
            }
            delete c;
        },
        ctx);
    ctx->returned = true;
    if (!ctx->reported) {
        return 0;  // ctx now belongs to the pending callback
    }
    const int rc = ctx->rc;
    delete ctx;
    return rc;
}

// The body of a method whose only parameter is the name of one of a module's bdevs:
// reads {name} and returns op(name) (0 or -errno), a failure reported as
//   cannot <verb> <kind> bdev '<name>': <error>
// or, when enodev_names_it, -ENODEV as
//   'name': there is no <kind> bdev named '<name>'
template <typename Op>
int by_name(const char *method, const nlohmann::json &params, std::string &error, const char *verb,
            const char *kind, bool enodev_names_it, Op op) {
    Params p(method, params, error);
    std::string name;
    int rc = p.check_members({"name"});
    if (rc == 0)
        rc = p.get_string("name", true, name);
    if (rc != 0) {
        return rc;
    }
    rc = op(name);
    if (rc == -ENODEV && enodev_names_it) {
        return p.fail(rc,
                      std::string("'name': there is no ") + kind + " bdev named '" + name + "'");
    }
    if (rc != 0) {
        return p.fail(rc, std::string("cannot ") + verb + " " + kind + " bdev '" + name +
                              "': " + spdk_strerror(-rc));
    }
    return 0;
}

// The body of a "<module>_create" method: create(error, name) makes the bdev and
// sets name to its name; the reply is that name (as SPDK answers), or the error.
template <typename Create>
void reply_created(RpcReply reply, Create create) {
    std::string error;
    std::string name;
    const int rc = create(error, name);
    if (rc != 0) {
        std::move(reply).fail(rc, error);
        return;
    }
    std::move(reply).ok(name);
}

// The body of a "<module>_delete" method: removes the bdev {name} with
// del(name, cb_fn, cb_arg) and answers once the removal finished (its descriptors
// closed), as SPDK does: true, or the failure reported as by_name does.
template <typename Del>
void delete_by_name(const char *method, const nlohmann::json &params, RpcReply reply,
                    const char *kind, bool enodev_names_it, Del del) {
    std::string error;
    Params p(method, params, error);
    std::string name;
    int rc = p.check_members({"name"});
    if (rc == 0)
        rc = p.get_string("name", true, name);
    if (rc != 0) {
        std::move(reply).fail(rc, error);
        return;
    }
    struct Ctx {
        RpcReply reply;
        std::string method;
        std::string kind;
        std::string name;
        bool enodev_names_it;
    };
    auto *ctx = new Ctx{std::move(reply), method, kind, name, enodev_names_it};
    del(
        name.c_str(),
        [](void *arg, int bdeverrno) {
            std::unique_ptr<Ctx> c(static_cast<Ctx *>(arg));
            if (bdeverrno == 0) {
                std::move(c->reply).ok(true);
                return;
            }
            std::string what = c->method + ": ";
            if (bdeverrno == -ENODEV && c->enodev_names_it) {
                what += "'name': there is no " + c->kind + " bdev named '" + c->name + "'";
            } else {
                what += "cannot delete " + c->kind + " bdev '" + c->name +
                        "': " + spdk_strerror(-bdeverrno);
            }
            std::move(c->reply).fail(bdeverrno, what);
        },
        ctx);
}

}  // namespace spdk_embedded::bdev::rpc
